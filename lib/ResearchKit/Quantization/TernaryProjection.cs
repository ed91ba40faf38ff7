using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Ternary projection of Binary-Relax (Yin et al. 2018, the code's 'tnn'): Δ = factor·mean|w| (0.7, TWN), keep = |w| ≥ Δ,
/// P(w) = s·keep·sign(w) with s from <see cref="TernaryScale"/>.
/// </summary>
/// <remarks>
/// <see cref="TernaryScale.MeanOfKept"/> (default) is TWN (Li &amp; Liu 2016) and is idempotent (P(P(w)) = P(w));
/// <see cref="TernaryScale.MeanOfAll"/> is what the BinaryRelax code computes (it divides by the tensor size), which shrinks
/// the scale by (kept / n) on each application, so it is not a projection in the strict sense.
/// The keep test is |w| ≥ Δ as in the BinaryRelax code (<see cref="TernaryQuantizer"/>, TWN's paper form, uses |w| &gt; Δ).
/// </remarks>
public sealed class TernaryProjection : IWeightProjection
{
    /// <summary>Creates the projection.</summary>
    /// <param name="scale">How the scale averages the kept |w| (default TWN's mean of the kept weights).</param>
    /// <param name="thresholdFactor">Δ / mean|w| (default 0.7, TWN and the BinaryRelax code).</param>
    /// <exception cref="ArgumentException"><paramref name="thresholdFactor"/> is not a positive finite number, or <paramref name="scale"/> is undefined.</exception>
    public TernaryProjection(TernaryScale scale = TernaryScale.MeanOfKept, float thresholdFactor = 0.7f)
    {
        QuantArgs.Positive(nameof(TernaryProjection), nameof(thresholdFactor), thresholdFactor);
        if (!Enum.IsDefined(scale))
            throw new ArgumentException($"TernaryProjection: unknown scale {(int)scale}; pass TernaryScale.MeanOfKept or MeanOfAll.", nameof(scale));
        ScaleRule = scale; ThresholdFactor = thresholdFactor;
    }

    /// <summary><c>"ternary"</c> (TWN scale) or <c>"ternary-meanofall"</c>.</summary>
    public string Name => ScaleRule == TernaryScale.MeanOfKept ? "ternary" : "ternary-meanofall";

    /// <summary>2: three levels need two bits of storage.</summary>
    public int BitWidth => 2;

    /// <summary>How the scale is averaged.</summary>
    public TernaryScale ScaleRule { get; }

    /// <summary>Δ / mean|w|.</summary>
    public float ThresholdFactor { get; }

    /// <summary>The threshold Δ and the scale s for <paramref name="w"/>'s values.</summary>
    public (float Delta, float Scale) Thresholds(float[] w)
    {
        float delta = (float)(ThresholdFactor * WeightProjections.MeanAbs(w));
        double sum = 0; int kept = 0;
        foreach (var v in w)
            if (MathF.Abs(v) >= delta) { sum += MathF.Abs(v); kept++; }
        int denom = ScaleRule == TernaryScale.MeanOfKept ? kept : w.Length;
        return (delta, denom == 0 ? 0f : (float)(sum / denom));
    }

    /// <inheritdoc/>
    public Tensor Project(Tensor w)
    {
        var v = WeightProjections.Values(nameof(TernaryProjection), w);
        var (delta, s) = Thresholds(v);
        var p = new float[v.Length];
        for (int i = 0; i < v.Length; i++) p[i] = MathF.Abs(v[i]) >= delta ? (v[i] > 0f ? s : v[i] < 0f ? -s : 0f) : 0f;
        return WeightProjections.Like(p, w);
    }

    /// <summary>Levels {−s, 0, +s}, step s.</summary>
    public QuantGrid Grid(Tensor w)
    {
        var (_, s) = Thresholds(WeightProjections.Values(nameof(TernaryProjection), w));
        return new QuantGrid([[-s, 0f, s]], [s]);
    }
}
