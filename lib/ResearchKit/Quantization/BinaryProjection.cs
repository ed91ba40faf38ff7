using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Binary projection of Binary-Relax (Yin et al. 2018; BWN's scale, Rastegari et al. 2016): α = mean|w|, P(w) = α·sign(w),
/// which is the nearest point of {−α, +α}ⁿ (over all α) to w.
/// </summary>
/// <remarks>A weight exactly 0 maps to +α, so the result is always in {−α, +α}; <c>torch.sign</c> (the BinaryRelax code)
/// would give 0 there, a third level. Same convention as <see cref="SignSte"/>.</remarks>
public sealed class BinaryProjection : IWeightProjection
{
    /// <summary><c>"binary"</c>.</summary>
    public string Name => "binary";

    /// <summary>1: one sign bit per weight (α is stored apart).</summary>
    public int BitWidth => 1;

    /// <summary>α = mean|w| (in double, rounded to float).</summary>
    public static float Scale(float[] w) => (float)WeightProjections.MeanAbs(w);

    /// <inheritdoc/>
    public Tensor Project(Tensor w)
    {
        var v = WeightProjections.Values(nameof(BinaryProjection), w);
        float a = Scale(v);
        var p = new float[v.Length];
        for (int i = 0; i < v.Length; i++) p[i] = v[i] >= 0f ? a : -a;
        return WeightProjections.Like(p, w);
    }

    /// <summary>Levels {−α, +α}, step 2α.</summary>
    public QuantGrid Grid(Tensor w)
    {
        float a = Scale(WeightProjections.Values(nameof(BinaryProjection), w));
        return new QuantGrid([[-a, a]], [2f * a]);
    }
}
