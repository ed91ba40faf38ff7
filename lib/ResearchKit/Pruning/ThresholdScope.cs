namespace ResearchKit.Pruning;

/// <summary>Whether a <see cref="PruningGroup"/> shares one threshold or each of its tensors gets its own.</summary>
public enum ThresholdScope
{
    /// <summary>One global threshold over all tensors of the group (the objective holds for the group as a whole).</summary>
    Group,

    /// <summary>Each tensor is pruned separately to the group's objective (layer-wise pruning).</summary>
    PerTensor,
}
