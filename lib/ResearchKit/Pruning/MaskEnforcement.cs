namespace ResearchKit.Pruning;

/// <summary>How a retraining keeps its pruning masks (the thesis, §4.3 and Algorithm 2, does not say).</summary>
public enum MaskEnforcement
{
    /// <summary>
    /// Gradients are masked before the optimizer step (so pruned positions count neither in the update nor in a
    /// gradient-clipping norm), then pruned weights and their optimizer state are set to 0 after it. The default.
    /// </summary>
    GradientsAndWeights,

    /// <summary>
    /// Only after the step: pruned weights and their optimizer state are set to 0 (open_lth's practice). For the
    /// element-wise optimizers this equals <see cref="GradientsAndWeights"/> except under gradient clipping, whose norm
    /// then also counts the gradients at pruned positions.
    /// </summary>
    WeightsAfterStep,
}
