namespace ResearchKit.Quantization.Analysis;

/// <summary>
/// Energy and area of one multiply-accumulate (one multiplier plus one accumulator adder) for a number format, from
/// <see cref="ArithmeticCost"/> (Horowitz 45 nm anchors): one row of the cost-per-MAC figure.
/// </summary>
/// <param name="Family">Fixed point (integer datapath) or minifloat.</param>
/// <param name="Format">"INT8"-style b-bit fixed point or "E4M3".</param>
/// <param name="OperandBits">b, bits per operand.</param>
/// <param name="Accumulator">The accumulator, e.g. "INT22 (2b+⌈log2 K⌉, K=576)" or "E8M23".</param>
/// <param name="Multiply">Cost of the b×b (or ExMy) multiplier.</param>
/// <param name="Add">Cost of the accumulator adder.</param>
public sealed record MacCost(NumberFamily Family, string Format, int OperandBits, string Accumulator, OperatorCost Multiply, OperatorCost Add)
{
    /// <summary>Multiply plus add.</summary>
    public OperatorCost Total => Multiply + Add;

    /// <summary>Energy of one MAC in pJ.</summary>
    public double EnergyPj => Total.EnergyPj;

    /// <summary>Area of one MAC unit in µm².</summary>
    public double AreaUm2 => Total.AreaUm2;

    /// <summary>A b-bit fixed-point MAC: b×b integer multiplier and an integer adder of the accumulator's width (fixed point
    /// and integers share the datapath: the binary point is bookkeeping).</summary>
    /// <exception cref="ArgumentException">b outside [1, 32] or a bad accumulator setting.</exception>
    public static MacCost FixedPoint(int bits, MacAccumulator accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        if (bits is < 1 or > 32) throw new ArgumentException($"MacCost: operand width {bits} is out of range; pass b in [1, 32].", nameof(bits));
        return new MacCost(NumberFamily.FixedPoint, $"INT{bits}", bits, accumulator.Describe(NumberFamily.FixedPoint, bits),
            ArithmeticCost.IntegerMultiply(bits), ArithmeticCost.IntegerAdd(accumulator.IntegerWidth(bits)));
    }

    /// <summary>An ExMy floating-point MAC: ExMy multiplier and a floating-point adder in the accumulator's format.</summary>
    /// <exception cref="ArgumentException">E or M out of <see cref="ArithmeticCost"/>'s range.</exception>
    public static MacCost Minifloat(int exponentBits, int mantissaBits, MacAccumulator accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        var mul = ArithmeticCost.FloatMultiply(exponentBits, mantissaBits);
        var add = accumulator.FloatInOperandFormat ? ArithmeticCost.FloatAdd(exponentBits, mantissaBits)
            : ArithmeticCost.FloatAdd(accumulator.FloatExponentBits, accumulator.FloatMantissaBits);
        return new MacCost(NumberFamily.Minifloat, $"E{exponentBits}M{mantissaBits}", 1 + exponentBits + mantissaBits,
            accumulator.Describe(NumberFamily.Minifloat, 0, exponentBits, mantissaBits), mul, add);
    }

    /// <summary>The MAC of a candidate of <see cref="FormatComparison"/> (fixed point and uniform integer share the integer datapath;
    /// an unsigned minifloat candidate, E + M = b, is priced as the signed ExMy unit that computes it, so its OperandBits is b + 1).</summary>
    public static MacCost Of(FormatCandidate candidate, MacAccumulator accumulator)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return candidate.Family == NumberFamily.Minifloat
            ? Minifloat(candidate.ExponentBits, candidate.MantissaBits, accumulator)
            : FixedPoint(candidate.BitWidth, accumulator);
    }

    /// <summary>Rows for the figure: for each width b, the b-bit fixed-point MAC and every ExMy with 1 + E + M = b and E ≥
    /// <paramref name="minExponentBits"/>, M ≥ 0.</summary>
    public static IReadOnlyList<MacCost> Table(IEnumerable<int> bitWidths, MacAccumulator accumulator, int minExponentBits = FormatComparison.DefaultMinExponentBits)
    {
        ArgumentNullException.ThrowIfNull(bitWidths);
        var rows = new List<MacCost>();
        foreach (int b in bitWidths)
        {
            rows.Add(FixedPoint(b, accumulator));
            for (int e = minExponentBits; e <= Math.Min(15, b - 1); e++) rows.Add(Minifloat(e, b - 1 - e, accumulator));
        }
        return rows;
    }
}
