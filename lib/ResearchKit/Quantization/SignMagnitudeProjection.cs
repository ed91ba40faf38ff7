using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// b-bit sign-magnitude projection of Binary-Relax: the BinaryRelax code's 4-bit 'fbit' projection (Yin et al. 2018)
/// generalized to b ∈ [2, 8] bits. With L = 2^(b−1) − 1 magnitudes per sign and Δ = max|w| / (2L + 1):
/// q = 0 for |w| ≤ Δ, q = k for (2k−1)Δ &lt; |w| ≤ (2k+1)Δ (k = 1..L−1), q = L for |w| &gt; (2L−1)Δ;
/// then the scale is refitted by least squares, α = Σ|w|q / Σq² (0 when every q is 0), and P(w) = α·q·sign(w).
/// </summary>
/// <remarks>
/// b = 4 is 'fbit' exactly (L = 7, Δ = max|w|/15, q = 7 above 13Δ): 15 levels. Δ and the thresholds (2k±1)Δ are computed in
/// float32 like the code's tensors, so values on a boundary fall on the same side; the sums of α are in double.
/// Weights with |w| ≤ Δ become exactly 0 (unstructured sparsity). b = 2 gives three levels with Δ = max|w|/3, which is not
/// TWN's threshold: use <see cref="TernaryProjection"/> for that.
/// </remarks>
public sealed class SignMagnitudeProjection : IWeightProjection
{
    /// <summary>Creates the projection.</summary>
    /// <param name="bits">Bits per weight, in [2, 8] (one sign bit, b − 1 magnitude bits).</param>
    /// <exception cref="ArgumentException"><paramref name="bits"/> is outside [2, 8].</exception>
    public SignMagnitudeProjection(int bits)
    {
        if (bits < 2 || bits > 8)
            throw new ArgumentException($"SignMagnitudeProjection: bits = {bits}; pass a bit width in [2, 8] (1 bit is BinaryProjection).", nameof(bits));
        BitWidth = bits;
        Levels = (1 << (bits - 1)) - 1;
    }

    /// <summary>E.g. <c>"4-bit"</c>.</summary>
    public string Name => $"{BitWidth}-bit";

    /// <summary>b.</summary>
    public int BitWidth { get; }

    /// <summary>L = 2^(b−1) − 1, the largest code magnitude.</summary>
    public int Levels { get; }

    /// <summary>The integer codes q·sign(w) ∈ [−L, L] and the least-squares scale α for <paramref name="w"/>'s values.</summary>
    public (int[] Codes, float Alpha) Codes(float[] w)
    {
        float max = 0f;
        foreach (var v in w) max = MathF.Max(max, MathF.Abs(v));
        float delta = max / (2 * Levels + 1);
        var codes = new int[w.Length];
        double num = 0, den = 0;
        for (int i = 0; i < w.Length; i++)
        {
            float a = MathF.Abs(w[i]);
            int q = Magnitude(a, delta);
            codes[i] = w[i] < 0f ? -q : q;
            num += (double)a * q; den += (double)q * q;
        }
        return (codes, den == 0 ? 0f : (float)(num / den));
    }

    // The interval rule by direct comparison against the float32 thresholds; the closed form only gives the start.
    private int Magnitude(float a, float delta)
    {
        if (!(a > delta)) return 0;
        int q = Math.Clamp((int)Math.Ceiling((a / (double)delta - 1) / 2), 1, Levels);
        while (q < Levels && a > (2 * q + 1) * delta) q++;
        while (q > 1 && !(a > (2 * q - 1) * delta)) q--;
        return q;
    }

    /// <inheritdoc/>
    public Tensor Project(Tensor w)
    {
        var (codes, alpha) = Codes(WeightProjections.Values(nameof(SignMagnitudeProjection), w));
        var p = new float[codes.Length];
        for (int i = 0; i < p.Length; i++) p[i] = alpha * codes[i];
        return WeightProjections.Like(p, w);
    }

    /// <summary>Levels α·k for k = −L..L, step α.</summary>
    public QuantGrid Grid(Tensor w)
    {
        var (_, alpha) = Codes(WeightProjections.Values(nameof(SignMagnitudeProjection), w));
        var levels = new float[2 * Levels + 1];
        for (int k = -Levels; k <= Levels; k++) levels[k + Levels] = alpha * k;
        return new QuantGrid([levels], [alpha]);
    }
}
