using ResearchKit.Tensors.Kernels;
using Xunit;
using static ResearchKit.Tensors.Tests.Kernels.KernelTestUtil;

namespace ResearchKit.Tensors.Tests.Kernels;

public class PoolKernelTests
{
    // n, c, h, w, kh, kw, sh (0 = default), sw, ph, pw, dh, dw, ceil (0/1)
    public static TheoryData<int[]> MaxCases => new()
    {
        new[] { 3, 2, 6, 6, 2, 2, 0, 0, 0, 0, 1, 1, 0 },  // default stride = kernel
        new[] { 2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 0 },  // padding, floor
        new[] { 2, 3, 7, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1 },  // padding, ceil
        new[] { 2, 2, 9, 8, 3, 2, 2, 1, 1, 1, 2, 1, 1 },  // dilation 2, non-square, ceil
        new[] { 1, 2, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, 1 },  // ceil rule drops the window starting in right padding
        new[] { 2, 1, 6, 6, 3, 3, 2, 2, 0, 0, 1, 1, 1 },  // ceil adds a partial window
        new[] { 1, 2, 5, 7, 3, 3, 1, 1, 1, 1, 2, 3, 0 },  // stride 1, dilation with padding
        new[] { 2, 1, 4, 4, 4, 4, 0, 0, 0, 0, 1, 1, 0 },  // global window
    };

    [Theory]
    [MemberData(nameof(MaxCases))]
    public void MaxPoolMatchesNaiveReference(int[] a)
    {
        Pool2dGeometry g = Geometry(a);
        var rng = new Random(17 + a[2] * 7 + a[12]);
        // Small integers create many ties: PyTorch keeps the first maximum in row-major window order.
        var x = new float[g.InputLength];
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(0, 4);
        NaiveMax(g, x, out float[] yRef, out int[] idxRef);

        var y = new float[g.OutputLength];
        var idx = new int[g.OutputLength];
        MaxPool2dKernel.Forward(g, x, y, idx);
        Assert.Equal(yRef, y);
        Assert.Equal(idxRef, idx);

        float[] gy = Random(rng, g.OutputLength);
        var gxRef = new double[g.InputLength];
        int plane = g.H * g.W, outPlane = g.OutH * g.OutW;
        for (int o = 0; o < gy.Length; o++) gxRef[o / outPlane * plane + idxRef[o]] += gy[o];
        var gx = new float[g.InputLength];
        Array.Fill(gx, float.NaN);
        MaxPool2dKernel.Backward(g, gy, idx, gx);
        AssertClose(gxRef, gx, 1e-6, "gradInput");

        // Output without indices is the same.
        var y2 = new float[g.OutputLength];
        MaxPool2dKernel.Forward(g, x, y2, Span<int>.Empty);
        Assert.Equal(y, y2);
    }

    [Fact]
    public void MaxPoolGradientMatchesFiniteDifferences()
    {
        var g = new Pool2dGeometry(2, 2, 7, 6, 3, 2, 2, 2, 1, 1, ceilMode: true);
        var rng = new Random(5);
        float[] x = Random(rng, g.InputLength), gy = Random(rng, g.OutputLength);
        var y = new float[g.OutputLength];
        var idx = new int[g.OutputLength];
        MaxPool2dKernel.Forward(g, x, y, idx);
        var gx = new float[g.InputLength];
        MaxPool2dKernel.Backward(g, gy, idx, gx);
        const float eps = 1e-4f; // distinct random values: argmax is stable under this perturbation
        for (int i = 0; i < x.Length; i += 3)
        {
            float saved = x[i];
            x[i] = saved + eps;
            MaxPool2dKernel.Forward(g, x, y, Span<int>.Empty);
            double plus = Dot(y, gy);
            x[i] = saved - eps;
            MaxPool2dKernel.Forward(g, x, y, Span<int>.Empty);
            double minus = Dot(y, gy);
            x[i] = saved;
            Assert.True(Math.Abs((plus - minus) / (2 * eps) - gx[i]) < 1e-2, $"gradInput[{i}]");
        }
    }

    [Fact]
    public void MaxPoolPropagatesNaNAndHandlesMinusInfinity()
    {
        var g = new Pool2dGeometry(1, 1, 2, 4, 2, 2);
        float[] x = { 1, float.NaN, float.NegativeInfinity, float.NegativeInfinity, 5, 2, float.NegativeInfinity, float.NegativeInfinity };
        var y = new float[2];
        var idx = new int[2];
        MaxPool2dKernel.Forward(g, x, y, idx);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(1, idx[0]);
        Assert.Equal(float.NegativeInfinity, y[1]);
        Assert.Equal(2, idx[1]); // first valid position, like PyTorch
    }

    [Fact]
    public void PoolOutputSizesMatchPyTorch()
    {
        // nn.MaxPool2d(3, 2, ceil_mode=True) on 6x6 -> 3x3; floor -> 2x2.
        Assert.Equal(3, new Pool2dGeometry(1, 1, 6, 6, 3, 3, 2, 2, ceilMode: true).OutH);
        Assert.Equal(2, new Pool2dGeometry(1, 1, 6, 6, 3, 3, 2, 2).OutH);
        // k=2, s=2, p=1 on 5: ceil would give 4 but the last window would start in the right padding -> 3.
        Assert.Equal(3, new Pool2dGeometry(1, 1, 5, 5, 2, 2, 2, 2, 1, 1, ceilMode: true).OutH);
        Assert.Equal(3, new Pool2dGeometry(1, 1, 5, 5, 2, 2, 2, 2, 1, 1).OutH);
        // ResNet stem: MaxPool2d(3, 2, 1) on 112 -> 56.
        Assert.Equal(56, new Pool2dGeometry(1, 1, 112, 112, 3, 3, 2, 2, 1, 1).OutW);
        // Dilation 2, k=3 on 7: floor((7 - 5) / 1) + 1 = 3.
        Assert.Equal(3, new Pool2dGeometry(1, 1, 7, 7, 3, 3, 1, 1, dilationH: 2, dilationW: 2).OutH);
        Assert.Equal(3, Pool2dGeometry.OutputSize(8, 3, 0, 3, 1, ceilMode: true));
        Assert.Equal(2, Pool2dGeometry.OutputSize(8, 3, 0, 3, 1, ceilMode: false));
    }

    // n, c, h, w, kh, kw, sh, sw, ph, pw, ceil, countIncludePad, divisorOverride (0 = none)
    public static TheoryData<int[]> AvgCases => new()
    {
        new[] { 3, 2, 6, 6, 2, 2, 0, 0, 0, 0, 0, 1, 0 },
        new[] { 2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 0, 1, 0 },
        new[] { 2, 3, 7, 7, 3, 3, 2, 2, 1, 1, 0, 0, 0 },  // count_include_pad=False
        new[] { 2, 2, 8, 7, 3, 3, 2, 2, 1, 1, 1, 1, 0 },  // ceil: last window clipped to input+pad
        new[] { 2, 2, 8, 7, 3, 3, 2, 2, 1, 1, 1, 0, 0 },
        new[] { 2, 1, 6, 6, 3, 3, 2, 2, 0, 0, 1, 1, 0 },  // ceil window past the input without padding
        new[] { 1, 2, 5, 9, 2, 4, 1, 3, 1, 2, 1, 1, 0 },  // non-square
        new[] { 2, 2, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 5 },  // divisor_override
        new[] { 1, 2, 20, 20, 20, 20, 0, 0, 0, 0, 0, 1, 0 }, // wide rows take the SIMD path
    };

    [Theory]
    [MemberData(nameof(AvgCases))]
    public void AvgPoolMatchesNaiveReference(int[] a)
    {
        bool include = a[11] == 1;
        int? divisor = a[12] == 0 ? null : a[12];
        var g = new Pool2dGeometry(a[0], a[1], a[2], a[3], a[4], a[5], a[6] == 0 ? null : a[6], a[7] == 0 ? null : a[7],
            a[8], a[9], ceilMode: a[10] == 1);
        var rng = new Random(23 + a[2] + a[11]);
        float[] x = Random(rng, g.InputLength), gy = Random(rng, g.OutputLength);
        NaiveAvg(g, x, gy, include, divisor, out double[] yRef, out double[] gxRef);

        var y = new float[g.OutputLength];
        Array.Fill(y, float.NaN);
        AvgPool2dKernel.Forward(g, x, y, include, divisor);
        AssertClose(yRef, y, 1e-5, "output");

        var gx = new float[g.InputLength];
        Array.Fill(gx, float.NaN);
        AvgPool2dKernel.Backward(g, gy, gx, include, divisor);
        AssertClose(gxRef, gx, 1e-5, "gradInput");

        double lhs = Dot(y, gy), rhs = Dot(x, gx); // linear op: backward is the adjoint
        Assert.True(Math.Abs(lhs - rhs) < 1e-4 * (1 + Math.Abs(lhs)));
    }

    [Fact]
    public void AvgPoolCeilModeDivisorIsClippedToPaddedInput()
    {
        // avg_pool2d(ones(1,1,4,4), 3, stride=2, padding=1, ceil_mode=True): out 3x3; the last window spans padded
        // rows [3, 6) but the divisor only counts rows up to H + pad = 5, so the corner is 1/(2*2), not 1/9.
        var g = new Pool2dGeometry(1, 1, 4, 4, 3, 3, 2, 2, 1, 1, ceilMode: true);
        Assert.Equal((3, 3), (g.OutH, g.OutW));
        var x = new float[16];
        Array.Fill(x, 1f);
        var y = new float[g.OutputLength];
        AvgPool2dKernel.Forward(g, x, y);
        float[] expected = { 4f / 9, 6f / 9, 2f / 6, 6f / 9, 1f, 3f / 6, 2f / 6, 3f / 6, 1f / 4 };
        AssertClose(expected, y, 1e-6, "include_pad");
        AvgPool2dKernel.Forward(g, x, y, countIncludePad: false);
        Assert.All(y, v => Assert.Equal(1f, v, 6));
        AvgPool2dKernel.Forward(g, x, y, divisorOverride: 2);
        Assert.Equal(2f, y[0]); // 4 ones / 2
    }

    // n, c, h, w, outH, outW
    [Theory]
    [InlineData(2, 3, 7, 5, 3, 2)]
    [InlineData(1, 2, 8, 8, 1, 1)]    // global average pooling
    [InlineData(1, 1, 3, 5, 5, 7)]    // output larger than input: overlapping single-pixel windows
    [InlineData(2, 2, 6, 6, 6, 6)]    // identity
    [InlineData(2, 2, 10, 40, 3, 1)]  // full-row windows take the contiguous SIMD path
    public void AdaptiveAvgPoolMatchesNaiveReference(int n, int c, int h, int w, int outH, int outW)
    {
        var rng = new Random(31 + h * outH);
        float[] x = Random(rng, n * c * h * w), gy = Random(rng, n * c * outH * outW);
        var yRef = new double[gy.Length];
        var gxRef = new double[x.Length];
        for (int p = 0; p < n * c; p++)
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    int h0 = (int)Math.Floor((double)oh * h / outH), h1 = (int)Math.Ceiling((double)(oh + 1) * h / outH);
                    int w0 = (int)Math.Floor((double)ow * w / outW), w1 = (int)Math.Ceiling((double)(ow + 1) * w / outW);
                    int o = (p * outH + oh) * outW + ow, count = (h1 - h0) * (w1 - w0);
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++)
                        {
                            yRef[o] += (double)x[(p * h + ih) * w + iw] / count;
                            gxRef[(p * h + ih) * w + iw] += (double)gy[o] / count;
                        }
                }
        var y = new float[gy.Length];
        Array.Fill(y, float.NaN);
        AdaptiveAvgPool2dKernel.Forward(n, c, h, w, outH, outW, x, y);
        AssertClose(yRef, y, 1e-5, "output");
        var gx = new float[x.Length];
        Array.Fill(gx, float.NaN);
        AdaptiveAvgPool2dKernel.Backward(n, c, h, w, outH, outW, gy, gx);
        AssertClose(gxRef, gx, 1e-5, "gradInput");
    }

    [Fact]
    public void LargePlaneCountsRunInParallelAndMatchSerialReference()
    {
        // Enough work to cross the parallel threshold; planes are independent so results equal the naive loops.
        var g = new Pool2dGeometry(8, 16, 16, 16, 3, 3, 2, 2, 1, 1, ceilMode: true);
        var rng = new Random(3);
        float[] x = Random(rng, g.InputLength), gy = Random(rng, g.OutputLength);
        NaiveMax(g, x, out float[] yRef, out int[] idxRef);
        var y = new float[g.OutputLength];
        var idx = new int[g.OutputLength];
        MaxPool2dKernel.Forward(g, x, y, idx);
        Assert.Equal(yRef, y);
        Assert.Equal(idxRef, idx);
        NaiveAvg(g, x, gy, false, null, out double[] aRef, out double[] gaRef);
        AvgPool2dKernel.Forward(g, x, y, countIncludePad: false);
        AssertClose(aRef, y, 1e-5, "avg output");
        var gx = new float[g.InputLength];
        AvgPool2dKernel.Backward(g, gy, gx, countIncludePad: false);
        AssertClose(gaRef, gx, 1e-5, "avg gradInput");
    }

    [Fact]
    public void BadArgumentsThrowClearMessages()
    {
        AssertThrows("padding (2, 0) must be at most half of kernel_size (3, 3)", () => new Pool2dGeometry(1, 1, 8, 8, 3, 3, padH: 2));
        AssertThrows("stride must be positive", () => new Pool2dGeometry(1, 1, 8, 8, 2, 2, 0, 1));
        AssertThrows("kernel_size must be positive", () => new Pool2dGeometry(1, 1, 8, 8, 0, 2));
        AssertThrows("dilation must be positive", () => new Pool2dGeometry(1, 1, 8, 8, 2, 2, dilationW: 0));
        AssertThrows("padding must be non-negative", () => new Pool2dGeometry(1, 1, 8, 8, 2, 2, padW: -1));
        AssertThrows("output size 0x", () => new Pool2dGeometry(1, 1, 2, 8, 3, 3));
        AssertThrows("need N >= 0", () => new Pool2dGeometry(1, 1, 0, 8, 1, 1));

        var g = new Pool2dGeometry(1, 2, 4, 4, 2, 2);
        var x = new float[g.InputLength];
        var y = new float[g.OutputLength];
        AssertThrows("MaxPool2d.Forward: output has 3 elements but the geometry needs 8", () => MaxPool2dKernel.Forward(g, x, new float[3], default));
        AssertThrows("MaxPool2d.Forward: indices", () => MaxPool2dKernel.Forward(g, x, y, new int[1]));
        AssertThrows("index 99 at output position 1 lies outside its 4x4 input plane",
            () => MaxPool2dKernel.Backward(g, y, new[] { 0, 99, 0, 0, 0, 0, 0, 0 }, x));
        AssertThrows("MaxPool2d.Backward: gradInput", () => MaxPool2dKernel.Backward(g, y, new int[8], new float[1]));
        AssertThrows("uninitialized", () => MaxPool2dKernel.Forward(default, x, y, default));
        AssertThrows("dilation (2, 1) is not supported", () => AvgPool2dKernel.Forward(new Pool2dGeometry(1, 1, 8, 8, 2, 2, dilationH: 2), new float[64], new float[16]));
        AssertThrows("divisor_override must be non-zero", () => AvgPool2dKernel.Backward(g, y, x, divisorOverride: 0));
        AssertThrows("AvgPool2d.Forward: input has 1 elements", () => AvgPool2dKernel.Forward(g, new float[1], y));
        AssertThrows("output_size=(0, 1)", () => AdaptiveAvgPool2dKernel.Forward(1, 1, 4, 4, 0, 1, new float[16], new float[1]));
        AssertThrows("AdaptiveAvgPool2d.Backward: gradInput has 15 elements", () => AdaptiveAvgPool2dKernel.Backward(1, 1, 4, 4, 1, 1, new float[1], new float[15]));
    }

    private static Pool2dGeometry Geometry(int[] a) =>
        new(a[0], a[1], a[2], a[3], a[4], a[5], a[6] == 0 ? null : a[6], a[7] == 0 ? null : a[7],
            a[8], a[9], a[10], a[11], a[12] == 1);

    private static void AssertThrows(string fragment, Action act)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(act);
        Assert.Contains(fragment, ex.Message);
    }

    /// <summary>Window enumeration over kernel taps, keeping the first strict maximum among in-bounds taps.</summary>
    private static void NaiveMax(Pool2dGeometry g, float[] x, out float[] y, out int[] idx)
    {
        y = new float[g.OutputLength];
        idx = new int[g.OutputLength];
        for (int p = 0; p < g.N * g.C; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    float best = float.NegativeInfinity;
                    int bestIdx = -1;
                    for (int kh = 0; kh < g.KH; kh++)
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int ih = oh * g.StrideH - g.PadH + kh * g.DilationH;
                            int iw = ow * g.StrideW - g.PadW + kw * g.DilationW;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            float v = x[(p * g.H + ih) * g.W + iw];
                            if (bestIdx < 0 || v > best)
                            {
                                best = v;
                                bestIdx = ih * g.W + iw;
                            }
                        }
                    int o = (p * g.OutH + oh) * g.OutW + ow;
                    y[o] = best;
                    idx[o] = bestIdx;
                }
    }

    /// <summary>
    /// Average over kernel taps; with count_include_pad the divisor counts taps inside the padded input
    /// <c>[−pad, size + pad)</c>, otherwise only real input taps.
    /// </summary>
    private static void NaiveAvg(Pool2dGeometry g, float[] x, float[] gy, bool includePad, int? divisor,
        out double[] y, out double[] gx)
    {
        y = new double[g.OutputLength];
        gx = new double[g.InputLength];
        for (int p = 0; p < g.N * g.C; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int real = 0, padded = 0;
                    for (int kh = 0; kh < g.KH; kh++)
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int ih = oh * g.StrideH - g.PadH + kh, iw = ow * g.StrideW - g.PadW + kw;
                            if (ih < g.H + g.PadH && iw < g.W + g.PadW) padded++;
                            if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) real++;
                        }
                    int o = (p * g.OutH + oh) * g.OutW + ow;
                    if (real == 0) continue;
                    double div = divisor ?? (includePad ? padded : real);
                    for (int kh = 0; kh < g.KH; kh++)
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int ih = oh * g.StrideH - g.PadH + kh, iw = ow * g.StrideW - g.PadW + kw;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            int xi = (p * g.H + ih) * g.W + iw;
                            y[o] += x[xi] / div;
                            gx[xi] += gy[o] / div;
                        }
                }
    }
}
