using Deedle;
using ResearchKit.Tables;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Pruning;

/// <summary>
/// Per-layer sparsity of a model grouped like the thesis' Table 4.4: embedding, LSTM input weights, LSTM recurrent
/// weights, LSTM biases, FC. Categories come from the owning module: recurrent parameters by their PyTorch names
/// (<c>weight_ih*</c>, <c>weight_hh*</c>, <c>bias_ih*</c>, <c>bias_hh*</c>), <see cref="Embedding"/> and
/// <see cref="Linear"/> by type. A tied decoder weight is counted once, under the module that registered it first.
/// </summary>
public sealed class SparsityReport
{
    private SparsityReport(List<SparsityRow> layers)
    {
        Layers = layers;
        var cats = new List<SparsityRow>();
        foreach (var c in Enum.GetValues<ParameterCategory>())
        {
            long total = 0, pruned = 0;
            bool any = false;
            foreach (var r in layers) if (r.Category == c) { any = true; total += r.Total; pruned += r.Pruned; }
            if (any) cats.Add(new SparsityRow(c.DisplayName(), c, total, pruned));
        }
        Categories = cats;
        long t = 0, p = 0;
        foreach (var r in layers) { t += r.Total; p += r.Pruned; }
        Total = new SparsityRow("Total", ParameterCategory.Other, t, p);
    }

    /// <summary>One row per parameter, in the model's parameter order.</summary>
    public IReadOnlyList<SparsityRow> Layers { get; }

    /// <summary>One row per category present in the model, in Table 4.4 order.</summary>
    public IReadOnlyList<SparsityRow> Categories { get; }

    /// <summary>All parameters together.</summary>
    public SparsityRow Total { get; }

    /// <summary>The row of a category, or null when the model has none.</summary>
    public SparsityRow? this[ParameterCategory category]
    {
        get
        {
            foreach (var r in Categories) if (r.Category == category) return r;
            return null;
        }
    }

    /// <summary>Counts exactly-zero weights as pruned (the model after <see cref="PruningMasks.Apply"/>).</summary>
    public static SparsityReport Of(Module model) => Build(model, null);

    /// <summary>Counts masked positions as pruned; parameters without a mask count as dense.</summary>
    public static SparsityReport Of(Module model, PruningMasks masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        return Build(model, masks);
    }

    private static SparsityReport Build(Module model, PruningMasks? masks)
    {
        ArgumentNullException.ThrowIfNull(model);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var rows = new List<SparsityRow>();
        // Walk modules (not NamedParameters) to know each parameter's owner; the first owner wins for tied tensors,
        // matching NamedParameters' de-duplication.
        foreach (var (prefix, m) in model.NamedModules())
            foreach (var (local, p) in m.NamedParameters(recurse: false))
            {
                if (!seen.Add(p)) continue;
                string name = prefix.Length == 0 ? local : prefix + "." + local;
                long pruned;
                if (masks is not null)
                {
                    var mask = masks[name];
                    if (mask is not null && !mask.Shape.Equals(p.Shape))
                        throw new ArgumentException($"SparsityReport: the mask of '{name}' has shape {mask.Shape} but the parameter has shape {p.Shape}; the masks belong to another architecture.");
                    pruned = mask is null ? 0 : MaskKernel.CountZeros(mask.AsReadOnlySpan());
                }
                else pruned = p.DType == DType.Float32 ? MaskKernel.CountZeroValues(MaskKernel.Read(p)) : 0;
                rows.Add(new SparsityRow(name, Classify(m, local), p.Numel, pruned));
            }
        return new SparsityReport(rows);
    }

    /// <summary>The Table 4.4 category of parameter <paramref name="local"/> of <paramref name="owner"/>.</summary>
    public static ParameterCategory Classify(Module owner, string local)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(local);
        if (local.StartsWith("weight_ih", StringComparison.Ordinal)) return ParameterCategory.LstmInputWeights;
        if (local.StartsWith("weight_hh", StringComparison.Ordinal)) return ParameterCategory.LstmRecurrentWeights;
        if (local.StartsWith("bias_ih", StringComparison.Ordinal) || local.StartsWith("bias_hh", StringComparison.Ordinal)) return ParameterCategory.LstmBiases;
        return owner switch
        {
            Embedding => ParameterCategory.Embedding,
            Linear => ParameterCategory.FullyConnected,
            _ => ParameterCategory.Other,
        };
    }

    /// <summary>
    /// One row per category (Table 4.4's layout) or per parameter, then a <c>Total</c> row: <c>Layer</c> (or
    /// <c>Parameter</c>), <c>Weights</c>, <c>Remaining</c>, <c>Sparsity</c> (a fraction) and, per parameter, <c>Category</c>.
    /// </summary>
    /// <param name="perLayer">One row per parameter instead of per category.</param>
    public Frame<int, string> ToFrame(bool perLayer = false)
    {
        var rows = (perLayer ? Layers : Categories).Append(Total).ToList();
        return Frame.FromColumns(new Dictionary<string, Series<int, object>>
        {
            [perLayer ? "Parameter" : "Layer"] = Column(rows, (r, i) => i == rows.Count - 1 ? "Total" : r.Name),
            ["Weights"] = Column(rows, (r, _) => r.Total),
            ["Remaining"] = Column(rows, (r, _) => r.Remaining),
            ["Sparsity"] = Column(rows, (r, _) => r.Sparsity),
        }.Concat(perLayer ? [KeyValuePair.Create("Category", Column(rows, (r, i) => i == rows.Count - 1 ? "" : r.Category.DisplayName()))] : []));

        static Series<int, object> Column(List<SparsityRow> rows, Func<SparsityRow, int, object> value) =>
            rows.Select((r, i) => KeyValuePair.Create(i, value(r, i))).ToSeries();
    }

    /// <summary><see cref="ToFrame"/> as a table, sparsity as a percentage with 2 decimals.</summary>
    /// <param name="perLayer">One row per parameter instead of per category.</param>
    /// <param name="name">Export name (e.g. "table4-4").</param>
    /// <param name="caption">Caption.</param>
    public ResultsTable ToTable(bool perLayer = false, string? name = null, string? caption = null) =>
        ResultsTable.From(ToFrame(perLayer), name, caption).Percent("Sparsity", 2);
}
