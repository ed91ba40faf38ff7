using ResearchKit.Tables;

namespace ResearchKit.Pruning;

/// <summary>All rounds of a <see cref="TicketSearch"/> and the final masks.</summary>
/// <param name="Configuration">The search configuration.</param>
/// <param name="Rounds">Round 0 (dense) then one round per objective.</param>
/// <param name="FinalMasks">Masks of the last round.</param>
public sealed record TicketSearchResult(TicketConfiguration Configuration, IReadOnlyList<TicketRoundResult> Rounds, PruningMasks FinalMasks)
{
    /// <summary>
    /// One row per round: configuration, objective, achieved sparsity (overall and per group) and the requested
    /// metrics — the shape of the thesis' sparsity-vs-accuracy tables.
    /// </summary>
    /// <param name="metrics">Metric names to show (missing values stay empty).</param>
    /// <param name="name">Export name of the table.</param>
    /// <param name="caption">Caption.</param>
    public ResultsTable ToTable(IReadOnlyList<string> metrics, string? name = null, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var groups = new List<string>();
        foreach (var r in Rounds)
            if (r.Pruning is not null)
                foreach (var g in r.Pruning.Groups)
                    if (!groups.Contains(g.Name)) groups.Add(g.Name);
        var t = new ResultsTable(name, caption)
            .AddTextColumn("Configuration").AddIntegerColumn("Round").AddPercentColumn("Objective").AddPercentColumn("Sparsity", 2);
        foreach (var g in groups) t.AddPercentColumn($"Sparsity ({g})", 2);
        foreach (var m in metrics) t.AddNumberColumn(m, 4);
        foreach (var r in Rounds)
        {
            var row = new List<object?> { Configuration.ShortName(), (long)r.Round, r.Objective ?? 0.0, r.Sparsity };
            foreach (var g in groups) row.Add(r.GroupSparsity(g));
            foreach (var m in metrics) row.Add(r.Metric(m));
            t.AddRow(row.ToArray());
        }
        return t;
    }
}
