using ResearchKit.Quantization.Minifloat;

namespace ResearchKit.Quantization.Analysis;

/// <summary>
/// A first-order cost model of one add and one multiply in fixed point (n-bit integers) and floating point (ExMy),
/// anchored on Horowitz, "Computing's Energy Problem (and what we can do about it)", ISSCC 2014, 45 nm at 0.9 V.
/// </summary>
/// <remarks>
/// <para>
/// Anchors (energy pJ / area µm², Horowitz's table as reproduced in Kim et al., arXiv 2302.14017, Fig. 15): integer add
/// 8b 0.03/36, 16b 0.05/67, 32b 0.1/137; integer multiply 8b 0.2/282, 32b 3.1/3495; FP add 16b (E5M10) 0.4/1360,
/// 32b (E8M23) 0.9/4184; FP multiply 16b 1.1/1640, 32b 3.7/7700.
/// </para>
/// <para>
/// Scaling assumption (ours, not Horowitz's): each operator has a complexity C counted in bit-level cells,
/// integer add C = n (ripple adder), integer multiply C = n² (array of partial products), FP multiply C = (M+1)² + E
/// (significand product plus exponent adder), FP add C = 2·(M+1)·⌈log2(M+2)⌉ + (M+1) + E (alignment and normalization
/// barrel shifters of ⌈log2(M+2)⌉ stages over M+1 bits, the (M+1)-bit significand adder, the exponent comparison).
/// Cost is piecewise linear in C through (0, 0) and the operator's anchors, so every anchor is reproduced exactly, and
/// proportional to C beyond the last anchor. The result rises with n, E and M. Rounding, sticky bits, special values and
/// pipelining are ignored: this ranks formats, it does not replace synthesis (the FxP vs FlP chapter, arXiv 2212.04184,
/// synthesizes its operators).
/// </para>
/// </remarks>
public static class ArithmeticCost
{
    /// <summary>Horowitz's nine 45 nm operator costs, the model's calibration points.</summary>
    public static IReadOnlyList<CostAnchor> Horowitz45nm { get; } =
    [
        new(ArithmeticOperator.IntegerAdd, "8b Add", 0, 8, new(0.03, 36)),
        new(ArithmeticOperator.IntegerAdd, "16b Add", 0, 16, new(0.05, 67)),
        new(ArithmeticOperator.IntegerAdd, "32b Add", 0, 32, new(0.1, 137)),
        new(ArithmeticOperator.IntegerMultiply, "8b Mult", 0, 8, new(0.2, 282)),
        new(ArithmeticOperator.IntegerMultiply, "32b Mult", 0, 32, new(3.1, 3495)),
        new(ArithmeticOperator.FloatAdd, "16b FP Add", 5, 10, new(0.4, 1360)),
        new(ArithmeticOperator.FloatAdd, "32b FP Add", 8, 23, new(0.9, 4184)),
        new(ArithmeticOperator.FloatMultiply, "16b FP Mult", 5, 10, new(1.1, 1640)),
        new(ArithmeticOperator.FloatMultiply, "32b FP Mult", 8, 23, new(3.7, 7700)),
    ];

    /// <summary>An n-bit integer (fixed-point) adder.</summary>
    /// <exception cref="ArgumentException">n outside [1, 64].</exception>
    public static OperatorCost IntegerAdd(int bits) => Cost(ArithmeticOperator.IntegerAdd, 0, CheckWidth(bits));

    /// <summary>An n×n-bit integer (fixed-point) multiplier.</summary>
    /// <exception cref="ArgumentException">n outside [1, 64].</exception>
    public static OperatorCost IntegerMultiply(int bits) => Cost(ArithmeticOperator.IntegerMultiply, 0, CheckWidth(bits));

    /// <summary>An ExMy floating-point adder.</summary>
    /// <exception cref="ArgumentException">E outside [1, 15] or M outside [0, 112].</exception>
    public static OperatorCost FloatAdd(int exponentBits, int mantissaBits) =>
        Cost(ArithmeticOperator.FloatAdd, CheckExponent(exponentBits), CheckMantissa(mantissaBits));

    /// <summary>An ExMy floating-point multiplier.</summary>
    /// <exception cref="ArgumentException">E outside [1, 15] or M outside [0, 112].</exception>
    public static OperatorCost FloatMultiply(int exponentBits, int mantissaBits) =>
        Cost(ArithmeticOperator.FloatMultiply, CheckExponent(exponentBits), CheckMantissa(mantissaBits));

    /// <summary>An adder for <paramref name="format"/>.</summary>
    public static OperatorCost FloatAdd(MinifloatFormat format) =>
        FloatAdd((format ?? throw new ArgumentNullException(nameof(format))).ExponentBits, format.MantissaBits);

    /// <summary>A multiplier for <paramref name="format"/>.</summary>
    public static OperatorCost FloatMultiply(MinifloatFormat format) =>
        FloatMultiply((format ?? throw new ArgumentNullException(nameof(format))).ExponentBits, format.MantissaBits);

    /// <summary>The complexity C of the model (see remarks): n, n², 2(M+1)⌈log2(M+2)⌉ + (M+1) + E, or (M+1)² + E.</summary>
    /// <param name="op">The operator.</param>
    /// <param name="exponentBits">E (ignored for integers).</param>
    /// <param name="bits">n for integers, M for floating point.</param>
    public static double Complexity(ArithmeticOperator op, int exponentBits, int bits)
    {
        double p = bits + 1;   // significand width with the implicit 1
        return op switch
        {
            ArithmeticOperator.IntegerAdd => bits,
            ArithmeticOperator.IntegerMultiply => (double)bits * bits,
            ArithmeticOperator.FloatAdd => 2 * p * Math.Ceiling(Math.Log2(bits + 2)) + p + exponentBits,
            ArithmeticOperator.FloatMultiply => p * p + exponentBits,
            _ => throw new ArgumentException($"ArithmeticCost: unknown operator {op}; use an ArithmeticOperator member.", nameof(op)),
        };
    }

    private static OperatorCost Cost(ArithmeticOperator op, int exponentBits, int bits)
    {
        double c = Complexity(op, exponentBits, bits);
        var knots = Horowitz45nm.Where(a => a.Operator == op)
            .Select(a => (C: Complexity(op, a.ExponentBits, a.Bits), a.Cost))
            .OrderBy(k => k.C).Prepend((C: 0.0, Cost: new OperatorCost(0, 0))).ToArray();
        var last = knots[^1];
        if (c >= last.C) { double r = c / last.C; return new(last.Cost.EnergyPj * r, last.Cost.AreaUm2 * r); }   // r = 1 at the anchor: exact
        int i = 1;
        while (knots[i].C < c) i++;
        var (c0, k0) = knots[i - 1];
        var (c1, k1) = knots[i];
        double t = (c - c0) / (c1 - c0);
        // t = 1 at an anchor, so its cost comes back bit for bit.
        return t == 1 ? k1 : new(k0.EnergyPj + t * (k1.EnergyPj - k0.EnergyPj), k0.AreaUm2 + t * (k1.AreaUm2 - k0.AreaUm2));
    }

    private static int CheckWidth(int bits) => bits is >= 1 and <= 64 ? bits
        : throw new ArgumentException($"ArithmeticCost: integer width {bits} is out of range; pass n in [1, 64].", nameof(bits));

    private static int CheckExponent(int e) => e is >= 1 and <= 15 ? e
        : throw new ArgumentException($"ArithmeticCost: exponent bits {e} is out of range; pass E in [1, 15].", "exponentBits");

    private static int CheckMantissa(int m) => m is >= 0 and <= 112 ? m
        : throw new ArgumentException($"ArithmeticCost: mantissa bits {m} is out of range; pass M in [0, 112].", "mantissaBits");
}
