using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.Core;

/// <summary>cumsum, cumprod and F.pad (constant, reflect, replicate, circular): values (PyTorch numbers baked in), gradients, errors.</summary>
public class ScanPadTests
{
    private static float[] Range(int n) { var r = new float[n]; for (int i = 0; i < n; i++) r[i] = i; return r; }

    // ───────── cumsum / cumprod ─────────

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(-1)]
    public void Cumsum_MatchesNaive_OnTransposedView(int dim)
    {
        var x = Tensor.Uniform([5, 3, 4], -1f, 1f, new Generator(1)).Permute(2, 1, 0); // (4, 3, 5) non-contiguous
        int d = dim < 0 ? dim + 3 : dim;
        var y = x.Cumsum(dim);
        var shape = x.Shape.ToArray();
        var p = new int[3];
        for (int a = 0; a < shape[0]; a++) for (int b = 0; b < shape[1]; b++) for (int c = 0; c < shape[2]; c++)
        {
            p[0] = a; p[1] = b; p[2] = c;
            double s = 0;
            var q = (int[])p.Clone();
            for (int t = 0; t <= p[d]; t++) { q[d] = t; s += x[q]; }
            Assert.Equal((float)s, y[p]);
        }
    }

    [Fact]
    public void Cumsum_Int64_And_GradCheck()
    {
        var l = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3).Cumsum(0);
        Assert.Equal(DType.Int64, l.DType);
        Assert.Equal(new long[] { 1, 2, 3, 5, 7, 9 }, l.ToInt64Array());
        GradCheck.Check(t => t[0].Cumsum(1), [GradCheck.Leaf(2, 3, 4)]);
        GradCheck.Check(t => t[0].T.Cumsum(-1), [GradCheck.Leaf(3, 3, 4)]);
        // The gradient is the reversed cumulative sum of g.
        var x = GradCheck.Leaf(4, 4);
        x.Cumsum(0).Backward(Tensor.FromArray([1f, 2, 3, 4]));
        Assert.Equal(new[] { 10f, 9, 7, 4 }, x.Grad!.ToArray());
    }

    [Fact]
    public void Cumprod_Values_And_ZeroAwareGradient()
    {
        Assert.Equal(new[] { 2f, 0, 0, 0 }, Tensor.FromArray([2f, 0, -1, 3]).Cumprod(0).ToArray());
        Assert.Equal(new long[] { 2, 6, 24 }, Tensor.FromArray(new long[] { 2, 3, 4 }).Cumprod(0).ToInt64Array());
        GradCheck.Check(t => t[0].Cumprod(1), [GradCheck.PositiveLeaf(5, 3, 4)]);
        GradCheck.Check(t => t[0].T.Cumprod(0), [GradCheck.Leaf(6, 3, 4)]);
        // PyTorch: x=[3,0,2,0,5], g=[1..5] → [1, 24, 0, 0, 0];  x=[0,3,2,4], g=[1..4] → [121, 0, 0, 0].
        var x = Tensor.FromArray([3f, 0, 2, 0, 5]).RequiresGrad_();
        x.Cumprod(0).Backward(Tensor.FromArray([1f, 2, 3, 4, 5]));
        Assert.Equal(new[] { 1f, 24, 0, 0, 0 }, x.Grad!.ToArray());
        var z = Tensor.FromArray([0f, 3, 2, 4]).RequiresGrad_();
        z.Cumprod(0).Backward(Tensor.FromArray([1f, 2, 3, 4]));
        Assert.Equal(new[] { 121f, 0, 0, 0 }, z.Grad!.ToArray());
        // With a single zero inside, compare with finite differences too (the product is linear in each entry).
        var w = Tensor.FromArray([0.7f, -1.2f, 0f, 1.5f, 0.9f, 1.1f], 2, 3).RequiresGrad_();
        GradCheck.Check(t => t[0].Cumprod(1), [w]);
    }

    // ───────── constant pad ─────────

    [Fact]
    public void PadConstant_MatchesPyTorch_WithCropAndValue()
    {
        var x = Tensor.FromArray(Range(6), 2, 3);
        var y = x.Pad([1, -1, 2, 0], 9f);
        Assert.Equal(new Shape(4, 3), y.Shape);
        Assert.Equal(new[] { 9f, 9, 9, 9, 9, 9, 9, 0, 1, 9, 3, 4 }, y.ToArray());
        Assert.Equal(new Shape(1, 0), Tensor.Ones(1, 3).Pad([-2, -1]).Shape);
        var l = Tensor.FromArray(new long[] { 0, 1, 2 }, 1, 3).Pad([1, 1], 7.9f);
        Assert.Equal(new long[] { 7, 0, 1, 2, 7 }, l.ToInt64Array());
        // Non-contiguous input.
        Assert.Equal(new[] { 0f, 0, 3, 0, 0, 1, 4, 0, 0, 2, 5, 0 }, x.T.Pad([1, 1]).ToArray());
    }

    [Fact]
    public void PadConstant_ResNetOptionA_ChannelPadding()
    {
        // Option-A shortcut: subsample spatially, then zero-pad channels on both sides of an NCHW tensor.
        var x = Tensor.Uniform([2, 4, 6, 6], -1f, 1f, new Generator(7));
        var s = x.Slice(2, 0, null, 2).Slice(3, 0, null, 2); // (2, 4, 3, 3) strided view
        var y = s.Pad([0, 0, 0, 0, 2, 2]);
        Assert.Equal(new Shape(2, 8, 3, 3), y.Shape);
        for (int n = 0; n < 2; n++) for (int c = 0; c < 8; c++) for (int h = 0; h < 3; h++) for (int w = 0; w < 3; w++)
            Assert.Equal(c is >= 2 and < 6 ? x[n, c - 2, 2 * h, 2 * w] : 0f, y[n, c, h, w]);
        // Random-crop padding: 4 pixels of zeros around H and W.
        var p = x.Pad([4, 4, 4, 4]);
        Assert.Equal(new Shape(2, 4, 14, 14), p.Shape);
        Assert.Equal(x[1, 3, 5, 0], p[1, 3, 9, 4]);
        Assert.Equal(0f, p[1, 3, 3, 4]);
    }

    [Fact]
    public void PadConstant_GradCheck()
    {
        GradCheck.Check(t => t[0].Pad([1, 2, -1, 1], 0.5f), [GradCheck.Leaf(8, 3, 4)]);
        GradCheck.Check(t => t[0].Pad([0, 0, 0, 0, 1, 2]), [GradCheck.Leaf(9, 1, 2, 2, 2)]);
    }

    // ───────── reflect / replicate / circular ─────────

    [Theory]
    [InlineData("reflect", new[] { 9f, 8, 9, 10, 11, 10, 9, 5, 4, 5, 6, 7, 6, 5, 1, 0, 1, 2, 3, 2, 1, 5, 4, 5, 6, 7, 6, 5, 9, 8, 9, 10, 11, 10, 9, 5, 4, 5, 6, 7, 6, 5 })]
    [InlineData("replicate", new[] { 0f, 0, 1, 2, 3, 3, 3, 0, 0, 1, 2, 3, 3, 3, 0, 0, 1, 2, 3, 3, 3, 4, 4, 5, 6, 7, 7, 7, 8, 8, 9, 10, 11, 11, 11, 8, 8, 9, 10, 11, 11, 11 })]
    [InlineData("circular", new[] { 7f, 4, 5, 6, 7, 4, 5, 11, 8, 9, 10, 11, 8, 9, 3, 0, 1, 2, 3, 0, 1, 7, 4, 5, 6, 7, 4, 5, 11, 8, 9, 10, 11, 8, 9, 3, 0, 1, 2, 3, 0, 1 })]
    public void PadModes_2D_MatchPyTorch(string mode, float[] expected)
    {
        var x = Tensor.FromArray(Range(12), 1, 1, 3, 4);
        var y = x.Pad([1, 2, 2, 1], mode);
        Assert.Equal(new Shape(1, 1, 6, 7), y.Shape);
        Assert.Equal(expected, y.ToArray());
        // Unbatched (C, H, W) gives the same planes.
        Assert.Equal(expected, x.Reshape(1, 3, 4).Pad([1, 2, 2, 1], mode).ToArray());
    }

    [Theory]
    [InlineData("reflect", new[] { 5f, 6, 7, 6, 5, 1, 2, 3, 2, 1, 5, 6, 7, 6, 5, 17, 18, 19, 18, 17, 13, 14, 15, 14, 13, 17, 18, 19, 18, 17 })]
    [InlineData("replicate", new[] { 1f, 2, 3, 3, 3, 1, 2, 3, 3, 3, 5, 6, 7, 7, 7, 13, 14, 15, 15, 15, 13, 14, 15, 15, 15, 17, 18, 19, 19, 19 })]
    [InlineData("circular", new[] { 5f, 6, 7, 5, 6, 1, 2, 3, 1, 2, 5, 6, 7, 5, 6, 17, 18, 19, 17, 18, 13, 14, 15, 13, 14, 17, 18, 19, 17, 18 })]
    public void PadModes_NegativePads_MatchPyTorch(string mode, float[] expected)
    {
        var y = Tensor.FromArray(Range(24), 1, 2, 3, 4).Pad([-1, 2, 1, -1], mode);
        Assert.Equal(new Shape(1, 2, 3, 5), y.Shape);
        Assert.Equal(expected, y.ToArray());
    }

    [Fact]
    public void PadModes_1D_MatchPyTorch()
    {
        var a = Tensor.FromArray(Range(5), 1, 1, 5);
        Assert.Equal(new[] { 2f, 1, 0, 1, 2, 3 }, a.Pad([2, -1], "reflect").ToArray());
        Assert.Equal(new[] { 4f, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0 }, a.Pad([4, 4], "reflect").ToArray());
        Assert.Equal(new[] { 0f, 0, 0, 0, 1 }, a.Pad([3, -3], "replicate").ToArray());
        Assert.Equal(new[] { 2f, 3, 0, 1, 2, 3 }, a.Pad([2, -1], "circular").ToArray());
        Assert.Equal(new[] { 1f, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3 }, a.Pad([4, 4], "circular").ToArray());
        // Transposed (non-contiguous) input: (1, 3, 2) view padded along its last dim.
        var t = Tensor.FromArray(Range(6), 1, 2, 3).Transpose(1, 2);
        Assert.Equal(new[] { 3f, 0, 3, 0, 4, 1, 4, 1, 5, 2, 5, 2 }, t.Pad([1, 1], "reflect").ToArray());
    }

    [Theory]
    [InlineData("constant")] [InlineData("reflect")] [InlineData("replicate")] [InlineData("circular")]
    public void PadModes_GradCheck(string mode)
    {
        // Reflect/replicate/circular reuse input entries several times, so gradients must accumulate.
        GradCheck.Check(t => t[0].Pad([2, 1, 1, 2], mode), [GradCheck.Leaf(10, 2, 3, 4)]);
        GradCheck.Check(t => t[0].Pad([-1, 3], mode), [GradCheck.Leaf(11, 1, 2, 4)]);
    }

    [Fact]
    public void Pad_Errors_NameValues()
    {
        var x = Tensor.Zeros(1, 1, 3);
        var e1 = Assert.Throws<ArgumentException>(() => x.Pad([1]));
        Assert.Contains("even", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1, 3).Pad([1, 1, 1, 1, 1, 1]));
        Assert.Contains("3 pairs", e2.Message); Assert.Contains("(1, 3)", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => x.Pad([3, 0], "reflect"));
        Assert.Contains("(3, 0)", e3.Message); Assert.Contains("size 3", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Pad([1, 1, 1, 1], "reflect"));
        Assert.Contains("(2, 3)", e4.Message); Assert.Contains("2 pairs", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => x.Pad([4, 0], "circular"));
        Assert.Contains("wrap", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => x.Pad([1, 1], "mirror"));
        Assert.Contains("'mirror'", e6.Message);
        var e7 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1, 3).Pad([-4, 0]));
        Assert.Contains("negative output size", e7.Message);
        var e8 = Assert.Throws<ArgumentException>(() => x.Pad([-3, 0], "replicate"));
        Assert.Contains("output size 0", e8.Message);
    }
}
