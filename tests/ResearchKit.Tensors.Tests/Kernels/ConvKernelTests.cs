using ResearchKit.Tensors.Kernels;
using Xunit;
using static ResearchKit.Tensors.Tests.Kernels.KernelTestUtil;

namespace ResearchKit.Tensors.Tests.Kernels;

public class ConvKernelTests
{
    private const double Tol = 2e-5;

    // n, c, h, w, outC, kh, kw, sh, sw, ph, pw, dh, dw, groups
    public static TheoryData<int[]> ConvCases => new()
    {
        new[] { 3, 4, 7, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // 3x3 same padding
        new[] { 3, 3, 9, 8, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1 },   // stride 2, padding 1
        new[] { 2, 3, 9, 9, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1 },   // dilation 2
        new[] { 3, 4, 6, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2 },   // groups 2
        new[] { 3, 4, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4 },   // depthwise, channel multiplier 2
        new[] { 2, 3, 5, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3 },   // depthwise, stride 2
        new[] { 3, 5, 4, 6, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1 },   // pointwise fast path
        new[] { 3, 4, 4, 5, 6, 1, 1, 1, 1, 0, 0, 2, 2, 2 },   // pointwise, groups 2 (dilation irrelevant)
        new[] { 3, 5, 5, 5, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1 },   // 1x1 stride 2 (im2col path)
        new[] { 1, 2, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1 },   // 1x1 with padding
        new[] { 3, 2, 7, 9, 3, 2, 5, 2, 1, 0, 2, 1, 2, 1 },   // non-square kernel, mixed stride/padding/dilation
        new[] { 2, 4, 8, 5, 4, 3, 2, 3, 2, 1, 0, 1, 1, 2 },   // stride 3, groups 2, non-square
        new[] { 2, 3, 4, 4, 2, 4, 4, 1, 1, 0, 0, 1, 1, 1 },   // kernel covers the whole input: 1x1 output
        new[] { 2, 8, 40, 64, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, // several im2col row bands, last one partial
        new[] { 2, 64, 16, 16, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, // small plane but too deep to batch images: row bands
        new[] { 1, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // single image
        new[] { 11, 2, 12, 12, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2 }, // several multi-image blocks per chunk, last one partial
        new[] { 0, 3, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // empty batch
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ForwardAndBackwardMatchNaiveLoops(int[] a)
    {
        int n = a[0], c = a[1], h = a[2], w = a[3], outC = a[4], kh = a[5], kw = a[6];
        int sh = a[7], sw = a[8], ph = a[9], pw = a[10], dh = a[11], dw = a[12], groups = a[13];
        var g = new Conv2dGeometry(n, c, h, w, outC, kh, kw, sh, sw, ph, pw, dh, dw, groups);
        Assert.Equal((h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, g.OutH);
        Assert.Equal((w + 2 * pw - dw * (kw - 1) - 1) / sw + 1, g.OutW);
        var rng = new Random(1234 + c * 31 + h);
        float[] x = Random(rng, g.InputLength), wt = Random(rng, g.WeightLength), b = Random(rng, outC);
        float[] gy = Random(rng, g.OutputLength);
        NaiveConv(g, x, wt, b, gy, out double[] yRef, out double[] gxRef, out double[] gwRef, out double[] gbRef);

        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN); // must be overwritten
        Conv2dKernel.Forward(g, x, wt, b, y);
        AssertClose(yRef, y, Tol, "output");

        var gx = new float[g.InputLength];
        Array.Fill(gx, float.NaN);
        Conv2dKernel.BackwardInput(g, gy, wt, gx);
        AssertClose(gxRef, gx, Tol, "gradInput");

        var gw = new float[g.WeightLength];
        Array.Fill(gw, float.NaN);
        Conv2dKernel.BackwardWeight(g, x, gy, gw);
        AssertClose(gwRef, gw, Tol, "gradWeight");

        var gb = new float[outC];
        Array.Fill(gb, float.NaN);
        Conv2dKernel.BackwardBias(g, gy, gb);
        AssertClose(gbRef, gb, Tol, "gradBias");

        // Adjoint identity <conv(x), gy> = <x, convᵀ(gy)> (without bias).
        Conv2dKernel.Forward(g, x, wt, ReadOnlySpan<float>.Empty, y);
        double lhs = Dot(y, gy), rhs = Dot(x, gx);
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * (1 + Math.Abs(lhs)), $"adjoint identity: {lhs} vs {rhs}");
    }

    [Fact]
    public void WeightGradientMatchesFiniteDifferences()
    {
        var g = new Conv2dGeometry(3, 4, 6, 5, 4, 3, 2, 2, 1, 1, 1, 1, 2, 2);
        var rng = new Random(7);
        float[] x = Random(rng, g.InputLength), wt = Random(rng, g.WeightLength), gy = Random(rng, g.OutputLength);
        var gw = new float[g.WeightLength];
        Conv2dKernel.BackwardWeight(g, x, gy, gw);
        var y = new float[g.OutputLength];
        const float eps = 1e-2f;
        foreach (int i in new[] { 0, 5, g.WeightLength / 2, g.WeightLength - 1 })
        {
            float saved = wt[i];
            wt[i] = saved + eps;
            Conv2dKernel.Forward(g, x, wt, ReadOnlySpan<float>.Empty, y);
            double plus = Dot(y, gy);
            wt[i] = saved - eps;
            Conv2dKernel.Forward(g, x, wt, ReadOnlySpan<float>.Empty, y);
            double minus = Dot(y, gy);
            wt[i] = saved;
            double fd = (plus - minus) / (2 * eps);
            Assert.True(Math.Abs(fd - gw[i]) < 2e-3 * (1 + Math.Abs(fd)), $"gradWeight[{i}]: fd {fd} vs {gw[i]}");
        }
    }

    [Fact]
    public void WeightGradientIsBitReproducible()
    {
        var g = new Conv2dGeometry(7, 6, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        var rng = new Random(11);
        float[] x = Random(rng, g.InputLength), gy = Random(rng, g.OutputLength);
        var a = new float[g.WeightLength];
        var b = new float[g.WeightLength];
        Conv2dKernel.BackwardWeight(g, x, gy, a);
        Conv2dKernel.BackwardWeight(g, x, gy, b);
        Assert.Equal(a, b);
    }

    // n, c, h, w, outC, kh, kw, sh, sw, ph, pw, oph, opw, dh, dw, groups
    public static TheoryData<int[]> TransposeCases => new()
    {
        new[] { 3, 4, 5, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1 },  // classic 2x upsampling
        new[] { 2, 4, 4, 3, 6, 3, 3, 1, 1, 0, 0, 1, 1, 2, 2, 2 },  // output_padding >= stride (allowed by dilation), groups 2
        new[] { 2, 3, 4, 5, 2, 2, 3, 2, 3, 0, 1, 1, 2, 1, 1, 1 },  // non-square everything
        new[] { 3, 4, 3, 3, 4, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 4 },  // depthwise
        new[] { 3, 5, 4, 4, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1 },  // pointwise
    };

    [Theory]
    [MemberData(nameof(TransposeCases))]
    public void TransposeMatchesNaiveScatter(int[] a)
    {
        int n = a[0], c = a[1], h = a[2], w = a[3], outC = a[4], kh = a[5], kw = a[6], sh = a[7], sw = a[8];
        int ph = a[9], pw = a[10], oph = a[11], opw = a[12], dh = a[13], dw = a[14], groups = a[15];
        var g = new ConvTranspose2dGeometry(n, c, h, w, outC, kh, kw, sh, sw, ph, pw, oph, opw, dh, dw, groups);
        Assert.Equal((h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1, g.OutH);
        Assert.Equal((w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1, g.OutW);
        Assert.Equal(c * (outC / groups) * kh * kw, g.WeightLength);

        var rng = new Random(99 + c + h);
        float[] x = Random(rng, g.InputLength), wt = Random(rng, g.WeightLength), b = Random(rng, outC);
        float[] gy = Random(rng, g.OutputLength);
        NaiveTranspose(g, x, wt, b, gy, out double[] yRef, out double[] gxRef, out double[] gwRef, out double[] gbRef);

        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN);
        ConvTranspose2dKernel.Forward(g, x, wt, b, y);
        AssertClose(yRef, y, Tol, "output");

        var gx = new float[g.InputLength];
        Array.Fill(gx, float.NaN);
        ConvTranspose2dKernel.BackwardInput(g, gy, wt, gx);
        AssertClose(gxRef, gx, Tol, "gradInput");

        var gw = new float[g.WeightLength];
        Array.Fill(gw, float.NaN);
        ConvTranspose2dKernel.BackwardWeight(g, x, gy, gw);
        AssertClose(gwRef, gw, Tol, "gradWeight");

        var gb = new float[outC];
        ConvTranspose2dKernel.BackwardBias(g, gy, gb);
        AssertClose(gbRef, gb, Tol, "gradBias");

        // <convT(x), y> = <x, conv(y)> with the adjoint convolution and the same weight.
        ConvTranspose2dKernel.Forward(g, x, wt, ReadOnlySpan<float>.Empty, y);
        var conv = new float[g.InputLength];
        Conv2dKernel.Forward(g.Adjoint, gy, wt, ReadOnlySpan<float>.Empty, conv);
        double lhs = Dot(y, gy), rhs = Dot(x, conv);
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * (1 + Math.Abs(lhs)), $"adjoint identity: {lhs} vs {rhs}");
    }

    [Fact]
    public void TransposeOutputSizeFormula()
    {
        // nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1) on 16x16 gives 32x32.
        var g = new ConvTranspose2dGeometry(1, 1, 16, 16, 1, 3, 3, 2, 2, 1, 1, 1, 1);
        Assert.Equal((32, 32), (g.OutH, g.OutW));
        // kernel 4, stride 2, padding 1 (DCGAN): 7 -> 14; dilation 3, kernel 2: 5 -> 8.
        Assert.Equal(14, new ConvTranspose2dGeometry(1, 1, 7, 7, 1, 4, 4, 2, 2, 1, 1).OutH);
        Assert.Equal(8, new ConvTranspose2dGeometry(1, 1, 5, 5, 1, 2, 2, dilationH: 3, dilationW: 3).OutH);
    }

    [Fact]
    public void GeometryRejectsBadArgumentsWithClearMessages()
    {
        AssertThrows("in_channels (3) must be divisible by groups (2)", () => new Conv2dGeometry(1, 3, 5, 5, 4, 3, 3, groups: 2));
        AssertThrows("out_channels (5) must be divisible by groups (2)", () => new Conv2dGeometry(1, 4, 5, 5, 5, 3, 3, groups: 2));
        AssertThrows("larger than the padded input", () => new Conv2dGeometry(1, 1, 4, 4, 1, 5, 5));
        AssertThrows("larger than the padded input", () => new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, dilationH: 2, dilationW: 2));
        AssertThrows("stride must be positive", () => new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, strideH: 0));
        AssertThrows("padding must be non-negative", () => new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, padW: -1));
        AssertThrows("dilation must be positive", () => new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, dilationW: 0));
        AssertThrows("kernel size must be positive", () => new Conv2dGeometry(1, 1, 4, 4, 1, 0, 3));
        AssertThrows("groups must be positive", () => new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, groups: 0));
        AssertThrows("channel counts must be positive", () => new Conv2dGeometry(1, 0, 4, 4, 1, 3, 3));
        AssertThrows("batch size must be non-negative", () => new Conv2dGeometry(-1, 1, 4, 4, 1, 3, 3));
        AssertThrows("height and width must be positive", () => new Conv2dGeometry(1, 1, 0, 4, 1, 1, 1));
        // Padding allows a kernel larger than the raw input.
        Assert.Equal(2, new Conv2dGeometry(1, 1, 2, 2, 1, 3, 3, padH: 1, padW: 1).OutH);

        AssertThrows("output_padding (2, 0) must be smaller than either stride", () => new ConvTranspose2dGeometry(1, 1, 4, 4, 1, 3, 3, 2, 2, 0, 0, 2, 0));
        AssertThrows("must both be divisible by groups", () => new ConvTranspose2dGeometry(1, 4, 4, 4, 3, 3, 3, groups: 2));
        AssertThrows("is not positive", () => new ConvTranspose2dGeometry(1, 1, 1, 1, 1, 1, 1, padH: 1, padW: 1));
        AssertThrows("output_padding must be non-negative", () => new ConvTranspose2dGeometry(1, 1, 4, 4, 1, 3, 3, outputPaddingH: -1));
    }

    [Fact]
    public void KernelsRejectWrongSpanLengths()
    {
        var g = new Conv2dGeometry(2, 2, 5, 5, 3, 3, 3, padH: 1, padW: 1);
        float[] x = new float[g.InputLength], wt = new float[g.WeightLength], y = new float[g.OutputLength];
        AssertThrows("Conv2d.Forward: weight has 53 elements but the geometry needs 54", () => Conv2dKernel.Forward(g, x, wt.AsSpan(1), default, y));
        AssertThrows("Conv2d.Forward: bias has 2 elements", () => Conv2dKernel.Forward(g, x, wt, new float[2], y));
        AssertThrows("Conv2d.Forward: output", () => Conv2dKernel.Forward(g, x, wt, default, new float[3]));
        AssertThrows("Conv2d.BackwardInput: gradInput", () => Conv2dKernel.BackwardInput(g, y, wt, new float[1]));
        AssertThrows("Conv2d.BackwardWeight: gradWeight", () => Conv2dKernel.BackwardWeight(g, x, y, new float[1]));
        AssertThrows("Conv2d.BackwardBias: gradBias", () => Conv2dKernel.BackwardBias(g, y, new float[1]));
        AssertThrows("uninitialized", () => Conv2dKernel.Forward(default, x, wt, default, y));
        AssertThrows("Im2Col.Unfold: need 0 <= oh0 <= oh1 <= OutH (5)", () => Im2Col.Unfold(g, x, 2, 0, 6, new float[1000]));
        AssertThrows("Im2Col.FoldAdd: image needs 50", () => Im2Col.FoldAdd(g, new float[1000], 2, 0, 1, new float[10]));
        AssertThrows("Im2Col.Unfold: ldCol (4) is smaller than the column count 5", () => Im2Col.Unfold(g, x, 2, 0, 1, new float[1000], 4));

        var t = new ConvTranspose2dGeometry(2, 3, 4, 4, 2, 3, 3, 2, 2);
        AssertThrows("ConvTranspose2d.Forward: weight has 1 elements", () => ConvTranspose2dKernel.Forward(t, new float[t.InputLength], new float[1], default, new float[t.OutputLength]));
        AssertThrows("ConvTranspose2d.BackwardWeight: gradWeight", () => ConvTranspose2dKernel.BackwardWeight(t, new float[t.InputLength], new float[t.OutputLength], new float[1]));
        AssertThrows("uninitialized", () => ConvTranspose2dKernel.BackwardInput(default, default, default, default));
    }

    [Fact]
    public void Im2ColUnfoldThenFoldCountsTapCoverage()
    {
        // fold(unfold(ones)) counts, for each input pixel, how many kernel taps read it.
        var g = new Conv2dGeometry(1, 2, 5, 6, 1, 3, 2, 2, 1, 1, 0, 1, 2);
        var ones = new float[2 * 5 * 6];
        Array.Fill(ones, 1f);
        var col = new float[2 * 3 * 2 * g.OutH * g.OutW];
        Im2Col.Unfold(g, ones, 2, 0, g.OutH, col);
        var back = new float[ones.Length];
        Im2Col.FoldAdd(g, col, 2, 0, g.OutH, back);
        for (int c = 0; c < 2; c++)
            for (int ih = 0; ih < 5; ih++)
                for (int iw = 0; iw < 6; iw++)
                {
                    int count = 0;
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                            for (int kh = 0; kh < 3; kh++)
                                for (int kw = 0; kw < 2; kw++)
                                    if (oh * 2 - 1 + kh == ih && ow - 0 + kw * 2 == iw) count++;
                    Assert.Equal(count, back[(c * 5 + ih) * 6 + iw]);
                }
    }

    [Theory]
    // (h, w, kernel, stride, pad, dilation): strided widths that take the vectorized spread (OutW ≥ 64) and ones that do not.
    [InlineData(3, 129, 3, 2, 1, 1)]
    [InlineData(4, 130, 3, 2, 0, 1)]
    [InlineData(7, 33, 3, 2, 1, 1)]
    [InlineData(5, 40, 3, 2, 0, 1)]
    [InlineData(4, 37, 2, 2, 1, 2)]
    [InlineData(3, 17, 3, 2, 1, 1)]
    [InlineData(4, 50, 3, 3, 1, 1)]
    public void FoldAdd_Strided_IsTheScatterOfEveryColumn_BitForBit(int h, int w, int k, int stride, int pad, int dil)
    {
        var g = new Conv2dGeometry(1, 2, h, w, 1, k, k, stride, stride, pad, pad, dil, dil);
        var rng = new Random(h * 100 + w);
        var col = Random(rng, 2 * k * k * g.OutH * g.OutW);
        var image = Random(rng, 2 * h * w);
        for (int i = 0; i < image.Length; i += 7) image[i] = -0f;   // signed zeros must survive untouched positions
        var expected = (float[])image.Clone();
        int row = 0;
        for (int c = 0; c < 2; c++)
            for (int a = 0; a < k; a++)
                for (int e = 0; e < k; e++, row++)
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            int ih = oh * stride - pad + a * dil, iw = ow * stride - pad + e * dil;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                expected[(c * h + ih) * w + iw] += col[row * g.OutH * g.OutW + oh * g.OutW + ow];
                        }
        Im2Col.FoldAdd(g, col, 2, 0, g.OutH, image);
        for (int i = 0; i < image.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(image[i]));
    }

    [Fact]
    public void Im2ColWithLeadingDimensionMatchesDenseLayout()
    {
        var g = new Conv2dGeometry(1, 3, 6, 5, 1, 3, 3, 2, 1, 1, 1, 1, 1);
        var rng = new Random(2);
        float[] img = Random(rng, 3 * 6 * 5);
        int rows = 27, cols = 2 * g.OutW, ld = cols + 7;
        var dense = new float[rows * cols];
        Im2Col.Unfold(g, img, 3, 1, 3, dense);
        var wide = new float[rows * ld];
        Array.Fill(wide, -9f);
        Im2Col.Unfold(g, img, 3, 1, 3, wide, ld);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(dense.AsSpan(r * cols, cols).ToArray(), wide.AsSpan(r * ld, cols).ToArray());
            if (r < rows - 1) Assert.All(wide.AsSpan(r * ld + cols, ld - cols).ToArray(), v => Assert.Equal(-9f, v)); // untouched gap
        }
        var a = new float[img.Length];
        var b = new float[img.Length];
        Im2Col.FoldAdd(g, dense, 3, 1, 3, a);
        Im2Col.FoldAdd(g, wide, 3, 1, 3, b, ld);
        Assert.Equal(a, b);
    }

    private static void AssertThrows(string fragment, Action act)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(act);
        Assert.Contains(fragment, ex.Message);
    }

    /// <summary>Direct 7-loop convolution; also produces the three gradients of <c>L = &lt;y, gy&gt;</c>.</summary>
    internal static void NaiveConv(Conv2dGeometry g, float[] x, float[] wt, float[] b, float[] gy,
        out double[] y, out double[] gx, out double[] gw, out double[] gb)
    {
        y = new double[g.OutputLength];
        gx = new double[g.InputLength];
        gw = new double[g.WeightLength];
        gb = new double[g.OutC];
        int cg = g.C / g.Groups, ocg = g.OutC / g.Groups;
        for (int n = 0; n < g.N; n++)
            for (int oc = 0; oc < g.OutC; oc++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int yi = ((n * g.OutC + oc) * g.OutH + oh) * g.OutW + ow;
                        double s = b[oc];
                        gb[oc] += gy[yi];
                        for (int ci = 0; ci < cg; ci++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int ih = oh * g.StrideH - g.PadH + kh * g.DilationH;
                                    int iw = ow * g.StrideW - g.PadW + kw * g.DilationW;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    int c = oc / ocg * cg + ci;
                                    int xi = ((n * g.C + c) * g.H + ih) * g.W + iw;
                                    int wi = ((oc * cg + ci) * g.KH + kh) * g.KW + kw;
                                    s += (double)x[xi] * wt[wi];
                                    gx[xi] += (double)gy[yi] * wt[wi];
                                    gw[wi] += (double)gy[yi] * x[xi];
                                }
                        y[yi] = s;
                    }
    }

    /// <summary>Direct scatter-form transposed convolution and the gradients of <c>L = &lt;y, gy&gt;</c>.</summary>
    private static void NaiveTranspose(ConvTranspose2dGeometry g, float[] x, float[] wt, float[] b, float[] gy,
        out double[] y, out double[] gx, out double[] gw, out double[] gb)
    {
        y = new double[g.OutputLength];
        gx = new double[g.InputLength];
        gw = new double[g.WeightLength];
        gb = new double[g.OutC];
        int cg = g.C / g.Groups, ocg = g.OutC / g.Groups;
        int plane = g.OutH * g.OutW;
        for (int n = 0; n < g.N; n++)
            for (int o = 0; o < g.OutC; o++)
                for (int p = 0; p < plane; p++)
                {
                    y[(n * g.OutC + o) * plane + p] = b[o];
                    gb[o] += gy[(n * g.OutC + o) * plane + p];
                }
        for (int n = 0; n < g.N; n++)
            for (int ci = 0; ci < g.C; ci++)
                for (int ih = 0; ih < g.H; ih++)
                    for (int iw = 0; iw < g.W; iw++)
                        for (int o = 0; o < ocg; o++)
                            for (int kh = 0; kh < g.KH; kh++)
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int oh = ih * g.StrideH - g.PadH + kh * g.DilationH;
                                    int ow = iw * g.StrideW - g.PadW + kw * g.DilationW;
                                    if (oh < 0 || oh >= g.OutH || ow < 0 || ow >= g.OutW) continue;
                                    int oc = ci / cg * ocg + o;
                                    int xi = ((n * g.C + ci) * g.H + ih) * g.W + iw;
                                    int yi = ((n * g.OutC + oc) * g.OutH + oh) * g.OutW + ow;
                                    int wi = ((ci * ocg + o) * g.KH + kh) * g.KW + kw;
                                    y[yi] += (double)x[xi] * wt[wi];
                                    gx[xi] += (double)gy[yi] * wt[wi];
                                    gw[wi] += (double)gy[yi] * x[xi];
                                }
    }
}
