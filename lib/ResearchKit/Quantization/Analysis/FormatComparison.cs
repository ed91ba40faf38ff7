using ResearchKit.Quantization.Minifloat;
using ResearchKit.Tensors;

namespace ResearchKit.Quantization.Analysis;

/// <summary>
/// Fixed point against floating point at an equal bit width b, on real data (a layer's weights or activations): the best
/// fixed-point Qm.n over the position of the binary point, the best minifloat ExMy over the split between exponent and
/// mantissa, and the plain uniform integer with max scaling as a third, unsearched reference; each with its MSE and SQNR.
/// </summary>
/// <remarks>
/// <para>
/// Candidates (the accuracy side of the FxP vs FlP comparison of arXiv 2212.04184; the search rules are ours). Data with a
/// negative value get signed formats, non-negative data (post-ReLU activations) unsigned ones, so no bit is wasted on a sign
/// that is always +.
/// </para>
/// <list type="bullet">
/// <item><b>Fixed point</b>: Qm.n with 1 + m + n = b (signed) or m + n = b (unsigned), i.e. <see cref="FixedPointQuantizer"/>
/// Q0.(b−1) / Q0.b applied to x·2^−m and scaled back, so m may be negative (values below 1) or exceed b. m runs from
/// ⌈log2 max|x|⌉ + 1 (nothing saturates) down b + 1 binades (saturating the largest values for a finer step); the best is
/// kept.</item>
/// <item><b>Minifloat</b>: ExMy with E from <c>minExponentBits</c> (default 2: E = 1 spans two binades and is a fixed-point
/// grid in all but name) to 7 and M = b − 1 − E (signed) or b − E (unsigned: the sign bit of a (b+1)-bit format is always 0
/// on non-negative data, so it is not stored), M ≤ 10; every code finite (<see cref="MinifloatSpecials.FiniteOnly"/>,
/// subnormals on, as the OCP MX FP6 elements) and bias 2^E − 2 (the top binade near 1; any bias gives the same values under
/// the power-of-two scale, this one keeps every value of E ≤ 7 exact in float32). Scale: <see cref="MinifloatScaling.PowerOfTwoFromMax"/>.</item>
/// <item><b>Uniform integer</b>: symmetric codes in [−(2^(b−1) − 1), 2^(b−1) − 1] (signed) or [0, 2^b − 1] (unsigned), scale
/// max|x| / q_max, round half to even, as the approximate layers quantize (<see cref="Approximate.ApproximateInputMode"/>).</item>
/// </list>
/// <para>"Best" is the largest SQNR (equivalently the smallest MSE on the same data); ties keep the first candidate in the
/// order above (smallest m, smallest E).</para>
/// </remarks>
/// <param name="BitWidth">b.</param>
/// <param name="Signed">Whether the data hold a negative value (and the formats are signed).</param>
/// <param name="Count">Number of values compared.</param>
/// <param name="Candidates">Every candidate tried, in search order (fixed point by ascending m, minifloats by ascending E, then the integer).</param>
public sealed record FormatComparison(int BitWidth, bool Signed, int Count, IReadOnlyList<FormatCandidate> Candidates)
{
    /// <summary>Smallest exponent width tried by default.</summary>
    public const int DefaultMinExponentBits = 2;

    /// <summary>Widest exponent tried (2^7 binades exceed float32's range of scales anyway).</summary>
    public const int MaxExponentBits = 7;

    /// <summary>The fixed-point candidate with the largest SQNR.</summary>
    public FormatCandidate BestFixedPoint => BestOf(NumberFamily.FixedPoint);

    /// <summary>The minifloat candidate with the largest SQNR.</summary>
    public FormatCandidate BestMinifloat => BestOf(NumberFamily.Minifloat);

    /// <summary>The uniform integer with max scaling.</summary>
    public FormatCandidate UniformInteger => BestOf(NumberFamily.UniformInteger);

    /// <summary>The candidate with the largest SQNR over all families.</summary>
    public FormatCandidate Best => Argmax(Candidates);

    /// <summary>SQNR of the best minifloat minus that of the best fixed point, in dB (positive: floating point wins).</summary>
    public double FloatAdvantageDb => BestMinifloat.Error.SqnrDb - BestFixedPoint.Error.SqnrDb;

    /// <summary>Compares the formats of width <paramref name="bits"/> on <paramref name="values"/>.</summary>
    /// <param name="values">The real values (any shape is flattened).</param>
    /// <param name="bits">b in [3, 16] (the notebook uses 4 to 8 and 16).</param>
    /// <param name="minExponentBits">Smallest E tried for minifloats (default 2), in [1, 7].</param>
    /// <exception cref="ArgumentException">No value, a non-finite value, b out of range, or no minifloat fits b with E ≥ minExponentBits.</exception>
    public static FormatComparison Compare(ReadOnlySpan<float> values, int bits, int minExponentBits = DefaultMinExponentBits)
    {
        if (bits is < 3 or > 16)
            throw new ArgumentException($"FormatComparison: bit width {bits} is out of range; pass b in [3, 16] (e.g. 4..8 or 16).", nameof(bits));
        if (minExponentBits is < 1 or > MaxExponentBits)
            throw new ArgumentException($"FormatComparison: minExponentBits {minExponentBits} is out of range; pass E in [1, {MaxExponentBits}] (default {DefaultMinExponentBits}).", nameof(minExponentBits));
        if (values.Length == 0)
            throw new ArgumentException("FormatComparison: no values; pass at least one.", nameof(values));
        double maxAbs = 0; bool signed = false;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) throw new ArgumentException($"FormatComparison: the data hold {v}; pass finite values only.", nameof(values));
            maxAbs = Math.Max(maxAbs, Math.Abs((double)v));
            signed |= v < 0;
        }
        var x = values.ToArray();
        var tensor = Tensor.FromArray(x, x.Length);
        var rows = new List<FormatCandidate>();

        int top = maxAbs > 0 ? (int)Math.Ceiling(Math.Log2(maxAbs)) : 0;
        var fixedQ = new FixedPointQuantizer(0, signed ? bits - 1 : bits, signed);
        for (int m = top - bits; m <= top + 1; m++)
        {
            Tensor q;
            using (Torch.NoGrad()) q = fixedQ.Quantize(tensor * MathF.ScaleB(1f, -m)) * MathF.ScaleB(1f, m);
            int n = (signed ? bits - 1 : bits) - m;
            rows.Add(new FormatCandidate(NumberFamily.FixedPoint, $"Q{m}.{n}", bits, signed, m, n, 0, 0, Math.ScaleB(1.0, -n),
                QuantizationError.Between(x, q.ToArray())));
        }

        int payload = signed ? bits - 1 : bits;   // E + M
        for (int e = minExponentBits; e <= Math.Min(MaxExponentBits, payload); e++)
        {
            int mant = payload - e;
            if (mant > 10) continue;
            var format = new MinifloatFormat(e, mant, (1 << e) - 2, subnormals: true, MinifloatSpecials.FiniteOnly);
            var quantizer = new MinifloatQuantizer(format, MinifloatScaling.PowerOfTwoFromMax);
            Tensor q;
            using (Torch.NoGrad()) q = quantizer.Quantize(tensor);
            rows.Add(new FormatCandidate(NumberFamily.Minifloat, format.Name, bits, signed, 0, 0, e, mant, quantizer.Scale(tensor),
                QuantizationError.Between(x, q.ToArray())));
        }
        if (!rows.Any(r => r.Family == NumberFamily.Minifloat))
            throw new ArgumentException($"FormatComparison: no minifloat of {bits} bits has E ≥ {minExponentBits} and M ≤ 10; lower minExponentBits or pick b ≤ {minExponentBits + 11 - (signed ? 0 : 1)}.", nameof(bits));

        int qmax = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        double scale = maxAbs > 0 ? maxAbs / qmax : 1.0;
        var uq = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            uq[i] = (float)(Math.Clamp(Math.Round(x[i] / scale, MidpointRounding.ToEven), signed ? -qmax : 0, qmax) * scale);
        rows.Add(new FormatCandidate(NumberFamily.UniformInteger, (signed ? "INT" : "UINT") + bits, bits, signed, 0, 0, 0, 0, scale,
            QuantizationError.Between(x, uq)));
        return new FormatComparison(bits, signed, x.Length, rows);
    }

    /// <summary>Compares every width of <paramref name="bitWidths"/> on the same values.</summary>
    /// <exception cref="ArgumentException">As <see cref="Compare(ReadOnlySpan{float}, int, int)"/>.</exception>
    public static IReadOnlyList<FormatComparison> Compare(ReadOnlySpan<float> values, IEnumerable<int> bitWidths, int minExponentBits = DefaultMinExponentBits)
    {
        ArgumentNullException.ThrowIfNull(bitWidths);
        var result = new List<FormatComparison>();
        foreach (int b in bitWidths) result.Add(Compare(values, b, minExponentBits));
        return result;
    }

    private FormatCandidate BestOf(NumberFamily family) => Argmax(Candidates.Where(c => c.Family == family));

    private static FormatCandidate Argmax(IEnumerable<FormatCandidate> candidates)
    {
        FormatCandidate? best = null;
        foreach (var c in candidates)
            if (best is null || c.Error.Mse < best.Error.Mse) best = c;   // smallest MSE = largest SQNR, and defined for zero data
        return best ?? throw new InvalidOperationException("FormatComparison: no candidate of that family (the comparison was not built by Compare).");
    }
}
