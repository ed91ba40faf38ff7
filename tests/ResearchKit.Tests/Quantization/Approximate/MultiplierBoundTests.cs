using ResearchKit.Quantization.Approximate;
using Xunit;

namespace ResearchKit.Tests.Quantization.Approximate;

/// <summary>
/// The known error bounds of the approximate multipliers, checked exhaustively over every pair of 8-bit magnitudes
/// (the unsigned core; signed operands only add the sign, checked separately).
/// </summary>
public class MultiplierBoundTests
{
    private const int N = 8;
    private const int MaxMag = (1 << N) - 1;

    [Fact]
    public void Exact_ReproducesTheProduct_ForEveryOperandOfTheDomain()
    {
        var m = new ExactMultiplier(N);
        for (int a = -MaxMag; a <= MaxMag; a++)
            for (int b = -MaxMag; b <= MaxMag; b++)
                if (m.Multiply(a, b) != (long)a * b) Assert.Fail($"{a}·{b}: got {m.Multiply(a, b)}");
        var stats = MultiplierErrorStats.Compute(m);
        Assert.Equal(0.0, stats.Mred);
        Assert.Equal(0.0, stats.ErrorProbability);
        Assert.Equal(0L, stats.WorstCaseError);
    }

    [Fact]
    public void Mitchell_NeverOverestimates_AndItsRelativeErrorIsAtMostOneNinth_ReachedAtMantissasOneHalf()
    {
        var m = new MitchellMultiplier(N);
        double worst = 0;
        for (int a = 1; a <= MaxMag; a++)
            for (int b = 1; b <= MaxMag; b++)
            {
                long exact = (long)a * b, approx = m.Multiply(a, b);
                Assert.True(approx <= exact, $"Mitchell overestimates {a}·{b}: {approx} > {exact}");
                Assert.True(approx > 0, $"Mitchell gives {approx} for {a}·{b}");
                worst = Math.Max(worst, (double)(exact - approx) / exact);
            }
        // Mitchell (1962): max error 11.1 % = 1/9, at x1 = x2 = 1/2 (e.g. 3·3 = 9 → 8).
        Assert.True(worst <= 1.0 / 9 + 1e-12, $"max relative error {worst}");
        Assert.Equal(1.0 / 9, worst, 12);
        Assert.Equal(8, m.Multiply(3, 3));
        // Powers of two are exact (zero mantissas).
        Assert.Equal(64 * 2, m.Multiply(64, 2));

        var stats = MultiplierErrorStats.Compute(m, domain: OperandDomain.Unsigned);
        Assert.True(stats.MaxRelativeError <= 1.0 / 9 + 1e-12);
        Assert.True(stats.MeanError < 0 && stats.MeanRelativeError < 0, "Mitchell's bias must be negative");
        Assert.Equal(-stats.MeanRelativeError, stats.Mred, 12);   // every error is ≤ 0
    }

    public static TheoryData<int> DrumWidths => new() { 2, 3, 4, 5, 6, 7 };

    [Theory]
    [MemberData(nameof(DrumWidths))]
    public void Drum_RelativeErrorWithinItsOperandBounds_WorstAtPowersOfTwo_AndSmallOperandsExact(int k)
    {
        var m = new DrumMultiplier(k, N);
        double over = Math.Pow(1 + Math.Pow(2, 1 - k), 2) - 1;             // both operands at 2^k → 2^k + 2
        double under = 1 - Math.Pow(1 - 1 / (Math.Pow(2, k - 1) + 2), 2);
        double maxOver = 0, maxUnder = 0;
        for (int a = 1; a <= MaxMag; a++)
            for (int b = 1; b <= MaxMag; b++)
            {
                long exact = (long)a * b, approx = m.Multiply(a, b);
                double rel = (double)(approx - exact) / exact;
                maxOver = Math.Max(maxOver, rel);
                maxUnder = Math.Max(maxUnder, -rel);
                if (a < (1 << k) && b < (1 << k) && approx != exact) Assert.Fail($"DRUM-{k}: operands below 2^k must be exact, {a}·{b} → {approx}");
            }
        Assert.True(maxOver <= over + 1e-12, $"DRUM-{k}: overestimate {maxOver} > bound {over}");
        Assert.True(maxUnder < under, $"DRUM-{k}: underestimate {maxUnder} ≥ bound {under}");
        Assert.Equal(over, maxOver, 12);   // reached at a = b = 2^k
        Assert.Equal((long)Math.Pow((1 << k) + 2, 2), m.Multiply(1 << k, 1 << k));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Drum_IsNearlyUnbiased_UnlikePlainTruncationOrMitchell(int k)
    {
        // The forced last bit puts an operand ≥ 2^k at 2^s while the dropped value r runs uniformly over [0, 2^(s+1) − 1]:
        // the mean operand error is exactly +½ (not 0: the discrete residue of "unbiased"). Over all 8-bit operands
        // Σ a' = S + D with S = Σ a and D = (256 − 2^k)/2, so Σ (a'b' − ab) = (S + D)² − S², a bias of about 2D/S of the
        // mean product, far below plain truncation to k bits (always an underestimate) and Mitchell's.
        var drum = MultiplierErrorStats.Compute(new DrumMultiplier(k, N), domain: OperandDomain.Unsigned);
        double pairs = 256.0 * 256, sum = 255.0 * 256 / 2, d = (256 - (1 << k)) / 2.0;
        Assert.Equal(((sum + d) * (sum + d) - sum * sum) / pairs, drum.MeanError, 9);
        double meanProduct = sum * sum / pairs;
        double drumBias = drum.MeanError / meanProduct;

        double truncError = 0;
        for (long a = 1; a <= MaxMag; a++)
            for (long b = 1; b <= MaxMag; b++)
                truncError += TruncateOperand(a, k) * TruncateOperand(b, k) - a * b;
        double truncBias = truncError / pairs / meanProduct;
        var mitchell = MultiplierErrorStats.Compute(new MitchellMultiplier(N), domain: OperandDomain.Unsigned);
        double mitchellBias = mitchell.MeanError / meanProduct;

        Assert.True(drumBias > 0 && drumBias < 2 * d / sum * 1.01, $"DRUM-{k} bias {drumBias}");
        Assert.True(truncBias < 0 && mitchellBias < 0);
        Assert.True(drumBias < Math.Abs(truncBias) / 2, $"DRUM-{k} bias {drumBias} vs plain truncation {truncBias}");
        Assert.True(drumBias < Math.Abs(mitchellBias), $"DRUM-{k} bias {drumBias} vs Mitchell {mitchellBias}");
    }

    private static long TruncateOperand(long a, int k)
    {
        if (a < (1L << k)) return a;
        int s = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)a) - k + 1;
        return (a >> s) << s;
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(4, true)]
    [InlineData(6, true)]
    [InlineData(8, false)]
    [InlineData(10, true)]
    public void Truncated_ErrorIsBoundedByTheDroppedColumnsMaximum(int k, bool correction)
    {
        var m = new TruncatedMultiplier(k, correction, N);
        // Max of the dropped columns, counted independently: every bit pair (i, j) with i + j < k set.
        long maxDropped = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                if (i + j < k) maxDropped += 1L << (i + j);
        Assert.Equal(maxDropped, m.MaxDropped);
        if (k <= N) Assert.Equal((long)(k - 1) * (1L << k) + 1, maxDropped);   // Σ_{c<k} (c + 1)·2^c
        long c = m.Correction;
        Assert.True(c % (1L << k) == 0, "the constant lives in the kept columns");
        if (!correction) Assert.Equal(0, c);
        long lowest = long.MaxValue, highest = long.MinValue;
        for (int a = 1; a <= MaxMag; a++)
            for (int b = 1; b <= MaxMag; b++)
            {
                long e = m.Multiply(a, b) - (long)a * b;
                lowest = Math.Min(lowest, e); highest = Math.Max(highest, e);
            }
        Assert.True(lowest >= c - maxDropped && highest <= c, $"error range [{lowest}, {highest}] outside [{c - maxDropped}, {c}]");
        // All-ones operands set every dropped bit: the bound is tight.
        Assert.Equal(c - maxDropped, m.Multiply(MaxMag, MaxMag) - (long)MaxMag * MaxMag);
        if (k == 0) Assert.Equal(0, highest - lowest);
    }

    [Fact]
    public void Truncated_Correction_ShrinksTheBias()
    {
        // Unsigned operands: over the signed domain the sign-magnitude errors cancel by symmetry.
        var plain = MultiplierErrorStats.Compute(new TruncatedMultiplier(6, false, N), domain: OperandDomain.Unsigned);
        var corrected = MultiplierErrorStats.Compute(new TruncatedMultiplier(6, true, N), domain: OperandDomain.Unsigned);
        Assert.True(plain.MeanError < 0);
        Assert.True(Math.Abs(corrected.MeanError) < Math.Abs(plain.MeanError));
    }

    public static TheoryData<string> AllMultipliers => new() { "exact", "mitchell", "drum4", "trunc6", "trunc6c" };

    private static IApproximateMultiplier Make(string name) => name switch
    {
        "exact" => new ExactMultiplier(N),
        "mitchell" => new MitchellMultiplier(N),
        "drum4" => new DrumMultiplier(4, N),
        "trunc6" => new TruncatedMultiplier(6, false, N),
        _ => new TruncatedMultiplier(6, true, N),
    };

    [Theory]
    [MemberData(nameof(AllMultipliers))]
    public void SignMagnitude_ProductIsOddInEachOperand_CommutesAndZeroGivesZero(string name)
    {
        var m = Make(name);
        var rng = new Random(1);
        for (int t = 0; t < 2000; t++)
        {
            int a = rng.Next(-MaxMag, MaxMag + 1), b = rng.Next(-MaxMag, MaxMag + 1);
            long p = m.Multiply(a, b);
            Assert.Equal(-p, m.Multiply(-a, b));
            Assert.Equal(-p, m.Multiply(a, -b));
            Assert.Equal(p, m.Multiply(b, a));
            Assert.True(p == 0 || Math.Sign(p) == Math.Sign(a) * Math.Sign(b));
            Assert.Equal(0, m.Multiply(0, b));
        }
    }

    [Fact]
    public void OutOfRangeOperandsAndWidths_AreRejectedWithTheFix()
    {
        var m = new DrumMultiplier(4, N);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => m.Multiply(256, 1));
        Assert.Contains("2^8", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Multiply(1, -256));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DrumMultiplier(1, N));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DrumMultiplier(9, N));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TruncatedMultiplier(16, false, N));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExactMultiplier(1));
    }
}
