using ResearchKit.Quantization;
using ResearchKit.Tensors;

namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// The continuous weight clamp of Training I (Alg. 5 line 3, Eq. 5.2), as an <see cref="IQuantizer"/> so that it plugs into
/// <see cref="SharedQuantConv2d"/> / <see cref="SharedQuantLinear"/>: the forward pass sees Clamp(W) while the parameter stays
/// the float W (exact gradient through tanh and the max, no rounding). Optionally followed by Scaled-Adjust (Eq. 5.5), which
/// §5.2.1 applies in Training I as well to the layers not followed by batch norm.
/// </summary>
/// <remarks>
/// The max of Eq. 5.2 is over the whole tensor (as in <see cref="DoReFaWeightQuantizer"/>); an all-zero tensor is left at
/// zero (symmetric) or ½ (literal) rather than divided by 0. Var in Eq. 5.5 is the population variance (a choice, as in
/// <see cref="DoReFaWeightQuantizer"/>). <see cref="BitWidth"/> is 32: the values are float.
/// </remarks>
public sealed class SatWeightClamp : IQuantizer
{
    private readonly DoReFaWeightQuantizer _eq52 = new(16); // only its Clamp (Eq. 5.2) is used; the bit width is irrelevant

    /// <summary>Creates the clamp.</summary>
    /// <param name="mode">Symmetric (SAT, default) or the literal [0, 1] of Eq. 5.2 (protocols §2.4 ⚠).</param>
    /// <param name="scaledAdjust">Divide by sqrt(n_out·Var) (Eq. 5.5): for the layers not followed by batch norm.</param>
    public SatWeightClamp(WeightClampMode mode = WeightClampMode.Symmetric, bool scaledAdjust = false)
    {
        Mode = mode; ScaledAdjust = scaledAdjust;
    }

    /// <summary>Symmetric or literal clamp.</summary>
    public WeightClampMode Mode { get; }

    /// <summary>Whether Eq. 5.5 follows the clamp.</summary>
    public bool ScaledAdjust { get; }

    /// <summary>32: the clamped weights are float.</summary>
    public int BitWidth => QuantSpec.Float;

    /// <inheritdoc/>
    public QuantGranularity Granularity => QuantGranularity.PerTensor;

    /// <summary>Clamp(W) (and Scaled-Adjust when set), shaped like <paramref name="x"/>.</summary>
    public Tensor Quantize(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var unit = _eq52.Clamp(x);                                   // Eq. 5.2: ½(tanh W / max|tanh W| + 1)
        var c = Mode == WeightClampMode.Symmetric ? 2f * unit - 1f : unit;
        if (!ScaledAdjust) return c;
        int nOut = x.Dim == 0 ? 1 : x.Size(0);
        var v = c.Var(correction: 0) * nOut;
        return c / Tensor.Where(v.Gt(0f), v, Tensor.OnesLike(v)).Sqrt();
    }

    /// <summary>The clamp is continuous and has no grid.</summary>
    /// <exception cref="InvalidOperationException">Always: Training I's weights are float; use the Training II quantizer's grid.</exception>
    public QuantGrid Grid(Tensor? x = null) => throw new InvalidOperationException(
        "SatWeightClamp.Grid: Training I's clamp is continuous (float values), it has no grid; ask the DoReFa quantizer of Training II (ModelQuantizer.Quantize) instead.");
}
