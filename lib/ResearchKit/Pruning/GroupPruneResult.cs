namespace ResearchKit.Pruning;

/// <summary>How one <see cref="PruningGroup"/> was pruned: objective, threshold(s) and the achieved sparsity.</summary>
/// <param name="Name">Group name.</param>
/// <param name="Objective">The sparsity objective.</param>
/// <param name="Method">Selection rule used.</param>
/// <param name="Scope">Whether the group shared one threshold.</param>
/// <param name="Threshold">The shared threshold (<see cref="ThresholdScope.Group"/>), or null when chosen per tensor.</param>
/// <param name="Tensors">Per-parameter results, in the model's parameter order.</param>
public sealed record GroupPruneResult(string Name, double Objective, PruningMethod Method, ThresholdScope Scope, double? Threshold,
    IReadOnlyList<TensorPruneResult> Tensors)
{
    /// <summary>Pruned weights of the group.</summary>
    public long Pruned { get { long n = 0; foreach (var t in Tensors) n += t.Pruned; return n; } }

    /// <summary>Weights of the group.</summary>
    public long Total { get { long n = 0; foreach (var t in Tensors) n += t.Total; return n; } }

    /// <summary>Achieved sparsity of the group (≥ <see cref="Objective"/> in group scope).</summary>
    public double Sparsity => Total == 0 ? 0 : (double)Pruned / Total;
}
