using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>Initializer laws (bounds, standard deviations), fans, gains, orthogonality and error paths.</summary>
public class InitTests
{
    private static (double Mean, double Std, float Min, float Max) Stats(Tensor t)
    {
        var v = t.ToArray();
        double m = 0; foreach (float x in v) m += x; m /= v.Length;
        double s = 0; foreach (float x in v) s += (x - m) * (x - m);
        float lo = float.MaxValue, hi = float.MinValue;
        foreach (float x in v) { lo = Math.Min(lo, x); hi = Math.Max(hi, x); }
        return (m, Math.Sqrt(s / (v.Length - 1)), lo, hi);
    }

    private static void AssertUniform(Tensor t, double bound)
    {
        var (mean, std, lo, hi) = Stats(t);
        Assert.True(lo >= -bound && hi <= bound, $"range [{lo}, {hi}] exceeds ±{bound}");
        Assert.True(lo < -0.98 * bound && hi > 0.98 * bound, $"range [{lo}, {hi}] does not reach ±{bound}");
        Assert.True(Math.Abs(mean) < 0.02 * bound, $"mean {mean}");
        Assert.Equal(bound / Math.Sqrt(3), std, bound / Math.Sqrt(3) * 0.03);
    }

    private static void AssertNormalStd(Tensor t, double std)
    {
        var (mean, s, _, _) = Stats(t);
        Assert.True(Math.Abs(mean) < 0.03 * std, $"mean {mean}");
        Assert.Equal(std, s, std * 0.03);
    }

    [Fact]
    public void FanInAndOut_LinearAndConvShapes()
    {
        Assert.Equal((7, 5), Init.CalculateFanInAndFanOut(Tensor.Zeros(5, 7)));
        Assert.Equal((8 * 9, 16 * 9), Init.CalculateFanInAndFanOut(Tensor.Zeros(16, 8, 3, 3)));
        Assert.Equal((4 * 5, 2 * 5), Init.CalculateFanInAndFanOut(Tensor.Zeros(2, 4, 5)));
        var ex = Assert.Throws<ArgumentException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros(5)));
        Assert.Contains("fewer than 2 dimensions", ex.Message);
        Assert.Contains("(5,)", ex.Message);
        Assert.Throws<ArgumentException>(() => Init.KaimingUniform_(Tensor.Zeros(5)));
        Assert.Throws<ArgumentException>(() => Init.XavierNormal_(Tensor.Zeros(5)));
    }

    [Fact]
    public void Gains_MatchPyTorch()
    {
        Assert.Equal(1f, Init.CalculateGain("linear"));
        Assert.Equal(1f, Init.CalculateGain("conv2d"));
        Assert.Equal(1f, Init.CalculateGain("sigmoid"));
        Assert.Equal(5f / 3f, Init.CalculateGain("tanh"));
        Assert.Equal(MathF.Sqrt(2f), Init.CalculateGain("relu"));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.01 * 0.01)), Init.CalculateGain("leaky_relu"), 1e-6);
        Assert.Equal(Math.Sqrt(2 / 6.0), Init.CalculateGain("leaky_relu", MathF.Sqrt(5f)), 1e-6);
        Assert.Equal(0.75f, Init.CalculateGain("selu"));
        var ex = Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
        Assert.Contains("'swish'", ex.Message);
        Assert.Contains("leaky_relu", ex.Message);
    }

    [Fact]
    public void KaimingAndXavier_UniformBounds()
    {
        var g = new Generator(1);
        AssertUniform(Init.KaimingUniform_(Tensor.Zeros(256, 128), generator: g), Math.Sqrt(6.0 / 128));
        AssertUniform(Init.KaimingUniform_(Tensor.Zeros(64, 32, 3, 3), mode: "fan_out", nonlinearity: "relu", generator: g), Math.Sqrt(6.0 / (64 * 9)));
        AssertUniform(Init.XavierUniform_(Tensor.Zeros(200, 100), generator: g), Math.Sqrt(6.0 / 300));
        AssertUniform(Init.XavierUniform_(Tensor.Zeros(200, 100), gain: 2f, generator: g), 2 * Math.Sqrt(6.0 / 300));
        AssertUniform(Init.Uniform_(Tensor.Zeros(100, 100), -0.3f, 0.3f, g), 0.3);
        // Linear's default (kaiming_uniform_ with a = √5) is U(±1/√in) for weight and bias.
        var lin = new Linear(400, 300);
        AssertUniform(lin.Weight, 1 / Math.Sqrt(400));
        var (_, _, lo, hi) = Stats(lin.Bias!);
        Assert.True(lo >= -0.05f && hi <= 0.05f && hi - lo > 0.09f);
        Assert.Throws<ArgumentException>(() => Init.KaimingUniform_(Tensor.Zeros(3, 3), mode: "fan_avg"));
    }

    [Fact]
    public void KaimingAndXavier_NormalStd()
    {
        var g = new Generator(2);
        AssertNormalStd(Init.KaimingNormal_(Tensor.Zeros(128, 64, 3, 3), mode: "fan_out", nonlinearity: "relu", generator: g), Math.Sqrt(2.0 / (128 * 9)));
        AssertNormalStd(Init.KaimingNormal_(Tensor.Zeros(300, 200), generator: g), Math.Sqrt(2.0 / 200));
        AssertNormalStd(Init.XavierNormal_(Tensor.Zeros(300, 200), generator: g), Math.Sqrt(2.0 / 500));
        AssertNormalStd(Init.Normal_(Tensor.Zeros(200, 200), 0f, 0.02f, g), 0.02);
    }

    [Fact]
    public void TruncNormal_StaysInBoundsWithTruncatedStd()
    {
        var t = Init.TruncNormal_(Tensor.Zeros(200, 200), generator: new Generator(3));
        var (mean, std, lo, hi) = Stats(t);
        Assert.True(lo >= -2f && hi <= 2f);
        Assert.True(Math.Abs(mean) < 0.01);
        Assert.Equal(0.8796, std, 0.01);   // std of N(0,1) truncated to ±2
        // A far tail interval uses the inverse-CDF path and still respects the bounds.
        var tail = Init.TruncNormal_(Tensor.Zeros(1000), 0f, 1f, 3f, 3.5f, new Generator(4)).ToArray();
        Assert.All(tail, v => Assert.InRange(v, 3f, 3.5f));
        Assert.Throws<ArgumentException>(() => Init.TruncNormal_(Tensor.Zeros(3), a: 1f, b: 1f));
    }

    [Theory]
    [InlineData(new[] { 6, 10 })]
    [InlineData(new[] { 10, 6 })]
    [InlineData(new[] { 8, 2, 3, 3 })]
    [InlineData(new[] { 5, 5 })]
    public void Orthogonal_GivesOrthonormalRowsOrColumns(int[] shape)
    {
        var w = Init.Orthogonal_(Tensor.Zeros(shape), gain: 2f, generator: new Generator(5));
        int rows = shape[0], cols = w.Numel / rows;
        var m = w.Reshape(rows, cols) * 0.5f;
        var gram = rows <= cols ? m.Matmul(m.T) : m.T.Matmul(m);
        AssertClose.Equal(Tensor.Eye(Math.Min(rows, cols)).ToArray(), gram.ToArray(), 0, 2e-6, "gram");
        Assert.Throws<ArgumentException>(() => Init.Orthogonal_(Tensor.Zeros(4)));
    }

    [Fact]
    public void ConstantZerosOnesEye_AndNoGradOnParameters()
    {
        var p = Tensor.Randn([3, 4]).RequiresGrad_();
        Init.Constant_(p, 0.5f);
        Assert.All(p.ToArray(), v => Assert.Equal(0.5f, v));
        Assert.All(Init.Zeros_(p).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Init.Ones_(p).ToArray(), v => Assert.Equal(1f, v));
        Assert.Equal(Tensor.Eye(3, 4).ToArray(), Init.Eye_(p).ToArray());
        Assert.True(p.RequiresGrad && p.IsLeaf);
        Assert.Throws<ArgumentException>(() => Init.Eye_(Tensor.Zeros(2, 2, 2)));
        // A non-contiguous view is written through.
        var big = Tensor.Zeros(4, 4);
        Init.Ones_(big.T.Slice(0, 0, 2));
        Assert.Equal(8f, big.Sum().Item());
        Init.Normal_(big.T, generator: new Generator(1));
        Assert.DoesNotContain(0f, big.ToArray());
    }

    [Fact]
    public void SameGeneratorSeed_SameValues()
    {
        var a = Init.KaimingUniform_(Tensor.Zeros(5, 7), generator: new Generator(42)).ToArray();
        var b = Init.KaimingUniform_(Tensor.Zeros(5, 7), generator: new Generator(42)).ToArray();
        var c = Init.KaimingUniform_(Tensor.Zeros(5, 7), generator: new Generator(43)).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
