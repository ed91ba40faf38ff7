namespace ResearchKit.Pruning;

/// <summary>How one parameter was pruned in a <see cref="PruningPlan.Prune"/> call.</summary>
/// <param name="Name">Dotted parameter name.</param>
/// <param name="Threshold">Magnitude threshold applied to it: Algorithm 3's <c>k·ε</c> (weights with <c>|w| ≤ t</c> pruned),
/// or the quantile variant's cut magnitude (0 when earlier rounds already met the objective).</param>
/// <param name="Steps">Algorithm 3's grid index k (threshold = k·ε); 0 for the quantile variant.</param>
/// <param name="Pruned">Pruned weights after this call (including earlier rounds).</param>
/// <param name="Total">Weights of the parameter.</param>
public sealed record TensorPruneResult(string Name, double Threshold, long Steps, long Pruned, long Total)
{
    /// <summary>Achieved sparsity, <see cref="Pruned"/> / <see cref="Total"/>.</summary>
    public double Sparsity => Total == 0 ? 0 : (double)Pruned / Total;
}
