using Deedle;

namespace ResearchKit.Tables;

/// <summary>
/// Aggregation of result frames (one row per run) over replicates with Deedle: pivots and group summaries whose cells
/// are <see cref="SampleSummary"/> values, ready for <see cref="ResultsTable.From{R}"/>.
/// </summary>
/// <remarks>
/// Deedle treats NaN in a numeric column as missing, so a replicate that produced NaN (or none) is skipped, not
/// propagated; a cell without any replicate is missing.
/// </remarks>
public static class ResultFrames
{
    /// <summary>
    /// Pivot of <paramref name="runs"/>: one row per value of <paramref name="rowColumn"/> (e.g. configuration), one
    /// column per value of <paramref name="columnColumn"/> (e.g. sparsity), both in order of first appearance; each
    /// cell summarizes the <paramref name="valueColumn"/> values of the runs sharing it (the seeds).
    /// </summary>
    /// <typeparam name="R">Row key of the runs frame (e.g. the run id).</typeparam>
    /// <param name="runs">One row per run.</param>
    /// <param name="rowColumn">Column whose values become the row keys (formatted as text).</param>
    /// <param name="columnColumn">Column whose values become the column keys (formatted as text).</param>
    /// <param name="valueColumn">Numeric column to summarize.</param>
    /// <exception cref="ArgumentException">A column is missing (the message lists the frame's columns).</exception>
    public static Frame<string, string> PivotSummary<R>(this Frame<R, string> runs, string rowColumn, string columnColumn, string valueColumn)
    {
        CheckColumns(runs, nameof(PivotSummary), rowColumn, columnColumn, valueColumn);
        CheckNumeric(runs, nameof(PivotSummary), valueColumn);
        // The keys go through text so that int/double/bool key columns all pivot the same way.
        var keyed = runs.Clone();
        keyed.ReplaceColumn(rowColumn, AsText(runs, rowColumn));
        keyed.ReplaceColumn(columnColumn, AsText(runs, columnColumn));
        var pivot = keyed.PivotTable<R, string, string, string, SampleSummary?>(rowColumn, columnColumn, g => Summarize(g, valueColumn));
        return pivot;
    }

    /// <summary>
    /// One row per value of <paramref name="groupColumn"/> (in order of first appearance), one column per
    /// <paramref name="valueColumns"/> entry, each cell the <see cref="SampleSummary"/> of the group's values.
    /// </summary>
    /// <typeparam name="R">Row key of the runs frame.</typeparam>
    /// <param name="runs">One row per run.</param>
    /// <param name="groupColumn">Column to group by (e.g. method); values formatted as text.</param>
    /// <param name="valueColumns">Numeric columns to summarize (e.g. accuracy, loss).</param>
    /// <exception cref="ArgumentException">A column is missing or no value column is given.</exception>
    public static Frame<string, string> SummarizeBy<R>(this Frame<R, string> runs, string groupColumn, params string[] valueColumns)
    {
        ArgumentNullException.ThrowIfNull(valueColumns);
        if (valueColumns.Length == 0)
            throw new ArgumentException("ResultFrames.SummarizeBy: name at least one value column to summarize.", nameof(valueColumns));
        CheckColumns(runs, nameof(SummarizeBy), [groupColumn, .. valueColumns]);
        CheckNumeric(runs, nameof(SummarizeBy), valueColumns);
        var keys = AsText(runs, groupColumn);
        if (keys.KeyCount != runs.RowCount)
            throw new ArgumentException($"ResultFrames.SummarizeBy: {runs.RowCount - keys.KeyCount} row(s) have no '{groupColumn}' value; fill or drop them first (e.g. frame.DropSparseRows()).", nameof(groupColumn));
        var groups = runs.GroupRowsUsing((_, row) => ResultsTable.InvariantText(row[groupColumn])).Nest();
        var columns = valueColumns.ToDictionary(v => v, v => groups.Select(kv => Summarize(kv.Value, v)));
        // Grouping may sort the keys; a table lists the groups as the runs first mention them.
        return Frame.FromColumns(columns).Rows[keys.Values.Distinct()];
    }

    private static SampleSummary? Summarize<R>(Frame<R, string> group, string valueColumn)
    {
        var values = group.GetColumn<double>(valueColumn).Values.ToArray();
        return values.Length == 0 ? null : SampleSummary.Of(values);
    }

    private static Series<R, string> AsText<R>(Frame<R, string> frame, string column) =>
        frame.GetColumn<object>(column).Select(kv => ResultsTable.InvariantText(kv.Value));

    private static void CheckNumeric<R>(Frame<R, string> frame, string op, params string[] columns)
    {
        foreach (var (key, type) in frame.ColumnKeys.Zip(frame.ColumnTypes))
        {
            var t = Nullable.GetUnderlyingType(type) ?? type;
            if (columns.Contains(key) && (t == typeof(string) || t == typeof(bool) || t == typeof(DateTime)))
                throw new ArgumentException($"ResultFrames.{op}: column '{key}' holds {t.Name} values; summarize a numeric column (e.g. a final metric), or group by this one.");
        }
    }

    private static void CheckColumns<R>(Frame<R, string> frame, string op, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(frame);
        foreach (var c in columns)
        {
            ArgumentNullException.ThrowIfNull(c);
            if (!frame.ColumnKeys.Contains(c))
                throw new ArgumentException($"ResultFrames.{op}: the frame has no column '{c}'; its columns are: {string.Join(", ", frame.ColumnKeys)}.");
        }
    }
}
