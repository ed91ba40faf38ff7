namespace ResearchKit.Pruning;

/// <summary>How a magnitude threshold is chosen for a sparsity objective.</summary>
public enum PruningMethod
{
    /// <summary>
    /// The thesis' Algorithm 3: a threshold raised from 0 in steps of ε until the fraction of weights with
    /// <c>|w| ≤ threshold</c> reaches the objective; every weight at or below it is pruned, so the achieved sparsity
    /// may exceed the objective by the weights inside the last ε band.
    /// </summary>
    Threshold,

    /// <summary>
    /// Exact quantile: prunes exactly the smallest-magnitude weights needed to reach the objective (ties broken by
    /// position, earlier first), so the pruned count is the target count unless earlier rounds already pruned more.
    /// </summary>
    Quantile,
}
