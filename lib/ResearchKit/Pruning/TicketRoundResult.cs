namespace ResearchKit.Pruning;

/// <summary>One round of a <see cref="TicketSearch"/>: the pruning that preceded it, where it started and what it scored.</summary>
/// <param name="Round">0 for the dense round, r ≥ 1 for the round trained at <c>Objectives[r − 1]</c>.</param>
/// <param name="Configuration">The search configuration.</param>
/// <param name="Objective">The round's P value, or null for the dense round.</param>
/// <param name="StartedFrom">Where the (masked) starting weights came from.</param>
/// <param name="Pruning">Thresholds and achieved sparsity per group (null for the dense round).</param>
/// <param name="Result">The caller's metrics for the round.</param>
/// <param name="Masks">A copy of the round's masks when <see cref="TicketConfig.KeepRoundMasks"/> is set, else null.</param>
public sealed record TicketRoundResult(int Round, TicketConfiguration Configuration, double? Objective, RoundStart StartedFrom,
    PruneResult? Pruning, RoundResult Result, PruningMasks? Masks)
{
    /// <summary>Sparsity over all pruned groups (0 for the dense round).</summary>
    public double Sparsity => Pruning?.Sparsity ?? 0;

    /// <summary>Achieved sparsity of a group (0 for the dense round).</summary>
    public double GroupSparsity(string groupName) => Pruning is null ? 0 : Pruning[groupName].Sparsity;

    /// <summary>A metric of the round, or null when the training function did not report it.</summary>
    public double? Metric(string name) => Result.Metrics.TryGetValue(name, out var v) ? v : null;
}
