namespace ResearchKit.Experiments.HardwareAware;

/// <summary>The uniform (integer) quantizers of <see cref="MinifloatSegmentationRecipe"/>'s integer runs.</summary>
public enum IntegerQuantizers
{
    /// <summary>The kit's default: DoReFa weights (per tensor) and PACT activations (learned clip α, initialized at 10), <see cref="Quantization.QuantSpec.DoReFaPact"/>.</summary>
    DoReFaPact,

    /// <summary>LSQ weights (signed) and unsigned LSQ activations, steps initialized from the weights and the first batch, <see cref="Quantization.QuantSpec.Lsq"/>.</summary>
    Lsq,
}
