using ResearchKit.Quantization.Minifloat;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Quantization.Minifloat;

/// <summary>
/// Decoding checked exhaustively against the textbook formula, encoding by round trips, hand-computed ties, overflow and
/// properties of nearest-even and stochastic rounding over seeded random inputs.
/// </summary>
public class MinifloatFormatTests
{
    public static TheoryData<string> Presets => ["E2M3", "E3M2", "E4M3", "E5M2"];

    /// <summary>Presets plus variants that exercise the other conventions (no subnormals, non-default bias, IEEE E4M3).</summary>
    public static TheoryData<string> AllFormats => ["E2M3", "E3M2", "E4M3", "E5M2", "E3M2-nosub", "E4M3-ieee", "E3M4-bias5", "E4M0-nan"];

    private static MinifloatFormat Get(string name) => name switch
    {
        "E2M3" => MinifloatFormat.E2M3,
        "E3M2" => MinifloatFormat.E3M2,
        "E4M3" => MinifloatFormat.E4M3,
        "E5M2" => MinifloatFormat.E5M2,
        "E3M2-nosub" => new MinifloatFormat(3, 2, subnormals: false, specials: MinifloatSpecials.FiniteOnly),
        "E4M3-ieee" => new MinifloatFormat(4, 3),
        "E3M4-bias5" => new MinifloatFormat(3, 4, bias: 5, specials: MinifloatSpecials.FiniteOnly),
        "E4M0-nan" => new MinifloatFormat(4, 0, specials: MinifloatSpecials.FiniteOnlyNanAllOnes),
        _ => throw new ArgumentException(name),
    };

    /// <summary>The value of a code by the formula, written independently of the library.</summary>
    private static double Reference(MinifloatFormat f, uint code)
    {
        int E = f.ExponentBits, M = f.MantissaBits;
        uint s = code >> (E + M), e = (code >> M) & ((1u << E) - 1), m = code & ((1u << M) - 1);
        uint eAll = (1u << E) - 1, mAll = (1u << M) - 1;
        double sign = s == 1 ? -1.0 : 1.0;
        if (f.Specials == MinifloatSpecials.Ieee && e == eAll) return m == 0 ? sign * double.PositiveInfinity : double.NaN;
        if (f.Specials == MinifloatSpecials.FiniteOnlyNanAllOnes && e == eAll && m == mAll) return double.NaN;
        if (e == 0) return f.Subnormals ? sign * Math.Pow(2, 1 - f.Bias) * (m / Math.Pow(2, M)) : sign * 0.0;
        return sign * Math.Pow(2, (int)e - f.Bias) * (1 + m / Math.Pow(2, M));
    }

    private static bool IsCanonical(MinifloatFormat f, uint code) =>
        f.Subnormals || ((code >> f.MantissaBits) & ((1u << f.ExponentBits) - 1)) != 0 || (code & ((1u << f.MantissaBits) - 1)) == 0;

    [Theory, MemberData(nameof(AllFormats))]
    public void Decode_EveryCode_MatchesTheFormula(string name)
    {
        var f = Get(name);
        for (uint c = 0; c < (uint)f.CodeCount; c++)
        {
            double r = Reference(f, c);
            float d = f.Decode(c);
            if (double.IsNaN(r)) { Assert.True(float.IsNaN(d), $"{name} code {c:X}: expected NaN, got {d}"); continue; }
            Assert.True((float)r == d && double.IsNegative(r) == float.IsNegative(d), $"{name} code 0x{c:X}: expected {r:R}, got {d:R}");
        }
    }

    [Fact]
    public void Presets_HaveTheOcpRanges()
    {
        // OFP8: E4M3 max S.1111.110 = 448, min subnormal 2^-9, min normal 2^-6; E5M2 max 57344, 2^-16, 2^-14.
        // MX FP6 (ONNX table): E2M3 max 7.5, min normal 1, min subnormal 0.125; E3M2 max 28, 0.25, 0.0625.
        var expected = new (MinifloatFormat F, int Bits, float Max, float MinNormal, float MinSub)[]
        {
            (MinifloatFormat.E4M3, 8, 448f, MathF.ScaleB(1f, -6), MathF.ScaleB(1f, -9)),
            (MinifloatFormat.E5M2, 8, 57344f, MathF.ScaleB(1f, -14), MathF.ScaleB(1f, -16)),
            (MinifloatFormat.E2M3, 6, 7.5f, 1f, 0.125f),
            (MinifloatFormat.E3M2, 6, 28f, 0.25f, 0.0625f),
        };
        foreach (var (f, bits, max, minNormal, minSub) in expected)
            Assert.Equal((bits, max, minNormal, minSub), (f.BitWidth, f.MaxFinite, f.MinNormal, f.MinSubnormal));
        Assert.Equal((7, 15, 1, 3), (MinifloatFormat.E4M3.Bias, MinifloatFormat.E5M2.Bias, MinifloatFormat.E2M3.Bias, MinifloatFormat.E3M2.Bias));
    }

    [Fact]
    public void SpecialCodes_FollowEachConvention()
    {
        var e4 = MinifloatFormat.E4M3;
        var nan4 = Enumerable.Range(0, 256).Where(c => float.IsNaN(e4.Decode((uint)c))).ToArray();
        Assert.Equal([0x7F, 0xFF], nan4);   // only S.1111.111
        Assert.DoesNotContain(Enumerable.Range(0, 256), c => float.IsInfinity(e4.Decode((uint)c)));
        var e5 = MinifloatFormat.E5M2;
        Assert.Equal(float.PositiveInfinity, e5.Decode(0x7C));
        Assert.Equal(float.NegativeInfinity, e5.Decode(0xFC));
        Assert.Equal([0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF], Enumerable.Range(0, 256).Where(c => float.IsNaN(e5.Decode((uint)c))));
        Assert.All(Enumerable.Range(0, 64), c => Assert.True(float.IsFinite(MinifloatFormat.E2M3.Decode((uint)c))));
        Assert.Equal(0x7Fu, e4.Encode(float.NaN));
        Assert.Equal(0x7Eu, e5.Encode(float.NaN));   // quiet NaN: mantissa MSB set
        Assert.Contains("no NaN", Assert.Throws<ArgumentException>(() => MinifloatFormat.E2M3.Encode(float.NaN)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => e4.Decode(256));
    }

    [Theory, MemberData(nameof(AllFormats))]
    public void Encode_OfDecode_IsTheCode_ForEveryFiniteCanonicalCode(string name)
    {
        var f = Get(name);
        for (uint c = 0; c < (uint)f.CodeCount; c++)
        {
            float v = f.Decode(c);
            if (!float.IsFinite(v) || !IsCanonical(f, c)) continue;
            Assert.Equal(c, f.Encode(v));
            Assert.Equal(c, f.Encode(v, MinifloatRounding.Stochastic, new Generator(c)));   // on the grid: no rounding
        }
    }

    [Theory, MemberData(nameof(Presets))]
    public void FiniteValues_AreTheSortedDistinctFiniteDecodes(string name)
    {
        var f = Get(name);
        var expected = Enumerable.Range(0, f.CodeCount).Select(c => f.Decode((uint)c)).Where(float.IsFinite)
            .Select(v => v == 0 ? 0f : v).Distinct().Order().ToArray();
        Assert.Equal(expected, f.FiniteValues);
        Assert.Equal(f.MaxFinite, f.FiniteValues[^1]);
        Assert.Equal(-f.MaxFinite, f.FiniteValues[0]);
    }

    [Fact]
    public void NearestEven_Ties_HandCases()
    {
        var e4 = MinifloatFormat.E4M3;
        // Binade [1, 2) has step 1/8: 1.0625 is halfway between 1.000 (mantissa 000, even) and 1.125 (001) → 1.
        Assert.Equal(1f, e4.Round(1.0625f));
        Assert.Equal(-1f, e4.Round(-1.0625f));
        // 1.1875 is halfway between 1.125 (001) and 1.25 (010, even) → 1.25.
        Assert.Equal(1.25f, e4.Round(1.1875f));
        // Not a tie: 1.07 is 0.07 above 1 and 0.055 below 1.125.
        Assert.Equal(1.125f, e4.Round(1.07f));
        // Top binade [256, 512), step 32: 464 is halfway between 448 (110, even) and 480 (the NaN code's slot) → 448.
        Assert.Equal(448f, e4.Round(464f));
        // Subnormals, step 2^-9: 2^-10 ties 0 (even) and 2^-9 (odd) → 0; 3·2^-10 ties 2^-9 (odd) and 2^-8 (even) → 2^-8.
        Assert.Equal(0f, e4.Round(MathF.ScaleB(1f, -10)));
        Assert.Equal(MathF.ScaleB(1f, -8), e4.Round(3 * MathF.ScaleB(1f, -10)));
        // E5M2, step 1/4 in [1, 2): 1.125 ties 1.00 and 1.25 (01) → 1; 1.375 ties 1.25 (01) and 1.5 (10) → 1.5.
        Assert.Equal(1f, MinifloatFormat.E5M2.Round(1.125f));
        Assert.Equal(1.5f, MinifloatFormat.E5M2.Round(1.375f));
        // MX FP6 downcast examples (ONNX table): 25 → E3M2 24 (round), E2M3 7.5 (saturate).
        Assert.Equal(24f, MinifloatFormat.E3M2.Round(25f));
        Assert.Equal(7.5f, MinifloatFormat.E2M3.Round(25f));
        // −0 keeps its sign.
        Assert.Equal(0x80u, e4.Encode(-0f));
    }

    [Fact]
    public void NoSubnormals_FlushGapRoundsToZeroOrMinNormal()
    {
        var f = new MinifloatFormat(3, 2, subnormals: false, specials: MinifloatSpecials.FiniteOnly);   // bias 3, MinNormal 0.25
        Assert.Equal((0.25f, 0.25f), (f.MinNormal, f.MinSubnormal));
        Assert.Equal(0f, f.Round(0.1f));
        Assert.Equal(0f, f.Round(0.125f));   // the tie goes to 0
        Assert.Equal(0.25f, f.Round(0.13f));
        Assert.Equal(0u, f.Encode(f.Decode(0b000011)));   // a flushed code decodes to 0 and re-encodes canonically
    }

    [Fact]
    public void Overflow_SaturatesOrGoesToInfinity_AsConfigured()
    {
        var e4 = MinifloatFormat.E4M3;
        foreach (float x in new[] { 449f, 470f, 1e6f, float.PositiveInfinity })
        {
            Assert.Equal(448f, e4.Round(x));
            Assert.Equal(-448f, e4.Round(-x));
            Assert.Equal(0x7Eu, e4.Encode(x));
        }
        Assert.Equal(57344f, MinifloatFormat.E5M2.Round(1e6f));
        Assert.Equal(-57344f, MinifloatFormat.E5M2.Round(float.NegativeInfinity));

        var ieee = MinifloatFormat.E5M2.WithOverflow(MinifloatOverflow.Infinity);
        // Top binade [32768, 65536), step 8192: the overflow threshold is 57344 + 4096 = 61440, and a tie there goes to
        // the even 65536, which is out of range → ∞ (IEEE 754 rule).
        Assert.Equal(57344f, ieee.Round(61439f));
        Assert.Equal(float.PositiveInfinity, ieee.Round(61440f));
        Assert.Equal(float.NegativeInfinity, ieee.Round(-1e6f));
        Assert.Equal(0x7Cu, ieee.Encode(1e6f));
        Assert.Equal(0xFCu, ieee.Encode(float.NegativeInfinity));
        Assert.Contains("has none", Assert.Throws<ArgumentException>(() => MinifloatFormat.E4M3.WithOverflow(MinifloatOverflow.Infinity)).Message);
    }

    [Fact]
    public void Constructor_RejectsBadFields_WithClearMessages()
    {
        Assert.Contains("E = 0", Assert.Throws<ArgumentException>(() => new MinifloatFormat(0, 3)).Message);
        Assert.Contains("E = 9", Assert.Throws<ArgumentException>(() => new MinifloatFormat(9, 3)).Message);
        Assert.Contains("M = -1", Assert.Throws<ArgumentException>(() => new MinifloatFormat(4, -1)).Message);
        Assert.Contains("M = 11", Assert.Throws<ArgumentException>(() => new MinifloatFormat(4, 11)).Message);
        Assert.Contains("no normal number", Assert.Throws<ArgumentException>(() => new MinifloatFormat(1, 2)).Message);   // IEEE reserves e = 1
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => new MinifloatFormat(8, 3, specials: MinifloatSpecials.FiniteOnly)).Message);
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => new MinifloatFormat(4, 3, bias: 200)).Message);
        Assert.Contains("Generator", Assert.Throws<ArgumentException>(() => MinifloatFormat.E4M3.Round(1f, MinifloatRounding.Stochastic)).Message);
        Assert.Equal(MinifloatFormat.E4M3, new MinifloatFormat(4, 3, 7, true, MinifloatSpecials.FiniteOnlyNanAllOnes));
        Assert.NotEqual(MinifloatFormat.E5M2, MinifloatFormat.E5M2.WithOverflow(MinifloatOverflow.Infinity));
    }

    /// <summary>Random values spread over a format's range in log scale, with both signs and some beyond the maximum.</summary>
    private static float[] Samples(MinifloatFormat f, Generator g, int n)
    {
        double lo = Math.Log2(f.MinSubnormal) - 2, hi = Math.Log2(f.MaxFinite) + 1;
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            float v = (float)Math.Pow(2, lo + (hi - lo) * g.NextDouble());
            x[i] = g.NextDouble() < 0.5 ? -v : v;
        }
        return x;
    }

    [Theory, MemberData(nameof(AllFormats))]
    public void NearestEven_IsTheNearestFiniteValue(string name)
    {
        // Saturating formats: the result is the grid point nearest x (beyond MaxFinite that is ±MaxFinite).
        var f = Get(name);
        var grid = f.FiniteValues.Select(v => (double)v).ToArray();
        var g = new Generator(7);
        foreach (float x in Samples(f, g, 2000))
        {
            double best = grid.MinBy(v => Math.Abs(v - x));
            var nearest2 = grid.Select(v => Math.Abs(v - x)).Order().Take(2).ToArray();
            if (nearest2[0] == nearest2[1]) continue;   // exact ties are checked by hand above
            Assert.True(f.Round(x) == (float)best, $"{name}: Round({x:R}) = {f.Round(x):R}, nearest is {best:R}");
        }
    }

    [Theory, MemberData(nameof(Presets))]
    public void Stochastic_ReturnsANeighbour_AndIsUnbiased(string name)
    {
        var f = Get(name);
        var grid = f.FiniteValues.ToArray();
        var g = new Generator(11);
        const int draws = 4000;
        foreach (float x in Samples(f, new Generator(3), 40).Where(v => MathF.Abs(v) <= f.MaxFinite))
        {
            float lo = grid.Last(v => v <= x), hi = grid.First(v => v >= x);
            double sum = 0;
            for (int i = 0; i < draws; i++)
            {
                float r = f.Round(x, MinifloatRounding.Stochastic, g);
                Assert.True(r == lo || r == hi, $"{name}: stochastic Round({x:R}) = {r:R}, not a neighbour {lo:R} / {hi:R}");
                sum += r;
            }
            // The mean of Bernoulli draws scaled by the gap has standard deviation ≤ gap/(2√n); allow 5 of them.
            double bound = 5 * (hi - lo) / (2 * Math.Sqrt(draws)) + 1e-12;
            Assert.True(Math.Abs(sum / draws - x) <= bound, $"{name}: mean {sum / draws:R} vs x = {x:R}, bound {bound:G3}");
        }
    }

    [Fact]
    public void Stochastic_ProbabilityMatchesTheDistanceFraction_AndIsSeeded()
    {
        // 1.03125 lies a quarter of the way from 1 to 1.125 (E4M3): P(up) = 0.25.
        var f = MinifloatFormat.E4M3;
        var g = new Generator(5);
        int up = Enumerable.Range(0, 20000).Count(_ => f.Round(1.03125f, MinifloatRounding.Stochastic, g) == 1.125f);
        Assert.InRange(up / 20000.0, 0.25 - 5 * Math.Sqrt(0.25 * 0.75 / 20000), 0.25 + 5 * Math.Sqrt(0.25 * 0.75 / 20000));
        uint[] Run(long seed) { var gg = new Generator(seed); return [.. Enumerable.Range(0, 50).Select(i => f.Encode(0.3f + i * 0.01f, MinifloatRounding.Stochastic, gg))]; }
        Assert.Equal(Run(9), Run(9));
    }
}
