using ResearchKit.Tensors;

namespace ResearchKit.Quantization.Minifloat;

/// <summary>
/// A low-precision floating-point ("minifloat") format S.E…E.M…M: one sign bit, E exponent bits with a bias, M mantissa
/// bits, optional subnormals, a special-value convention and an overflow rule; it encodes a float to a code and back.
/// </summary>
/// <remarks>
/// <para>
/// Value of a code with exponent field e and mantissa field m: (−1)^s · 2^(e−bias) · (1 + m/2^M) for e ≥ 1, and
/// (−1)^s · 2^(1−bias) · m/2^M for e = 0 (subnormals). Without subnormals every e = 0 code is ±0 (the encoder only
/// produces m = 0), so the smallest positive value is <see cref="MinNormal"/>; magnitudes below it round to 0 or
/// MinNormal, the tie going to 0.
/// </para>
/// <para>
/// Presets follow the OCP specifications: <see cref="E4M3"/> and <see cref="E5M2"/> the OCP 8-bit floating point
/// (OFP8 rev. 1.0: E4M3 bias 7, no infinity, only S.1111.111 is NaN, max 448; E5M2 bias 15, IEEE-like, max 57344),
/// <see cref="E2M3"/> and <see cref="E3M2"/> the OCP Microscaling FP6 elements (bias 1 and 3, no infinity or NaN, max
/// 7.5 and 28, as tabulated by ONNX's "Float stored in 6 bits"). All presets saturate on overflow (OCP's saturation mode).
/// Minifloat QAT at 6 bits is the subject of the related work "Low-Precision Floating-Point for Efficient On-Board Deep
/// Neural Network Processing" (arXiv 2311.11172), which does not fix the split between E and M used here.
/// </para>
/// </remarks>
public sealed class MinifloatFormat : IEquatable<MinifloatFormat>
{
    private float[]? _finiteValues;

    /// <summary>Creates a format and checks that it has normal numbers and that every value is exact in float32.</summary>
    /// <param name="exponentBits">E in [1, 8].</param>
    /// <param name="mantissaBits">M in [0, 10].</param>
    /// <param name="bias">Exponent bias; null for the IEEE default 2^(E−1) − 1.</param>
    /// <param name="subnormals">Whether e = 0 codes are subnormal numbers (true) or all zero (false, flush to zero).</param>
    /// <param name="specials">Which codes are infinities and NaN.</param>
    /// <param name="overflow">Saturation to ±MaxFinite, or ±∞ (IEEE-like formats only).</param>
    /// <exception cref="ArgumentException">A field is out of range, the format has no normal number, a value would not be
    /// exact in float32, or overflow to infinity is asked of a format without infinity.</exception>
    public MinifloatFormat(int exponentBits, int mantissaBits, int? bias = null, bool subnormals = true,
        MinifloatSpecials specials = MinifloatSpecials.Ieee, MinifloatOverflow overflow = MinifloatOverflow.Saturate)
    {
        if (exponentBits is < 1 or > 8)
            throw new ArgumentException($"MinifloatFormat: exponent bits E = {exponentBits} is out of range; pass E in [1, 8].", nameof(exponentBits));
        if (mantissaBits is < 0 or > 10)
            throw new ArgumentException($"MinifloatFormat: mantissa bits M = {mantissaBits} is out of range; pass M in [0, 10].", nameof(mantissaBits));
        if (!Enum.IsDefined(specials))
            throw new ArgumentException($"MinifloatFormat: unknown special-value convention {specials}; use a MinifloatSpecials member.", nameof(specials));
        if (!Enum.IsDefined(overflow))
            throw new ArgumentException($"MinifloatFormat: unknown overflow rule {overflow}; use a MinifloatOverflow member.", nameof(overflow));
        if (overflow == MinifloatOverflow.Infinity && specials != MinifloatSpecials.Ieee)
            throw new ArgumentException($"MinifloatFormat: overflow to infinity needs an infinity, and the {specials} convention has none; use MinifloatOverflow.Saturate or MinifloatSpecials.Ieee.", nameof(overflow));

        ExponentBits = exponentBits; MantissaBits = mantissaBits;
        Bias = bias ?? (1 << (exponentBits - 1)) - 1;
        Subnormals = subnormals; Specials = specials; Overflow = overflow;

        int topField = (1 << exponentBits) - 1;
        // The largest exponent field holding a normal number: IEEE reserves the top one; with only S.1…1.1…1 as NaN and
        // M = 0 the whole top binade is that NaN.
        int topNormalField = specials == MinifloatSpecials.Ieee || (specials == MinifloatSpecials.FiniteOnlyNanAllOnes && mantissaBits == 0)
            ? topField - 1 : topField;
        if (topNormalField < 1)
            throw new ArgumentException($"MinifloatFormat: E{exponentBits}M{mantissaBits} with the {specials} convention has no normal number (its only non-zero exponent field is reserved); use more exponent or mantissa bits, or MinifloatSpecials.FiniteOnly.", nameof(exponentBits));
        int minExponent = 1 - Bias - (subnormals ? mantissaBits : 0);
        if (topNormalField - Bias > 127 || minExponent < -149)
            throw new ArgumentException($"MinifloatFormat: bias {Bias} puts the values between 2^{minExponent} and 2^{topNormalField - Bias + 1}, outside what float32 holds exactly [2^-149, 2^128); choose a bias that keeps them inside.", nameof(bias));

        MinNormal = MathF.ScaleB(1f, 1 - Bias);
        MinSubnormal = subnormals && mantissaBits > 0 ? MathF.ScaleB(1f, 1 - Bias - mantissaBits) : MinNormal;
        // Largest finite magnitude: scan the positive codes downwards past the infinities and NaNs.
        uint code = (1u << (exponentBits + mantissaBits)) - 1;
        while (!float.IsFinite(Decode(code))) code--;
        MaxFinite = Decode(code);
    }

    /// <summary>OCP MX FP6 E2M3: bias 1, subnormals, no infinity or NaN, max 7.5, min subnormal 0.125; saturating.</summary>
    public static MinifloatFormat E2M3 { get; } = new(2, 3, 1, true, MinifloatSpecials.FiniteOnly);

    /// <summary>OCP MX FP6 E3M2: bias 3, subnormals, no infinity or NaN, max 28, min subnormal 0.0625; saturating.</summary>
    public static MinifloatFormat E3M2 { get; } = new(3, 2, 3, true, MinifloatSpecials.FiniteOnly);

    /// <summary>OCP FP8 E4M3: bias 7, subnormals, no infinity, only S.1111.111 is NaN, max 448, min subnormal 2^−9; saturating.</summary>
    public static MinifloatFormat E4M3 { get; } = new(4, 3, 7, true, MinifloatSpecials.FiniteOnlyNanAllOnes);

    /// <summary>OCP FP8 E5M2: bias 15, subnormals, IEEE-like ±∞ and NaN, max 57344, min subnormal 2^−16; saturating (see <see cref="WithOverflow"/>).</summary>
    public static MinifloatFormat E5M2 { get; } = new(5, 2, 15, true, MinifloatSpecials.Ieee);

    /// <summary>E: exponent bits.</summary>
    public int ExponentBits { get; }

    /// <summary>M: mantissa (fraction) bits, the implicit leading 1 excluded.</summary>
    public int MantissaBits { get; }

    /// <summary>The exponent bias: a normal code with exponent field e has scale 2^(e − Bias).</summary>
    public int Bias { get; }

    /// <summary>Whether the e = 0 codes are subnormal numbers (otherwise they are all ±0).</summary>
    public bool Subnormals { get; }

    /// <summary>Which codes are infinities and NaN.</summary>
    public MinifloatSpecials Specials { get; }

    /// <summary>What encoding does with values beyond <see cref="MaxFinite"/>.</summary>
    public MinifloatOverflow Overflow { get; }

    /// <summary>1 + E + M.</summary>
    public int BitWidth => 1 + ExponentBits + MantissaBits;

    /// <summary>Number of codes, 2^BitWidth.</summary>
    public int CodeCount => 1 << BitWidth;

    /// <summary>Largest finite value.</summary>
    public float MaxFinite { get; }

    /// <summary>Smallest positive normal value, 2^(1 − Bias).</summary>
    public float MinNormal { get; }

    /// <summary>Smallest positive value: 2^(1 − Bias − M) with subnormals, else <see cref="MinNormal"/> (no subnormal exists).</summary>
    public float MinSubnormal { get; }

    /// <summary>A short name such as "E4M3".</summary>
    public string Name => $"E{ExponentBits}M{MantissaBits}";

    /// <summary>Every finite value once (a single 0), ascending: the quantization grid.</summary>
    public IReadOnlyList<float> FiniteValues => Array.AsReadOnly(_finiteValues ??= BuildFiniteValues());

    /// <summary>The same format with another overflow rule.</summary>
    /// <exception cref="ArgumentException">Overflow to infinity on a format without infinity.</exception>
    public MinifloatFormat WithOverflow(MinifloatOverflow overflow) =>
        new(ExponentBits, MantissaBits, Bias, Subnormals, Specials, overflow);

    /// <summary>The value of <paramref name="code"/> (bits S.E…E.M…M in the low <see cref="BitWidth"/> bits): a number, ±∞ or NaN.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The code has bits set above <see cref="BitWidth"/>.</exception>
    public float Decode(uint code)
    {
        if (code >= (uint)CodeCount)
            throw new ArgumentOutOfRangeException(nameof(code), code, $"MinifloatFormat.Decode: code {code} does not fit {BitWidth} bits; pass a code below {CodeCount}.");
        uint expMask = (1u << ExponentBits) - 1, manMask = (1u << MantissaBits) - 1;
        bool negative = (code >> (ExponentBits + MantissaBits)) != 0;
        uint e = (code >> MantissaBits) & expMask, m = code & manMask;
        if (Specials == MinifloatSpecials.Ieee && e == expMask)
            return m == 0 ? (negative ? float.NegativeInfinity : float.PositiveInfinity) : float.NaN;
        if (Specials == MinifloatSpecials.FiniteOnlyNanAllOnes && e == expMask && m == manMask) return float.NaN;
        double magnitude = e == 0
            ? (Subnormals ? Math.ScaleB(m, 1 - Bias - MantissaBits) : 0.0)
            : Math.ScaleB((1u << MantissaBits) + m, (int)e - Bias - MantissaBits);
        return (float)(negative ? -magnitude : magnitude);
    }

    /// <summary>
    /// The code of <paramref name="x"/> rounded to the format; ±0 keep their sign, NaN gives the format's NaN code
    /// (S = 0, quiet for IEEE-like formats, S.1…1.1…1 for FiniteOnlyNanAllOnes).
    /// </summary>
    /// <param name="x">Any float, ±∞ included (they overflow by <see cref="Overflow"/>).</param>
    /// <param name="rounding">Round to nearest even (default) or stochastically.</param>
    /// <param name="generator">The random source for stochastic rounding (one draw per non-NaN call); ignored otherwise.</param>
    /// <exception cref="ArgumentException">NaN in a format without NaN, or stochastic rounding without a generator.</exception>
    public uint Encode(float x, MinifloatRounding rounding = MinifloatRounding.NearestEven, Generator? generator = null)
    {
        if (float.IsNaN(x))
        {
            uint expField = ((1u << ExponentBits) - 1) << MantissaBits;
            return Specials switch
            {
                MinifloatSpecials.Ieee when MantissaBits > 0 => expField | (1u << (MantissaBits - 1)),
                MinifloatSpecials.FiniteOnlyNanAllOnes => expField | ((1u << MantissaBits) - 1),
                _ => throw new ArgumentException($"MinifloatFormat.Encode: {Name} with the {Specials} convention has no NaN code; filter NaN before encoding.", nameof(x)),
            };
        }
        return CodeOf(Round(x, rounding, generator));
    }

    /// <summary>
    /// <paramref name="x"/> rounded to the format as a float (the value <see cref="Decode"/> of <see cref="Encode"/>
    /// would give, NaN staying NaN even in formats without NaN): the two representable neighbours of |x| are found, the
    /// rounding picks one, and a result above <see cref="MaxFinite"/> overflows by <see cref="Overflow"/>.
    /// </summary>
    /// <param name="x">Any float.</param>
    /// <param name="rounding">Round to nearest even (default) or stochastically.</param>
    /// <param name="generator">The random source for stochastic rounding (exactly one <see cref="Generator.NextDouble"/> per call); ignored otherwise.</param>
    /// <exception cref="ArgumentException">Stochastic rounding without a generator.</exception>
    public float Round(float x, MinifloatRounding rounding = MinifloatRounding.NearestEven, Generator? generator = null) =>
        (float)RoundDouble(x, rounding, generator);

    /// <summary><see cref="Round"/> on a double, exact for any float input divided by a power of two.</summary>
    internal double RoundDouble(double x, MinifloatRounding rounding, Generator? generator)
    {
        if (rounding == MinifloatRounding.Stochastic && generator is null)
            throw new ArgumentException("MinifloatFormat.Round: stochastic rounding needs a Generator; pass one (seeded for reproducible runs).", nameof(generator));
        // Draw before any early exit so the stream advances once per value whatever the value is.
        double u = rounding == MinifloatRounding.Stochastic ? generator!.NextDouble() : 0.0;
        if (double.IsNaN(x)) return x;
        bool negative = double.IsNegative(x);
        double a = Math.Abs(x), r;
        if (double.IsInfinity(a)) r = OverflowMagnitude();
        else
        {
            var (lo, hi) = Neighbours(a);
            if (a == lo) r = lo;
            else if (rounding == MinifloatRounding.Stochastic) r = u < (a - lo) / (hi - lo) ? hi : lo;
            else
            {
                double d = a - lo, half = (hi - lo) / 2;
                // On a tie, lo/(hi − lo) is lo's integral significand: even means lo's mantissa ends in 0.
                r = d < half ? lo : d > half ? hi : Math.IEEERemainder(lo / (hi - lo), 2) == 0 ? lo : hi;
            }
            if (r > MaxFinite) r = OverflowMagnitude();
        }
        return negative ? -r : r;
    }

    /// <summary>The representable lo ≤ a &lt; hi (lo = a on the grid), with hi one step above even past MaxFinite.</summary>
    private (double Lo, double Hi) Neighbours(double a)
    {
        if (!Subnormals && a < MinNormal) return (0.0, MinNormal);
        // Below MinNormal the spacing is that of the first binade (subnormals); above it, 2^(k − M) in binade 2^k.
        int k = a < MinNormal ? 1 - Bias : Math.ILogB(a);
        double step = Math.ScaleB(1.0, k - MantissaBits);
        double lo = Math.Floor(a / step) * step;
        return (lo, lo + step);
    }

    private double OverflowMagnitude() => Overflow == MinifloatOverflow.Infinity ? double.PositiveInfinity : MaxFinite;

    /// <summary>The code of a value already on the format (±0, ±∞ or a finite representable value).</summary>
    private uint CodeOf(float v)
    {
        uint sign = float.IsNegative(v) ? 1u << (ExponentBits + MantissaBits) : 0u;
        double a = Math.Abs((double)v);
        if (a == 0) return sign;
        if (double.IsInfinity(a)) return sign | (((1u << ExponentBits) - 1) << MantissaBits);
        if (a < MinNormal) return sign | (uint)Math.ScaleB(a, Bias - 1 + MantissaBits);
        int k = Math.ILogB(a);
        uint mantissa = (uint)Math.ScaleB(a, MantissaBits - k) - (1u << MantissaBits);
        return sign | ((uint)(k + Bias) << MantissaBits) | mantissa;
    }

    private float[] BuildFiniteValues()
    {
        var set = new SortedSet<float>();
        for (uint c = 0; c < (uint)CodeCount; c++)
        {
            float v = Decode(c);
            if (float.IsFinite(v)) set.Add(v == 0 ? 0f : v);   // −0 and flushed codes join +0
        }
        return [.. set];
    }

    /// <summary>Formats are equal when all their defining fields are.</summary>
    public bool Equals(MinifloatFormat? other) => other is not null && Key == other.Key;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as MinifloatFormat);

    /// <inheritdoc/>
    public override int GetHashCode() => Key.GetHashCode();

    /// <summary>E.g. "E4M3(bias 7, FiniteOnlyNanAllOnes, subnormals, Saturate)".</summary>
    public override string ToString() =>
        $"{Name}(bias {Bias}, {Specials}, {(Subnormals ? "subnormals" : "no subnormals")}, {Overflow})";

    private (int, int, int, bool, MinifloatSpecials, MinifloatOverflow) Key =>
        (ExponentBits, MantissaBits, Bias, Subnormals, Specials, Overflow);
}
