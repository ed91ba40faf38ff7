namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// DRUM, the dynamic range unbiased multiplier of Hashemi, Bahar and Reda (ICCAD 2015): each operand keeps k bits from
/// its leading one, the last kept bit forced to 1, and a k×k product is shifted back.
/// </summary>
/// <remarks>
/// An operand below 2^k is used as is. Otherwise, with t its leading-one position and s = t − k + 1, it becomes
/// ((a ≫ s) | 1) ≪ s: forcing the lowest kept bit to 1 puts the approximation in the middle of the dropped range, so
/// the error is centred on zero (unbiased) instead of always negative — up to a discrete residue: with the dropped value r
/// uniform over [0, 2^(s+1) − 1] the mean operand error is exactly +½, so over all 8-bit operands the products are
/// biased by about +(256 − 2^k)/Σa of the mean product (0.6–0.8 % for k = 3..6). The relative operand error is in
/// (−1/(2^(k−1) + 2), 2^(1−k)], so the product's relative error is at most (1 + 2^(1−k))² − 1, reached at a = b = 2^k.
/// </remarks>
public sealed class DrumMultiplier : SignMagnitudeMultiplier
{
    /// <summary>Creates a DRUM multiplier.</summary>
    /// <param name="k">Bits kept per operand, in [2, bits] (k = bits is exact).</param>
    /// <param name="bits">Magnitude width (default 8).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bits"/> or <paramref name="k"/> is out of range.</exception>
    public DrumMultiplier(int k, int bits = 8) : base(bits)
    {
        if (k < 2 || k > bits)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"DrumMultiplier: k = {k}; keep between 2 and {bits} (= bits) bits per operand.");
        K = k;
    }

    /// <summary>Bits kept per operand.</summary>
    public int K { get; }

    /// <inheritdoc/>
    public override string Name => $"DRUM-{K}";

    /// <summary>The operand as the k×k core sees it (shifted back to its weight).</summary>
    /// <param name="a">A magnitude ≥ 0.</param>
    /// <returns>a itself below 2^k, else its k leading bits with the last forced to 1.</returns>
    public long ApproximateOperand(long a)
    {
        if (a < (1L << K)) return a;
        int s = LeadingOne(a) - K + 1;
        return ((a >> s) | 1L) << s;
    }

    /// <inheritdoc/>
    protected override long MultiplyMagnitudes(long a, long b) => ApproximateOperand(a) * ApproximateOperand(b);
}
