using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Optim;

/// <summary><see cref="ClipGrad"/> against direct double-precision computations (lives with the optimizer tests).</summary>
public class ClipGradTests
{
    private static Tensor[] WithGrads(int seed, float scale = 1f)
    {
        var g = new Generator(seed);
        var ps = new[] { Tensor.Zeros(5, 7).RequiresGrad_(), Tensor.Zeros(33).RequiresGrad_(), Tensor.Zeros(2, 3).RequiresGrad_() };
        foreach (var p in ps) p.Grad = Tensor.Randn(p.Shape.ToArray(), g) * scale;
        return ps;
    }

    private static double[] All(Tensor[] ps) => ps.SelectMany(p => p.Grad!.ToArray()).Select(x => (double)x).ToArray();

    private static double DirectNorm(double[] x, double p) => p switch
    {
        double.PositiveInfinity => x.Max(Math.Abs),
        double.NegativeInfinity => x.Min(Math.Abs),
        0 => x.Count(v => v != 0),
        _ => Math.Pow(x.Sum(v => Math.Pow(Math.Abs(v), p)), 1 / p),
    };

    [Theory]
    [InlineData(2.0)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    [InlineData(double.PositiveInfinity)]
    public void ClipsToMaxNormAndReturnsTheTotalNorm(double p)
    {
        var ps = WithGrads(1, 3f);
        var before = All(ps);
        double expected = DirectNorm(before, p); // the norm of per-parameter norms equals the norm of all elements
        double maxNorm = expected / 4;
        var total = ClipGrad.ClipGradNorm_(ps, maxNorm, p);
        Assert.Equal(0, total.Dim);
        Assert.True(Math.Abs(total.Item() - expected) <= 1e-6 * expected, $"norm {total.Item()} vs {expected}");
        double coef = maxNorm / (expected + 1e-6);
        var after = All(ps);
        for (int i = 0; i < after.Length; i++) Assert.True(Math.Abs(after[i] - before[i] * coef) <= 1e-6 * Math.Abs(before[i]) + 1e-9, $"element {i}");
        Assert.True(Math.Abs(DirectNorm(after, p) - maxNorm) <= 1e-5 * maxNorm);
    }

    [Fact]
    public void ALongGradient_ClipsToTheSameBitsAtEveryThreadCount_AndTheNormIsTheExactOne()
    {
        // Long enough for the blocked norm and the split scaling; its length is no multiple of a block.
        int n = 3 * ClipGrad.NormBlock + 777;
        float[] g0 = Tensor.Randn([n], new Generator(8)).ToArray();
        double exact = Math.Sqrt(g0.Sum(v => (double)v * v));
        (float[] Grad, float Total)? first = null;
        foreach (int threads in new[] { 1, 2, 3, 5 })
        {
            int saved = ResearchKit.Tensors.Kernels.Parallelism.Threads;
            try
            {
                ResearchKit.Tensors.Kernels.Parallelism.Threads = threads;
                var p = Tensor.Zeros([n]).RequiresGrad_();
                p.Grad = Tensor.FromArray((float[])g0.Clone(), n);
                float total = ClipGrad.ClipGradNorm_([p], 1.0).Item();
                var got = (p.Grad.ToArray(), total);
                first ??= got;
                Assert.Equal(first.Value.Total, got.total);
                Assert.Equal(first.Value.Grad, got.Item1);
            }
            finally { ResearchKit.Tensors.Kernels.Parallelism.Threads = saved; }
        }
        Assert.Equal((float)exact, first!.Value.Total, (float)(exact * 1e-6));
        // Scaled to norm 1 (up to the 1e-6 PyTorch adds to the denominator), element by element.
        float coef = 1f / (first.Value.Total + 1e-6f);
        for (int i = 0; i < n; i += 997) Assert.Equal(g0[i] * coef, first.Value.Grad[i]);
    }

    [Fact]
    public void LeavesSmallGradientsBitIdentical()
    {
        var ps = WithGrads(2);
        var before = All(ps);
        var total = ClipGrad.ClipGradNorm_(ps, 1e6);
        Assert.Equal(before, All(ps));
        Assert.True(Math.Abs(total.Item() - DirectNorm(before, 2)) <= 1e-6 * total.Item());
    }

    [Fact]
    public void NegativeInfinityAndZeroNorms()
    {
        var ps = WithGrads(3);
        var x = All(ps);
        Assert.Equal((float)DirectNorm(x, double.NegativeInfinity), ClipGrad.ClipGradNorm_(ps, 1e9, double.NegativeInfinity).Item());
        // p = 0 (count of non-zeros) of the per-parameter counts is, as in PyTorch, the number of parameters
        // with a non-zero gradient, not the global count.
        Assert.Equal(3f, ClipGrad.ClipGradNorm_(ps, 1e9, 0).Item());
        ps[1].Grad!.Zero_();
        Assert.Equal(2f, ClipGrad.ClipGradNorm_(ps, 1e9, 0).Item());
    }

    [Fact]
    public void SkipsParametersWithoutGradients()
    {
        var ps = WithGrads(4);
        ps[1].Grad = null;
        var expected = DirectNorm(All([ps[0], ps[2]]), 2);
        Assert.True(Math.Abs(ClipGrad.ClipGradNorm_(ps, 0.5).Item() - expected) <= 1e-6 * expected);
        Assert.Null(ps[1].Grad);
        Assert.Equal(0f, ClipGrad.ClipGradNorm_([Tensor.Zeros(3).RequiresGrad_()], 1.0).Item());
    }

    [Fact]
    public void NonFiniteNormThrowsOnRequestElsePropagates()
    {
        var ps = WithGrads(5);
        ps[0].Grad!.AsSpan()[3] = float.NaN;
        var e = Assert.Throws<InvalidOperationException>(() => ClipGrad.ClipGradNorm_(ps, 1.0, errorIfNonfinite: true));
        Assert.Contains("The total norm of order 2.0 for gradients from `parameters` is non-finite", e.Message);
        Assert.Contains("errorIfNonfinite", e.Message);
        var clean = All(ps);
        Assert.Equal(clean.Where(v => !double.IsNaN(v)), All(ps).Where(v => !double.IsNaN(v))); // unchanged after the throw
        Assert.True(float.IsNaN(ClipGrad.ClipGradNorm_(ps, 1.0).Item()));
        Assert.All(All(ps), v => Assert.True(double.IsNaN(v))); // scaled by the NaN coefficient, as in PyTorch

        var inf = WithGrads(6);
        inf[2].Grad!.AsSpan()[0] = float.NegativeInfinity;
        Assert.Throws<InvalidOperationException>(() => ClipGrad.ClipGradNorm_(inf, 1.0, double.PositiveInfinity, errorIfNonfinite: true));
        Assert.Equal(float.PositiveInfinity, ClipGrad.ClipGradNorm_(inf, 1.0, double.PositiveInfinity).Item());
        Assert.Equal(0f, inf[0].Grad!.ToArray()[1]); // coefficient 1/(inf) · max_norm = 0
    }

    [Fact]
    public void ClipGradValueClamps()
    {
        var ps = WithGrads(7, 2f);
        ps[1].Grad!.AsSpan()[20] = float.NaN;
        var before = All(ps);
        ClipGrad.ClipGradValue_(ps, 0.75);
        var after = All(ps);
        for (int i = 0; i < after.Length; i++)
        {
            if (double.IsNaN(before[i])) { Assert.True(double.IsNaN(after[i])); continue; }
            Assert.Equal((float)Math.Clamp(before[i], -0.75, 0.75), (float)after[i]);
        }
        Assert.Contains(after, v => v == 0.75);
        Assert.Contains(after, v => v == -0.75);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var ps = WithGrads(8);
        Assert.Contains("maxNorm must be a non-negative number, got -1.0", Assert.Throws<ArgumentOutOfRangeException>(() => ClipGrad.ClipGradNorm_(ps, -1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipGrad.ClipGradNorm_(ps, 1, double.NaN));
        Assert.Contains("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => ClipGrad.ClipGradValue_(ps, -0.5)).Message);
    }
}
