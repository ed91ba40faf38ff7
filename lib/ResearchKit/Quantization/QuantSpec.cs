using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// What <see cref="ModelQuantizer.Quantize"/> makes of a float model (§5.4.1, protocols §2.7): W-bit weights and A-bit
/// activations, the first convolution's weights, the last layer's weights and the activation feeding the last layer at
/// <see cref="FirstLastBits"/> (8), and residual additions at A bits or, for the LSQ/PACT "*" rows of Table 5.4, in float.
/// </summary>
/// <param name="WeightBits">W: bits of the weights, in [1, 16], or 32 for float weights.</param>
/// <param name="ActivationBits">A: bits of the activations, in [1, 16], or 32 for float activations.</param>
/// <param name="WeightQuantizer">Builds a weight quantizer from (bits, the float weight it will quantize), e.g. DoReFa (§5.2.2) or LSQ.</param>
/// <param name="ActivationQuantizer">Builds an activation quantizer from bits, e.g. PACT or unsigned LSQ.</param>
/// <param name="FirstLastBits">Bits of the first conv's weights, the last layer's weights and its input activation (8, §5.4.1).</param>
/// <param name="QuantizeResidualAdds">True (default): the residual stream is at A bits (§5.4.2, §7.2.1); false: 32-bit residuals ("*" rows of Table 5.4).</param>
public sealed record QuantSpec(
    int WeightBits,
    int ActivationBits,
    Func<int, Tensor, IQuantizer> WeightQuantizer,
    Func<int, IQuantizer> ActivationQuantizer,
    int FirstLastBits = 8,
    bool QuantizeResidualAdds = true)
{
    /// <summary>The bit width that means "leave in float" (32).</summary>
    public const int Float = 32;

    /// <summary>DoReFa weights (per tensor, round to nearest; §5.2.2) and PACT activations (§2.5.3): the SAT/DL-QAT setting of §5.4.</summary>
    /// <param name="weightBits">W in [1, 16] or 32.</param>
    /// <param name="activationBits">A in [1, 16] or 32.</param>
    public static QuantSpec DoReFaPact(int weightBits, int activationBits) =>
        new(weightBits, activationBits, (b, _) => new DoReFaWeightQuantizer(b), b => new PactActivationQuantizer(b));

    /// <summary>LSQ weights (signed, per tensor) and unsigned LSQ activations, steps initialized from the weights (Table 5.4's LSQ rows).</summary>
    /// <param name="weightBits">W in [1, 16] or 32.</param>
    /// <param name="activationBits">A in [1, 16] or 32.</param>
    /// <param name="quantizeResidualAdds">False for the "*" rows (32-bit residuals).</param>
    public static QuantSpec Lsq(int weightBits, int activationBits, bool quantizeResidualAdds = false) =>
        new(weightBits, activationBits, (b, w) => { var q = LsqQuantizer.ForWeights(b); q.InitializeStep(w); return q; },
            b => LsqQuantizer.ForActivations(b), QuantizeResidualAdds: quantizeResidualAdds);
}

/// <summary>The kind of a site <see cref="ModelQuantizer.Quantize"/> converted (§5.4.1).</summary>
public enum QuantSiteKind
{
    /// <summary>A convolution (weights quantized; input quantized only for 32-bit residuals).</summary>
    Conv,
    /// <summary>A linear layer (the classifier).</summary>
    Linear,
    /// <summary>A ReLU turned into a quantized activation, or left in float (32 bits).</summary>
    Activation,
}

/// <summary>One converted site: its module path, kind, weight bits (null for activations) and activation bits (for a layer, the
/// bits of its own input quantizer, null when it has none; 32 means float), per §5.4.1 and protocols §2.7.</summary>
/// <param name="Path">Dotted module path, e.g. <c>layer1.0.conv1</c>.</param>
/// <param name="Kind">Conv, linear or activation.</param>
/// <param name="WeightBits">Bits of the weights (32 = float), null for activations.</param>
/// <param name="ActivationBits">Bits of the activation (32 = float), or of the layer's input quantizer, or null.</param>
public sealed record QuantSite(string Path, QuantSiteKind Kind, int? WeightBits, int? ActivationBits);
