using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// The DoReFa weight quantizer as used by SAT (§5.2.1, Eqs. 5.2–5.5):
/// clamp W̃ = ½(tanh W / max|tanh W| + 1) ∈ [0, 1] (Eq. 5.2), uniform q(x) = round(a·x)/a with a = 2^b − 1 (Eq. 5.3),
/// Q = 2q(W̃) − 1 ∈ [−1, 1] (Eq. 5.4), and optionally Scaled-Adjust Q* = Q / sqrt(n_out·Var[Q]) (Eq. 5.5).
/// </summary>
/// <remarks>
/// <para>b = 1 gives Q ∈ {−1, +1}; the grid is {2k/a − 1, k = 0..a}, times 1/sqrt(n_out·Var[Q]) under Scaled-Adjust.</para>
/// <para>
/// Gradients: STE through the rounding (dq/dx := 1) and the exact derivative of tanh, of the division by the max and of
/// the Scaled-Adjust factor. The thesis only says the gradients are "approximated as detailed in [48]" (SAT) and gives no
/// formula, so this is DoReFa's rule.
/// </para>
/// <para>
/// Not stated in the thesis: the rounding mode (the extracted Eq. 5.3 prints ⌊·⌋, see <see cref="RoundingMode"/>) and
/// whether Var in Eq. 5.5 is the population or the sample variance (population here, a choice).
/// Scaled-Adjust is meant for the layers not followed by batch norm (Alg. 5 line 11), the final FC layer of ResNet-18.
/// </para>
/// </remarks>
public sealed class DoReFaWeightQuantizer : IQuantizer
{
    /// <summary>Creates the quantizer.</summary>
    /// <param name="bitWidth">b, in [1, 16]; 1 means binary {−1, +1}.</param>
    /// <param name="granularity">Max of Eq. 5.2 over the whole tensor (default, as in the thesis) or per output channel.</param>
    /// <param name="rounding">Round to nearest (default, DoReFa/SAT) or the printed floor of Eq. 5.3.</param>
    /// <param name="scaledAdjust">Apply Eq. 5.5 (default false: only for layers not followed by batch norm).</param>
    /// <exception cref="ArgumentException"><paramref name="bitWidth"/> is outside [1, 16].</exception>
    public DoReFaWeightQuantizer(int bitWidth, QuantGranularity granularity = QuantGranularity.PerTensor,
        RoundingMode rounding = RoundingMode.Nearest, bool scaledAdjust = false)
    {
        QuantArgs.BitWidth(nameof(DoReFaWeightQuantizer), bitWidth);
        BitWidth = bitWidth; Granularity = granularity; Rounding = rounding; ScaledAdjust = scaledAdjust;
    }

    /// <inheritdoc/>
    public int BitWidth { get; }

    /// <inheritdoc/>
    public QuantGranularity Granularity { get; }

    /// <summary>The integer mapping of Eq. 5.3.</summary>
    public RoundingMode Rounding { get; }

    /// <summary>Whether Eq. 5.5 divides Q by sqrt(n_out·Var[Q]).</summary>
    public bool ScaledAdjust { get; }

    /// <summary>a = 2^b − 1, the number of steps of Eq. 5.3.</summary>
    public int Steps => (1 << BitWidth) - 1;

    /// <summary>W̃ of Eq. 5.2: ½(tanh W / max|tanh W| + 1) ∈ [0, 1], the max over the tensor or over each output channel.</summary>
    /// <exception cref="ArgumentException">Per-channel on a tensor without a channel dimension.</exception>
    public Tensor Clamp(Tensor w)
    {
        int groups = QuantArgs.Groups(nameof(DoReFaWeightQuantizer), w, Granularity);
        var grouped = QuantArgs.Grouped(w, groups);
        var t = grouped.Tanh();
        var max = t.Abs().Max(1, keepDim: true).Values;
        // An all-zero group would divide 0 by 0, so divide by 1 there. The test is on |W|, not on |tanh W|: the engine's
        // vectorized tanh returns about ±6e-8 for 0, which would otherwise turn every zero weight into ±1.
        var wMax = grouped.Detach().Abs().Max(1, keepDim: true).Values;
        max = Tensor.Where(wMax.Gt(0f), max, Tensor.OnesLike(max));
        return (0.5f * (t / max + 1f)).Reshape(w.Shape.ToArray());
    }

    /// <summary>Q of Eq. 5.4 (and Q* of Eq. 5.5 when <see cref="ScaledAdjust"/>), shaped like <paramref name="w"/>.</summary>
    /// <exception cref="ArgumentException">Per-channel on a tensor without a channel dimension.</exception>
    public Tensor Quantize(Tensor w)
    {
        float a = Steps;
        var scaled = Clamp(w) * a;
        var q = (Rounding == RoundingMode.Floor ? FloorSte.Apply(scaled) : RoundSte.Apply(scaled)) / a;
        var big = 2f * q - 1f;
        return ScaledAdjust ? big / AdjustDenominator(big, w) : big;
    }

    /// <summary>sqrt(n_out·Var[Q]) of Eq. 5.5, n_out = size of dimension 0 (output neurons), Var over all entries.</summary>
    private static Tensor AdjustDenominator(Tensor q, Tensor w)
    {
        int nOut = w.Dim == 0 ? 1 : w.Size(0);
        // A constant Q (e.g. one weight) has Var 0; dividing by 1 leaves it as it is rather than making it infinite.
        var v = q.Var(correction: 0) * nOut;
        return Tensor.Where(v.Gt(0f), v, Tensor.OnesLike(v)).Sqrt();
    }

    /// <summary>
    /// Levels {2k/a − 1, k = 0..a} shared by all channels; under Scaled-Adjust they are divided by sqrt(n_out·Var[Q]),
    /// which needs <paramref name="w"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="ScaledAdjust"/> is set and <paramref name="w"/> is null.</exception>
    public QuantGrid Grid(Tensor? w = null)
    {
        float a = Steps;
        float div = 1f;
        if (ScaledAdjust)
        {
            if (w is null) throw new ArgumentException("DoReFaWeightQuantizer.Grid: with Scaled-Adjust the levels depend on Var[Q]; pass the weight tensor.", nameof(w));
            using (GradMode.Set(false))
            {
                float a1 = Steps;
                var scaled = Clamp(w) * a1;
                var big = 2f * ((Rounding == RoundingMode.Floor ? scaled.Floor() : scaled.Round()) / a1) - 1f;
                div = AdjustDenominator(big, w).Item();
            }
        }
        return QuantGrid.Uniform(-1f / div, 2f / a / div, Steps + 1);
    }
}
