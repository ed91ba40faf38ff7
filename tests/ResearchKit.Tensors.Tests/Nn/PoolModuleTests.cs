using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Tests.Parity;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// F.MaxPool2d / AvgPool2d / AdaptiveAvgPool2d and their modules: finite-difference gradients, PyTorch parity fixtures
/// (values, indices, gradients), reprs, unbatched input and error messages.
/// </summary>
public class PoolModuleTests
{
    /// <summary>A permutation of 0..n-1 scaled by 0.1: all values differ by ≥ 0.1, so no window max changes within eps 1e-2.</summary>
    private static Tensor Distinct(int seed, params int[] shape)
    {
        int n = 1;
        foreach (int s in shape) n *= s;
        var perm = Tensor.Randperm(n, new Generator(seed)).Float().Reshape(shape);
        return (perm * 0.1f).Detach().RequiresGrad_();
    }

    // ───────────────────────────── gradient checks ─────────────────────────────

    [Theory]
    [InlineData(3, 2, 1, 1, false)] // overlapping windows: gradients accumulate
    [InlineData(2, 2, 0, 1, true)]  // ceil mode: last window covers one row/column
    [InlineData(2, 1, 1, 2, false)] // dilation
    [InlineData(3, 3, 1, 1, true)]
    public void MaxPool2d_GradCheck(int k, int s, int p, int d, bool ceil)
    {
        var x = Distinct(1, 2, 2, 7, 6);
        GradCheck.Check(t => F.MaxPool2d(t[0], k, s, p, d, ceil), [x]);
    }

    [Theory]
    [InlineData(3, 2, 1, false, true, null)]
    [InlineData(3, 2, 1, false, false, null)]
    [InlineData(3, 2, 1, true, true, null)]
    [InlineData(3, 2, 1, true, false, null)]
    [InlineData(2, 1, 0, false, true, null)]
    [InlineData(3, 2, 1, true, true, 5)]
    public void AvgPool2d_GradCheck(int k, int s, int p, bool ceil, bool countIncludePad, int? divisor)
    {
        var x = GradCheck.Leaf(2, 2, 2, 8, 7);
        GradCheck.Check(t => F.AvgPool2d(t[0], k, s, p, ceil, countIncludePad, divisor), [x]);
    }

    [Theory]
    [InlineData(7, 5, 3, 2)] // overlapping bins
    [InlineData(5, 4, 1, 1)] // global
    [InlineData(3, 3, 5, 4)] // upsampling: bins repeat input rows
    public void AdaptiveAvgPool2d_GradCheck(int h, int w, int oh, int ow)
    {
        var x = GradCheck.Leaf(3, 2, 3, h, w);
        GradCheck.Check(t => F.AdaptiveAvgPool2d(t[0], (oh, ow)), [x]);
    }

    [Fact]
    public void AdaptiveAvgPool2d_Global_EqualsMean()
    {
        var x = GradCheck.Leaf(4, 2, 3, 5, 4).Detach();
        AssertClose.Equal(x.Mean([2, 3], keepDim: true), F.AdaptiveAvgPool2d(x, 1), 1e-6, 1e-6, "global average");
    }

    // ───────────────────────────── PyTorch parity ─────────────────────────────

    [Theory]
    [InlineData("maxpool2d")]
    [InlineData("maxpool2d_ceil")]
    public void MaxPool2d_MatchesPyTorch(string name)
    {
        var fx = Fixture.Load(name);
        var m = new MaxPool2d(fx.Pair("kernel_size"), fx.Pair("stride"), fx.Pair("padding"), fx.Pair("dilation"), fx.Bool("ceil_mode"));
        CheckParity(fx, m);

        var (y, idx) = m.ForwardWithIndices(fx["in.x"]);
        fx.AssertClose("out.y", y);
        Assert.Equal(DType.Int64, idx.DType);
        Assert.Equal(fx["out.indices"].Shape, idx.Shape);
        Assert.Equal(fx["out.indices"].ToInt64Array(), idx.ToInt64Array());
    }

    [Theory]
    [InlineData("avgpool2d")]
    [InlineData("avgpool2d_nopad_ceil")]
    [InlineData("avgpool2d_incpad_ceil")]
    public void AvgPool2d_MatchesPyTorch(string name)
    {
        var fx = Fixture.Load(name);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fx.Config.GetProperty("divisor_override").ValueKind);
        var m = new AvgPool2d(fx.Pair("kernel_size"), fx.Pair("stride"), fx.Pair("padding"), fx.Bool("ceil_mode"), fx.Bool("count_include_pad"));
        CheckParity(fx, m);
    }

    [Theory]
    [InlineData("adaptive_avgpool2d")]
    [InlineData("adaptive_avgpool2d_global")]
    public void AdaptiveAvgPool2d_MatchesPyTorch(string name)
    {
        var fx = Fixture.Load(name);
        CheckParity(fx, new AdaptiveAvgPool2d(fx.Pair("output_size")));
    }

    private static void CheckParity(Fixture fx, Module<Tensor, Tensor> m)
    {
        Assert.Empty(m.StateDict());
        m.LoadStateDict(fx.Params());
        var x = fx["in.x"].RequiresGrad_();
        var y = m.Forward(x);
        fx.AssertClose("out.y", y);
        y.Backward(fx["gout.y"]);
        fx.AssertClose("grad.in.x", x.Grad!);
    }

    // ───────────────────────────── indices, unbatched, grad mode ─────────────────────────────

    [Fact]
    public void MaxPool2dWithIndices_PointsAtTheMaxima()
    {
        var x = Distinct(5, 1, 2, 5, 5).Detach();
        var (y, idx) = F.MaxPool2dWithIndices(x, 3, 2, 1);
        var xv = x.ToArray();
        var yv = y.ToArray();
        var iv = idx.ToInt64Array();
        int outPlane = y.Size(2) * y.Size(3);
        for (int o = 0; o < yv.Length; o++)
            Assert.Equal(yv[o], xv[(o / outPlane) * 25 + (int)iv[o]]);
    }

    [Fact]
    public void UnbatchedInput_MatchesBatched()
    {
        var x = Distinct(6, 3, 7, 7);
        var y = new MaxPool2d(2, ceilMode: true).Forward(x);
        Assert.Equal([3, 4, 4], y.Shape.ToArray());
        AssertClose.Equal(F.MaxPool2d(x.Detach().Unsqueeze(0), 2, ceilMode: true).Squeeze(0), y, 0, 0, "unbatched max");
        y.Sum().Backward();
        Assert.Equal([3, 7, 7], x.Grad!.Shape.ToArray());
        Assert.Equal(16 * 3, x.Grad.ToArray().Sum());

        var (v, i) = new MaxPool2d(2).ForwardWithIndices(x.Detach());
        Assert.Equal([3, 3, 3], v.Shape.ToArray());
        Assert.Equal([3, 3, 3], i.Shape.ToArray());

        var a = GradCheck.Leaf(7, 2, 6, 6);
        Assert.Equal([2, 3, 3], new AvgPool2d(3, 2, 1).Forward(a).Shape.ToArray());
        Assert.Equal([2, 2, 2], new AdaptiveAvgPool2d(2).Forward(a).Shape.ToArray());
        AssertClose.Equal(F.AvgPool2d(a.Detach().Unsqueeze(0), 3, 2, 1).Squeeze(0), new AvgPool2d(3, 2, 1).Forward(a), 0, 0, "unbatched avg");
    }

    [Fact]
    public void NoGrad_RecordsNothing_AndDoubleBackwardIsRejected()
    {
        var x = GradCheck.Leaf(8, 1, 1, 4, 4);
        using (Torch.NoGrad())
        {
            Assert.Null(F.MaxPool2d(x, 2).GradFn);
            Assert.Null(F.AvgPool2d(x, 2).GradFn);
            Assert.Null(F.AdaptiveAvgPool2d(x, 2).GradFn);
        }
        Assert.Throws<NotSupportedException>(() => F.AvgPool2d(x, 2).Square().Sum().Backward(createGraph: true));
        Assert.Throws<NotSupportedException>(() => F.MaxPool2d(x, 2).Square().Sum().Backward(createGraph: true));
    }

    // ───────────────────────────── repr ─────────────────────────────

    [Fact]
    public void ExtraRepr_MatchesPyTorch()
    {
        // Strings printed by PyTorch 1.13 for the same constructor calls (pool modules keep the int/tuple spelling).
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Assert.Equal("MaxPool2d(kernel_size=(3, 3), stride=2, padding=1, dilation=1, ceil_mode=False)",
            new MaxPool2d((3, 3), stride: 2, padding: 1).ToString());
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)",
            new MaxPool2d(2, ceilMode: true, returnIndices: true).ToString());
        Assert.Equal("AvgPool2d(kernel_size=3, stride=2, padding=1)", new AvgPool2d(3, stride: 2, padding: 1).ToString());
        Assert.Equal("AvgPool2d(kernel_size=(2, 2), stride=(2, 2), padding=0)",
            new AvgPool2d((2, 2), ceilMode: true, countIncludePad: false).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=(3, 2))", new AdaptiveAvgPool2d((3, 2)).ToString());
    }

    // ───────────────────────────── errors ─────────────────────────────

    [Fact]
    public void PaddingLargerThanHalfKernel_Throws()
    {
        var m = Assert.Throws<ArgumentException>(() => new MaxPool2d(3, padding: 2));
        Assert.Contains("MaxPool2d: padding (2, 2) must be at most half of kernel_size (3, 3)", m.Message);
        var a = Assert.Throws<ArgumentException>(() => new AvgPool2d(2, padding: (0, 2)));
        Assert.Contains("AvgPool2d: padding (0, 2) must be at most half", a.Message);
        var f = Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(1, 1, 6, 6), 2, padding: 2));
        Assert.StartsWith("MaxPool2d: padding (2, 2) must be at most half of kernel_size (2, 2)", f.Message);
        Assert.Contains("input (1, 1, 6, 6)", f.Message);
    }

    [Fact]
    public void WindowLargerThanInput_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new MaxPool2d(3).Forward(Tensor.Zeros(4, 8, 2, 2)));
        Assert.StartsWith("MaxPool2d: output size 0x0 is too small for input 2x2", e.Message);
        Assert.Contains("input (4, 8, 2, 2)", e.Message);
        var a = Assert.Throws<ArgumentException>(() => F.AvgPool2d(Tensor.Zeros(1, 1, 1, 5), 2));
        Assert.StartsWith("AvgPool2d: output size 0x2", a.Message);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var rank = Assert.Throws<ArgumentException>(() => new MaxPool2d(2).Forward(Tensor.Zeros(4, 16)));
        Assert.Contains("MaxPool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape (4, 16)", rank.Message);
        Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool2d(1).Forward(Tensor.Zeros(2, 2)));
        var div = Assert.Throws<ArgumentException>(() => new AvgPool2d(2, divisorOverride: 0));
        Assert.Contains("divisor_override must be non-zero", div.Message);
        Assert.Throws<ArgumentException>(() => F.AvgPool2d(Tensor.Zeros(1, 1, 4, 4), 2, divisorOverride: 0));
        var o = Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool2d((0, 2)));
        Assert.Contains("output_size must be positive, got (0, 2)", o.Message);
        Assert.Throws<ArgumentException>(() => F.AdaptiveAvgPool2d(Tensor.Zeros(1, 1, 4, 4), (2, 0)));
        Assert.Throws<ArgumentException>(() => new MaxPool2d(0));
        Assert.Throws<ArgumentException>(() => new MaxPool2d(2, stride: 0));
        Assert.Throws<ArgumentException>(() => new MaxPool2d(2, dilation: 0));
        Assert.Throws<ArgumentException>(() => new AvgPool2d(2, padding: -1));
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.ZerosInt64(1, 1, 4, 4), 2));
    }
}
