namespace ResearchKit.Quantization.Analysis;

/// <summary>
/// How a multiply-accumulate unit accumulates its products, for <see cref="MacCost"/>: the width of the integer accumulator and
/// the floating-point format of the sum. The values are design choices, not facts of a source.
/// </summary>
/// <param name="FanIn">K, products summed per output (e.g. 3·3·64 = 576 for a 3×3 convolution over 64 channels); it sets the
/// integer accumulator width.</param>
public sealed record MacAccumulator(int FanIn)
{
    /// <summary>Integer accumulator width in bits; null (default) for 2b + ⌈log2 K⌉, the width that never overflows a sum of K
    /// products of two b-bit operands (our choice of default; capped at 64, the widest adder priced).</summary>
    public int? IntegerBits { get; init; }

    /// <summary>Exponent bits of the floating-point accumulator (default 8: FP32, as FP8 tensor cores accumulate; our choice).</summary>
    public int FloatExponentBits { get; init; } = 8;

    /// <summary>Mantissa bits of the floating-point accumulator (default 23: FP32).</summary>
    public int FloatMantissaBits { get; init; } = 23;

    /// <summary>Accumulate floating-point products in the operands' own ExMy format instead (cheapest, least accurate).</summary>
    public bool FloatInOperandFormat { get; init; }

    /// <summary>The integer accumulator width for b-bit operands.</summary>
    /// <exception cref="ArgumentException">K &lt; 1, or a width outside [1, 64].</exception>
    public int IntegerWidth(int operandBits)
    {
        if (FanIn < 1) throw new ArgumentException($"MacAccumulator: fan-in K = {FanIn}; pass the number of products per output (≥ 1).", nameof(FanIn));
        int w = IntegerBits ?? Math.Min(64, 2 * operandBits + (int)Math.Ceiling(Math.Log2(FanIn)));
        return w is >= 1 and <= 64 ? w
            : throw new ArgumentException($"MacAccumulator: integer accumulator width {w} is out of range; pass IntegerBits in [1, 64] or null.", nameof(IntegerBits));
    }

    /// <summary>A description for tables, e.g. "INT22 (2b+log2 K, K=576)" or "E8M23".</summary>
    public string Describe(NumberFamily family, int operandBits, int exponentBits = 0, int mantissaBits = 0) => family switch
    {
        NumberFamily.Minifloat => FloatInOperandFormat ? $"E{exponentBits}M{mantissaBits} (operand format)" : $"E{FloatExponentBits}M{FloatMantissaBits}",
        _ => IntegerBits is null ? $"INT{IntegerWidth(operandBits)} (2b+⌈log2 K⌉, K={FanIn})" : $"INT{IntegerWidth(operandBits)}",
    };
}
