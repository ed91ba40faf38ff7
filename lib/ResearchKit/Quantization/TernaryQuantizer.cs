using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Ternary-Weight-Network quantizer (TWN, Li et al. 2016): threshold Δ = 0.7·mean|W|, codes t = +1 (W &gt; Δ), −1 (W &lt; −Δ),
/// 0 otherwise, and scale α = mean of |W| over the weights with |W| &gt; Δ; output α·t.
/// </summary>
/// <remarks>
/// Gradient: straight-through for the codes (∂t/∂W := 1, as TWN), plus the exact gradient of α through |W| with the
/// mask held fixed. A group whose weights are all within Δ (e.g. all zero) gets α = 0.
/// The thesis mentions ternary networks (seed 002, BinaryRelax: "tnn") but gives no formula; the 0.7 factor is TWN's
/// approximation of the optimal threshold.
/// </remarks>
public sealed class TernaryQuantizer : IQuantizer
{
    /// <summary>Creates the quantizer.</summary>
    /// <param name="granularity">One Δ and α for the tensor (default) or one per output channel.</param>
    /// <param name="thresholdFactor">Δ / mean|W| (default 0.7, TWN).</param>
    /// <exception cref="ArgumentException"><paramref name="thresholdFactor"/> ≤ 0.</exception>
    public TernaryQuantizer(QuantGranularity granularity = QuantGranularity.PerTensor, float thresholdFactor = 0.7f)
    {
        QuantArgs.Positive(nameof(TernaryQuantizer), nameof(thresholdFactor), thresholdFactor);
        Granularity = granularity; ThresholdFactor = thresholdFactor;
    }

    /// <summary>2: three levels need two bits of storage (log2 3 ≈ 1.58 of information).</summary>
    public int BitWidth => 2;

    /// <inheritdoc/>
    public QuantGranularity Granularity { get; }

    /// <summary>Δ / mean|W|.</summary>
    public float ThresholdFactor { get; }

    /// <summary>Δ = factor·mean|W| and α per group, without gradient (for <see cref="Grid"/> and the tests).</summary>
    public (float[] Delta, float[] Scale) Thresholds(Tensor w)
    {
        int groups = QuantArgs.Groups(nameof(TernaryQuantizer), w, Granularity);
        using (GradMode.Set(false))
        {
            var codes = new TernarizeSte(groups, ThresholdFactor).Apply(QuantArgs.Grouped(w, groups));
            return (Deltas(w, groups).ToArray(), ScaleOf(QuantArgs.Grouped(w, groups), codes).ToArray());
        }
    }

    private Tensor Deltas(Tensor w, int groups) => QuantArgs.Grouped(w, groups).Abs().Mean(1) * ThresholdFactor;

    /// <summary>α = Σ|W|·[t ≠ 0] / max(1, Σ[t ≠ 0]) per group, shape (groups, 1); the mask carries no gradient.</summary>
    private static Tensor ScaleOf(Tensor grouped, Tensor codes)
    {
        var mask = codes.Detach().Abs();
        var count = mask.Sum(1, keepDim: true).Clamp(min: 1f);
        return (grouped.Abs() * mask).Sum(1, keepDim: true) / count;
    }

    /// <summary>α·t, shaped like <paramref name="w"/>.</summary>
    /// <exception cref="ArgumentException">Per-channel on a tensor without a channel dimension.</exception>
    public Tensor Quantize(Tensor w)
    {
        int groups = QuantArgs.Groups(nameof(TernaryQuantizer), w, Granularity);
        var grouped = QuantArgs.Grouped(w, groups);
        var codes = new TernarizeSte(groups, ThresholdFactor).Apply(grouped);
        return (codes * ScaleOf(grouped, codes)).Reshape(w.Shape.ToArray());
    }

    /// <summary>Levels {−α, 0, +α} per group (needs <paramref name="w"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="w"/> is null.</exception>
    public QuantGrid Grid(Tensor? w = null)
    {
        if (w is null) throw new ArgumentException("TernaryQuantizer.Grid: Δ and α depend on the weights; pass the weight tensor.", nameof(w));
        var (_, a) = Thresholds(w);
        var levels = new float[a.Length][];
        for (int c = 0; c < a.Length; c++) levels[c] = [-a[c], 0f, a[c]];
        return new QuantGrid(levels, a);
    }

    /// <summary>Codes in {−1, 0, +1} of a (groups, n) tensor with a per-row threshold; identity gradient.</summary>
    private sealed class TernarizeSte(int groups, float factor) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var x = inputs[0].Contiguous();
            if (!x.Device.IsCpu)
            {
                // On a device: Δ per group from a device mean (float sums where the host loop adds in double), then two comparisons.
                var delta = x.Abs().Mean(1, keepDim: true) * factor;
                return x.Gt(delta) - x.Lt(-delta);
            }
            var src = x.AsReadOnlySpan();
            int per = src.Length / groups;
            var y = new float[src.Length];
            for (int c = 0; c < groups; c++)
            {
                var row = src.Slice(c * per, per);
                double sum = 0;
                foreach (var v in row) sum += MathF.Abs(v);
                float delta = per == 0 ? 0f : (float)(factor * sum / per);
                for (int j = 0; j < per; j++) y[c * per + j] = row[j] > delta ? 1f : row[j] < -delta ? -1f : 0f;
            }
            return Tensor.FromArray(y, x.Shape.ToArray());
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
    }
}
