using System.Globalization;
using Deedle;
using ResearchKit.Attacks;
using ResearchKit.Thesis;

namespace ResearchKit.Robustness;

/// <summary>
/// The shape of the thesis' SPSA tables (Tables 6.2–6.8): adversarial accuracy (%) with one row per gradient-approximation
/// batch size n (row keys "n=10", "n=128", "n=1024") and one column per iteration budget (column keys "iters=10", …, the
/// thesis' headers), as a Deedle frame for <see cref="Tables.ResultsTable"/> and notebooks.
/// </summary>
public static class RobustnessGrid
{
    /// <summary>Row key of batch size <paramref name="n"/>: "n=10".</summary>
    public static string RowKey(int n) => "n=" + n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Column key of budget <paramref name="iterations"/>: "iters=10" (the thesis' header).</summary>
    public static string ColumnKey(int iterations) => "iters=" + iterations.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Evaluates the grid: for each n, one run of <paramref name="attackFor"/>(n) at the longest budget with snapshots at every
    /// budget (<see cref="RobustnessEvaluator.EvaluateAt"/>), each cached on its own.
    /// </summary>
    /// <param name="evaluator">The caching evaluator.</param>
    /// <param name="target">What is attacked.</param>
    /// <param name="attackFor">The attack with approximation batch size n (e.g. SPSA with n samples), a fresh instance per n.</param>
    /// <param name="data">The images.</param>
    /// <param name="batchSizes">Rows: n values, e.g. [10, 128, 1024].</param>
    /// <param name="iterations">Columns: budgets, e.g. [10, 20, 50, 100].</param>
    /// <returns>Every result by (n, iterations).</returns>
    public static IReadOnlyDictionary<(int N, int Iterations), RobustnessResult> Evaluate(RobustnessEvaluator evaluator, RobustnessTarget target,
        Func<int, IIterativeAttack> attackFor, RobustnessData data, IReadOnlyList<int> batchSizes, IReadOnlyList<int> iterations)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(attackFor);
        ArgumentNullException.ThrowIfNull(batchSizes);
        var r = new Dictionary<(int, int), RobustnessResult>();
        foreach (int n in batchSizes)
        {
            var results = evaluator.EvaluateAt(target, attackFor(n), data, iterations);
            for (int i = 0; i < iterations.Count; i++) r[(n, iterations[i])] = results[i];
        }
        return r;
    }

    /// <summary>Adversarial accuracy in percent (100 × fraction), rows n and columns iterations in ascending order.</summary>
    /// <exception cref="ArgumentException">No result, or a hole in the grid (some (n, iterations) pair missing).</exception>
    public static Frame<string, string> Frame(IReadOnlyDictionary<(int N, int Iterations), RobustnessResult> results) =>
        Frame(results?.ToDictionary(kv => kv.Key, kv => 100.0 * kv.Value.AdversarialAccuracy)
              ?? throw new ArgumentNullException(nameof(results)));

    /// <summary>A grid of values (e.g. percentages) by (n, iterations) as a frame: rows n, columns iterations, both ascending.</summary>
    /// <exception cref="ArgumentException">No value, or a hole in the grid.</exception>
    public static Frame<string, string> Frame(IReadOnlyDictionary<(int N, int Iterations), double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("RobustnessGrid.Frame: no result; evaluate at least one (n, iterations) cell.", nameof(values));
        var ns = values.Keys.Select(k => k.N).Distinct().Order().ToArray();
        var its = values.Keys.Select(k => k.Iterations).Distinct().Order().ToArray();
        foreach (int n in ns)
            foreach (int i in its)
                if (!values.ContainsKey((n, i)))
                    throw new ArgumentException($"RobustnessGrid.Frame: the grid has no cell for n = {n}, iterations = {i}; evaluate every (n, iterations) pair.", nameof(values));
        var columns = its.ToDictionary(ColumnKey, i => new Series<string, double>(ns.Select(RowKey), ns.Select(n => values[(n, i)])));
        var frame = Deedle.Frame.FromColumns(columns);
        return frame.Rows[ns.Select(RowKey)].Columns[its.Select(ColumnKey)];
    }

    /// <summary>A thesis SPSA table (e.g. <c>ThesisReference.Chapter6.Table("6.6")</c>) in the same shape, to show beside ours.</summary>
    /// <exception cref="ArgumentException">The table is not one of the SPSA grids (no "iters=" column).</exception>
    public static Frame<string, string> ThesisFrame(ThesisTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var cols = table.Columns.Where(c => c.StartsWith("iters=", StringComparison.Ordinal)).ToList();
        if (cols.Count == 0) throw new ArgumentException($"RobustnessGrid.ThesisFrame: {table.Citation} is not an SPSA grid (no 'iters=' column); use Tables 6.2–6.8.", nameof(table));
        var values = new Dictionary<(int, int), double>();
        foreach (var row in table.Rows)
            foreach (var c in cols)
                values[(int.Parse(row.Label, CultureInfo.InvariantCulture), int.Parse(c["iters=".Length..], CultureInfo.InvariantCulture))] = row.Values[c];
        return Frame(values);
    }
}
