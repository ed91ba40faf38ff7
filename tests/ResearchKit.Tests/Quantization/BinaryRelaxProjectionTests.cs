using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

/// <summary>
/// The projections of Binary-Relax: hand-computed cases (the 4-bit one against the BinaryRelax code's 'fbit' rule, boundaries
/// included) and properties over seeded random tensors (ResearchKit.Tests has no FsCheck; the loops follow AttackPropertyTests).
/// </summary>
public class BinaryRelaxProjectionTests
{
    [Fact]
    public void Binary_SignTimesMeanAbs_ZeroGoesToPlusAlpha()
    {
        // mean|w| = (0.5 + 1.5 + 0 + 0.2)/4 = 0.55; the 0 maps to +α (torch.sign would give 0).
        var w = Tensor.FromArray([0.5f, -1.5f, 0f, -0.2f], 2, 2);
        var p = new BinaryProjection();
        Close([0.55f, -0.55f, 0.55f, -0.55f], p.Project(w).ToArray());
        Assert.Equal(new[] { 2, 2 }, p.Project(w).Shape.ToArray());
        Close([-0.55f, 0.55f], p.Grid(w).Shared);
        Assert.Equal(1, p.BitWidth);
    }

    [Fact]
    public void Ternary_TwnAndCodeScales_HandComputed()
    {
        // mean|w| = (0.1 + 0.9 + 0.5 + 1.2 + 0.3 + 0)/6 = 0.5 → Δ = 0.35; kept: −0.9, 0.5, 1.2 (Σ = 2.6).
        // TWN: s = 2.6/3 = 0.866667; the BinaryRelax code: s = 2.6/6 = 0.433333.
        var w = Tensor.FromArray([0.1f, -0.9f, 0.5f, 1.2f, -0.3f, 0f], 2, 3);
        float twn = 2.6f / 3f, all = 2.6f / 6f;
        Close([0f, -twn, twn, twn, 0f, 0f], new TernaryProjection().Project(w).ToArray());
        Close([0f, -all, all, all, 0f, 0f], new TernaryProjection(TernaryScale.MeanOfAll).Project(w).ToArray());
        Close([-twn, 0f, twn], new TernaryProjection().Grid(w).Shared);
        Assert.Equal(2, new TernaryProjection().BitWidth);
    }

    [Fact]
    public void Ternary_KeepsAWeightExactlyAtTheThreshold()
    {
        // 0.35f + 1 + 0.15f + 0.5 = 2 exactly in double (0.35f and 0.15f round in opposite directions by the same amount),
        // so mean|w| = 0.5 and Δ = 0.7f·0.5 = 0.35f: the first weight sits on Δ and is kept (|w| ≥ Δ, the BinaryRelax code),
        // 0.15 is dropped. s = (0.35 + 1 + 0.5)/3 = 0.616667.
        var w = Tensor.FromArray([0.35f, -1f, 0.15f, 0.5f]);
        var proj = new TernaryProjection();
        var (delta, s) = proj.Thresholds(w.ToArray());
        Assert.Equal(0.35f, delta);
        Close([s, -s, 0f, s], proj.Project(w).ToArray());
        Assert.Equal(1.85f / 3f, s, 5);
    }

    [Fact]
    public void FourBit_MatchesTheFbitRule_IncludingBoundaries()
    {
        // max|w| = 15 → Δ = 1 (exact in float), so the boundaries (2k±1)Δ = 1, 3, 5, …, 13 are exact.
        // q: 15 → 7 (> 13Δ); 1 → 0 (≤ Δ); 1.5 → 1; 3 → 1 (≤ 3Δ); 3.5 → 2; 5 → 2 (≤ 5Δ); 13 → 6 (≤ 13Δ); 13.5 → 7;
        //    0 → 0; 0.5 → 0; 7 → 3 (≤ 7Δ); 9.2 → 5 (9 < 9.2 ≤ 11).
        var v = new[] { 15f, -1f, 1.5f, -3f, 3.5f, 5f, -13f, 13.5f, 0f, 0.5f, -7f, 9.2f };
        int[] expected = [7, 0, 1, -1, 2, 2, -6, 7, 0, 0, -3, 5];
        // α = Σ|w|q / Σq²: Σ|w|q = 105 + 1.5 + 3 + 7 + 10 + 78 + 94.5 + 21 + 46 = 366; Σq² = 49+1+1+4+4+36+49+9+25 = 178.
        float alpha = 366f / 178f;
        var proj = new SignMagnitudeProjection(4);
        var (codes, a) = proj.Codes(v);
        Assert.Equal(expected, codes);
        Assert.Equal(alpha, a, 5);
        Close(expected.Select(q => alpha * q).ToArray(), proj.Project(Tensor.FromArray(v)).ToArray());
        Assert.Equal(7, proj.Levels);
        Assert.Equal(15, proj.Grid(Tensor.FromArray(v)).Shared.Length);
        Assert.Equal("4-bit", proj.Name);
    }

    [Fact]
    public void FourBit_ScalingByAPowerOfTwo_KeepsTheCodesAndScalesAlpha()
    {
        // Halving is exact in float, so Δ and every threshold halve too: same codes (boundary values included), α/2.
        var v = new[] { 15f, -1f, 1.5f, -3f, 3.5f, 5f, -13f, 13.5f, 0f, 0.5f, -7f, 9.2f };
        var proj = new SignMagnitudeProjection(4);
        var (c1, a1) = proj.Codes(v);
        var (c2, a2) = proj.Codes(v.Select(x => x * 0.5f).ToArray());
        Assert.Equal(c1, c2);
        Assert.Equal(a1 / 2f, a2, 6);
    }

    [Fact]
    public void TwoBitSignMagnitude_AndAllZeroTensors()
    {
        // b = 2: L = 1, Δ = max/3 = 1; q = 1 above (2L−1)Δ = 1: [3, −1, 1.5, −0.9] → [1, 0, 1, 0], α = (3 + 1.5)/2 = 2.25.
        var (codes, a) = new SignMagnitudeProjection(2).Codes([3f, -1f, 1.5f, -0.9f]);
        Assert.Equal(new[] { 1, 0, 1, 0 }, codes);
        Assert.Equal(2.25f, a, 6);
        var zero = Tensor.Zeros(2, 3);
        foreach (var p in new IWeightProjection[] { new BinaryProjection(), new TernaryProjection(), new SignMagnitudeProjection(4) })
            Assert.All(p.Project(zero).ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void BadArguments_AreRefusedWithTheFix()
    {
        Assert.Contains("[2, 8]", Assert.Throws<ArgumentException>(() => new SignMagnitudeProjection(1)).Message);
        Assert.Contains("[2, 8]", Assert.Throws<ArgumentException>(() => new SignMagnitudeProjection(9)).Message);
        Assert.Contains("thresholdFactor", Assert.Throws<ArgumentException>(() => new TernaryProjection(thresholdFactor: 0f)).Message);
        Assert.Contains("TernaryScale", Assert.Throws<ArgumentException>(() => new TernaryProjection((TernaryScale)7)).Message);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => new BinaryProjection().Project(Tensor.FromArray(new long[] { 1, 2 }, [2]))).Message);
    }

    public static TheoryData<int> Seeds => new() { 1, 2, 3, 4, 5, 6, 7, 8 };

    /// <summary>A random weight tensor: size, scale and a few exact zeros vary with the seed.</summary>
    private static float[] RandomWeights(int seed)
    {
        var rng = new Random(seed);
        int n = 1 + rng.Next(60);
        float scale = (float)Math.Pow(10, rng.NextDouble() * 4 - 3);
        var g = new Generator(seed);
        var w = (Tensor.Randn([n], g) * scale).ToArray();
        if (n > 3) w[rng.Next(n)] = 0f;
        return w;
    }

    private static IEnumerable<IWeightProjection> AllProjections()
    {
        yield return new BinaryProjection();
        yield return new TernaryProjection();
        yield return new TernaryProjection(TernaryScale.MeanOfAll);
        for (int b = 2; b <= 8; b++) yield return new SignMagnitudeProjection(b);
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Projections_AreIdempotent(int seed)
    {
        var w = Tensor.FromArray(RandomWeights(seed));
        foreach (var p in new IWeightProjection[] { new BinaryProjection(), new TernaryProjection(), new SignMagnitudeProjection(3), new SignMagnitudeProjection(4), new SignMagnitudeProjection(8) })
        {
            var once = p.Project(w).ToArray();
            float tol = 1e-5f * Math.Max(1f, once.Max(MathF.Abs));
            Close(once, p.Project(Tensor.FromArray(once)).ToArray(), tol);
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void TernaryMeanOfAll_ShrinksByTheKeptFraction(int seed)
    {
        // The BinaryRelax code's scale is not idempotent: applied again, s becomes s·kept/n (documented on TernaryScale).
        var w = RandomWeights(seed);
        var p = new TernaryProjection(TernaryScale.MeanOfAll);
        var once = p.Project(Tensor.FromArray(w)).ToArray();
        int kept = once.Count(x => x != 0f);
        float s = once.Max(MathF.Abs);
        float s2 = p.Project(Tensor.FromArray(once)).ToArray().Max(MathF.Abs);
        Assert.Equal(s * kept / w.Length, s2, 1e-6f * Math.Max(1f, s));
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Projections_LieOnTheirGrid(int seed)
    {
        var w = Tensor.FromArray(RandomWeights(seed));
        foreach (var p in AllProjections())
        {
            var levels = p.Grid(w).Shared;
            foreach (var x in p.Project(w).ToArray())
                Assert.True(levels.Contains(x), $"{p.Name}: {x:G9} is not a level of [{string.Join(", ", levels)}]");
            Assert.Equal(p is BinaryProjection ? 2 : p is TernaryProjection ? 3 : (1 << p.BitWidth) - 1, levels.Length);
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void SignMagnitude_AlphaIsTheLeastSquaresScale_AndSmallWeightsAreZero(int seed)
    {
        var w = RandomWeights(seed);
        for (int b = 2; b <= 8; b++)
        {
            var proj = new SignMagnitudeProjection(b);
            var (codes, a) = proj.Codes(w);
            double Err(double alpha) => w.Select((x, i) => Math.Pow(x - alpha * codes[i], 2)).Sum();
            double best = Err(a);
            foreach (var f in new[] { 0.99, 1.01 }) Assert.True(best <= Err(a * f) + 1e-12, $"b = {b}: α = {a} is not least squares");
            float delta = w.Max(MathF.Abs) / (2 * proj.Levels + 1);
            for (int i = 0; i < w.Length; i++)
            {
                Assert.True(Math.Abs(codes[i]) <= proj.Levels);
                if (MathF.Abs(w[i]) <= delta) Assert.Equal(0, codes[i]);
                else Assert.Equal(MathF.Sign(w[i]), Math.Sign(codes[i]));
            }
        }
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Binary_IsTheNearestScaledSignVector(int seed)
    {
        // P(w) minimizes ‖w − c·s‖ over c ≥ 0 and s ∈ {±1}ⁿ: compare with random competitors.
        var w = RandomWeights(seed);
        var p = new BinaryProjection().Project(Tensor.FromArray(w)).ToArray();
        double Dist(float[] q) => w.Select((x, i) => Math.Pow(x - q[i], 2)).Sum();
        var rng = new Random(seed + 100);
        float a = p.Max(MathF.Abs);
        for (int t = 0; t < 50; t++)
        {
            float c = a * (float)(0.5 + rng.NextDouble());
            var q = w.Select(x => (rng.Next(4) == 0 ? -1 : 1) * (x >= 0 ? c : -c)).ToArray();
            Assert.True(Dist(p) <= Dist(q) + 1e-9, $"competitor {t} is closer");
        }
    }
}
