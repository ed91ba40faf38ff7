using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// Batch norm folded into the convolution at inference (<c>fuse_conv_bn_eval</c>): the fused convolution's weight and bias are
/// the closed form, its output equals conv then batch norm in eval mode, and misuse (training mode, wrong pairs, fake-quantized
/// convolutions) is refused before anything changes.
/// </summary>
public class FusionTests
{
    // A batch norm with statistics and affine parameters far from the identity, so a wrong fold shows.
    private static BatchNorm2d TrainedBn(int c, int seed)
    {
        var g = new Generator(seed);
        var bn = new BatchNorm2d(c, eps: 1e-3f);
        using (Torch.NoGrad())
        {
            bn.RunningMean!.CopyFrom(Tensor.Randn([c], g));
            bn.RunningVar!.CopyFrom(Tensor.Rand([c], g) * 3f + 0.05f);
            bn.Weight!.CopyFrom(Tensor.Randn([c], g));
            bn.Bias!.CopyFrom(Tensor.Randn([c], g));
        }
        bn.Eval();
        return bn;
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Equal(e.Length, a.Length);
        float scale = e.Max(MathF.Abs);
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(e[i] - a[i]) <= 2e-6f * scale + 1e-6f, $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Theory]
    // (in, out, kernel, stride, padding, dilation, groups, bias)
    [InlineData(3, 5, 3, 1, 1, 1, 1, false)]
    [InlineData(4, 6, 3, 2, 1, 1, 2, true)]
    [InlineData(6, 3, 1, 1, 0, 1, 3, true)]
    [InlineData(5, 7, 3, 1, 2, 2, 1, true)]
    public void FusedConv_IsTheClosedForm_AndEqualsConvThenBatchNorm(int cin, int cout, int k, int stride, int pad, int dil, int groups, bool bias)
    {
        var gen = new Generator(cin * 10 + cout);
        var conv = new Conv2d(cin, cout, k, stride, pad, dil, groups, bias, generator: gen);
        conv.Eval();
        var bn = TrainedBn(cout, cin + cout);
        var fused = Fusion.FuseConvBnEval(conv, bn);

        // Closed form, in double: W' = W·γ/√(σ² + ε), b' = (b − μ)·γ/√(σ² + ε) + β.
        var w = conv.Weight.ToArray(); var fw = fused.Weight.ToArray(); var fb = fused.Bias!.ToArray();
        var mu = bn.RunningMean!.ToArray(); var v = bn.RunningVar!.ToArray(); var ga = bn.Weight!.ToArray(); var be = bn.Bias!.ToArray();
        var b = conv.Bias?.ToArray();
        int per = w.Length / cout;
        for (int o = 0; o < cout; o++)
        {
            double s = ga[o] / Math.Sqrt(v[o] + 1e-3);
            for (int i = 0; i < per; i++) Assert.Equal(w[o * per + i] * s, fw[o * per + i], 1e-5 * Math.Max(1, Math.Abs(w[o * per + i] * s)));
            Assert.Equal(((b?[o] ?? 0) - mu[o]) * s + be[o], fb[o], 1e-5 * Math.Max(1, Math.Abs(fb[o])));
        }

        var x = Tensor.Randn([3, cin, 9, 8], gen);
        using (Torch.NoGrad()) AssertClose(bn.Forward(conv.Forward(x)), fused.Forward(x));
        Assert.False(fused.Training);
    }

    [Fact]
    public void FoldBatchNorms_ReplacesThePairs_AndKeepsTheOutputs()
    {
        var gen = new Generator(3);
        var model = new Sequential(
            new Conv2d(3, 8, 3, padding: 1, bias: false, generator: gen), TrainedBn(8, 1), new ReLU(),
            new Conv2d(8, 4, 3, stride: 2, padding: 1, generator: gen), TrainedBn(4, 2), new ReLU());
        model.Eval();
        var x = Tensor.Randn([2, 3, 10, 10], gen);
        Tensor before;
        using (Torch.NoGrad()) before = model.Forward(x);
        Assert.Equal(2, Fusion.FoldBatchNorms(model, [("0", "1"), ("3", "4")]));
        Assert.IsType<Identity>(model.GetSubmodule("1"));
        Assert.IsType<Identity>(model.GetSubmodule("4"));
        Assert.DoesNotContain(model.Modules(), m => m is BatchNorm2d);
        using (Torch.NoGrad()) AssertClose(before, model.Forward(x));
    }

    [Fact]
    public void Misuse_IsRefused_AndLeavesTheModelUnchanged()
    {
        var gen = new Generator(4);
        var model = new Sequential(new Conv2d(3, 8, 3, generator: gen), TrainedBn(8, 1), new Conv2d(8, 4, 3, generator: gen), TrainedBn(4, 2));

        model.Train();
        var training = Assert.Throws<InvalidOperationException>(() => Fusion.FoldBatchNorms(model, [("0", "1")]));
        Assert.Contains("Eval()", training.Message);

        model.Eval();
        // The second pair is wrong (the 8-feature batch norm after the 4-channel convolution): nothing is folded.
        var mismatch = Assert.Throws<ArgumentException>(() => Fusion.FoldBatchNorms(model, [("0", "1"), ("2", "1")]));
        Assert.Contains("twice", mismatch.Message);
        var wrongPair = Assert.Throws<ArgumentException>(() => Fusion.FoldBatchNorms(model, [("0", "3")]));
        Assert.Contains("4 features", wrongPair.Message);
        var notConv = Assert.Throws<ArgumentException>(() => Fusion.FoldBatchNorms(model, [("1", "3")]));
        Assert.Contains("not a Conv2d", notConv.Message);
        Assert.IsType<BatchNorm2d>(model.GetSubmodule("1"));
        Assert.IsType<BatchNorm2d>(model.GetSubmodule("3"));

        var noStats = new BatchNorm2d(8, trackRunningStats: false);
        noStats.Eval();
        var conv = new Conv2d(3, 8, 3, generator: gen);
        conv.Eval();
        Assert.Throws<InvalidOperationException>(() => Fusion.FuseConvBnEval(conv, noStats));

        var derived = new ScaledConv(3, 8);
        derived.Eval();
        Assert.Throws<NotSupportedException>(() => Fusion.FuseConvBnEval(derived, TrainedBn(8, 5)));
    }

    // A convolution that transforms its weight in forward, as fake-quantized ones do.
    private sealed class ScaledConv(int cin, int cout) : Conv2d(cin, cout, 3)
    {
        protected override Tensor ForwardCore(Tensor input) => Functional.Conv2d(input, Weight * 2f, Bias, Stride, Padding, Dilation, Groups);
    }
}
