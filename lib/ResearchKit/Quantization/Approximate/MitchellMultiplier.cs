namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// Mitchell's logarithmic multiplier (1962): log2(2^k·(1 + x)) ≈ k + x, add the two logarithms, and take the same
/// piecewise-linear antilogarithm.
/// </summary>
/// <remarks>
/// With a = 2^k1 + f1 and b = 2^k2 + f2 (f the bits below the leading one) the product is
/// 2^(k1+k2) + f1·2^k2 + f2·2^k1 when the mantissa sum f1/2^k1 + f2/2^k2 is below 1, else 2·(f1·2^k2 + f2·2^k1);
/// both are integers, so this is the ideal (untruncated) Mitchell product. It never exceeds a·b (the neglected term is
/// f1·f2 or (2^k1 − f1)(2^k2 − f2) ≥ 0), and its relative error is at most 1/9 ≈ 11.1 % (mantissas ½, ½).
/// </remarks>
public sealed class MitchellMultiplier : SignMagnitudeMultiplier
{
    /// <summary>Creates a Mitchell multiplier.</summary>
    /// <param name="bits">Magnitude width (default 8).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bits"/> is outside [2, 30].</exception>
    public MitchellMultiplier(int bits = 8) : base(bits) { }

    /// <inheritdoc/>
    public override string Name => "Mitchell";

    /// <inheritdoc/>
    protected override long MultiplyMagnitudes(long a, long b)
    {
        int k1 = LeadingOne(a), k2 = LeadingOne(b);
        long f1 = a - (1L << k1), f2 = b - (1L << k2);
        long mantissa = (f1 << k2) + (f2 << k1);   // (x1 + x2)·2^(k1+k2)
        long unit = 1L << (k1 + k2);
        return mantissa < unit ? unit + mantissa : 2 * mantissa;
    }
}
