using Deedle;
using ResearchKit.Tables;

namespace ResearchKit.Pruning;

/// <summary>All rounds of a <see cref="TicketSearch"/> and the final masks.</summary>
/// <param name="Configuration">The search configuration.</param>
/// <param name="Rounds">Round 0 (dense) then one round per objective.</param>
/// <param name="FinalMasks">Masks of the last round.</param>
public sealed record TicketSearchResult(TicketConfiguration Configuration, IReadOnlyList<TicketRoundResult> Rounds, PruningMasks FinalMasks)
{
    /// <summary>
    /// One row per round (keyed by round): <c>Configuration</c>, <c>Objective</c> (0 for the dense round),
    /// <c>Sparsity</c>, <c>Sparsity (group)</c> per pruning group (fractions) and the requested metrics (missing where a
    /// round lacks one) — the shape of the thesis' sparsity-vs-accuracy tables, for grouping across searches.
    /// </summary>
    /// <param name="metrics">Metric names to include.</param>
    public Frame<int, string> ToFrame(IReadOnlyList<string> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var groups = Rounds.Where(r => r.Pruning is not null).SelectMany(r => r.Pruning!.Groups.Select(g => g.Name)).Distinct().ToList();
        var frame = Frame.FromRowKeys(Rounds.Select(r => r.Round));
        frame.AddColumn("Configuration", Rounds.Select(r => KeyValuePair.Create(r.Round, Configuration.ShortName())).ToSeries());
        frame.AddColumn("Objective", Rounds.Select(r => KeyValuePair.Create(r.Round, r.Objective ?? 0.0)).ToSeries());
        frame.AddColumn("Sparsity", Rounds.Select(r => KeyValuePair.Create(r.Round, r.Sparsity)).ToSeries());
        foreach (var g in groups)
            frame.AddColumn($"Sparsity ({g})", Rounds.Select(r => KeyValuePair.Create(r.Round, r.GroupSparsity(g))).ToSeries());
        foreach (var m in metrics)
            frame.AddColumn(m, Rounds.Where(r => r.Metric(m) is not null).Select(r => KeyValuePair.Create(r.Round, r.Metric(m)!.Value)).ToSeries());
        return frame;
    }

    /// <summary>
    /// <see cref="ToFrame"/> as a table: the round as a first column, objective and sparsities as percentages, metrics
    /// with 4 decimals.
    /// </summary>
    /// <param name="metrics">Metric names to show (missing values stay empty).</param>
    /// <param name="name">Export name of the table.</param>
    /// <param name="caption">Caption.</param>
    public ResultsTable ToTable(IReadOnlyList<string> metrics, string? name = null, string? caption = null)
    {
        var frame = ToFrame(metrics);
        var t = ResultsTable.From(frame, name, caption, rowHeader: "Round");
        foreach (var c in frame.ColumnKeys)
        {
            if (c == "Objective") t.Percent(c, 1);
            else if (c.StartsWith("Sparsity", StringComparison.Ordinal)) t.Percent(c, 2);
            else if (c != "Configuration") t.Decimals(c, 4);
        }
        return t;
    }
}
