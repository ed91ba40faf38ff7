namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// An integer multiplier that may be approximate (truncated, logarithmic, dynamic-range), as a hardware MAC unit would
/// compute a product of two quantized operands.
/// </summary>
/// <remarks>
/// Operands are sign-magnitude: every implementation here approximates the product of the magnitudes with a
/// <see cref="Bits"/>-bit unsigned core and then applies the sign (negative when exactly one operand is negative), as the
/// signed DRUM and logarithmic designs do. So the domain is |a|, |b| ≤ 2^Bits − 1, which holds the signed two's-complement
/// range [−2^(Bits−1), 2^(Bits−1) − 1] and also unsigned Bits-bit values (post-ReLU activations × signed weights).
/// </remarks>
public interface IApproximateMultiplier
{
    /// <summary>Short name for tables and plots, e.g. <c>"DRUM-6"</c>.</summary>
    string Name { get; }

    /// <summary>Width of the unsigned magnitude core, in bits.</summary>
    int Bits { get; }

    /// <summary>The (approximate) product a·b.</summary>
    /// <param name="a">First operand, |a| ≤ 2^Bits − 1.</param>
    /// <param name="b">Second operand, |b| ≤ 2^Bits − 1.</param>
    /// <returns>The multiplier's product, with the sign of the exact product.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An operand's magnitude does not fit <see cref="Bits"/> bits.</exception>
    long Multiply(int a, int b);
}
