namespace ResearchKit.Quantization.AdaQat;

/// <summary>The hardware-cost term that AdaQAT adds to the task loss, λ·C(bit widths).</summary>
public enum AdaQatCostKind
{
    /// <summary>
    /// C = mean(N_w)·mean(N_a), a BitOPs-style product (the authors' code adds λ·N_a to the weights' gradient and λ·N_w to the
    /// activations', i.e. the gradient of λ·N_w·N_a); per-network it is N_w·N_a.
    /// </summary>
    BitProduct,

    /// <summary>C = the mean of all weight and activation bit widths (an average-bit-width penalty; a choice, not from the paper).</summary>
    MeanBits,
}
