using System.Runtime.Intrinsics;
using ResearchKit.Tensors.Kernels;
using Xunit;
using static ResearchKit.Tensors.Tests.Kernels.KernelTestUtil;

namespace ResearchKit.Tensors.Tests.Kernels;

/// <summary>
/// The implicit-GEMM convolution path (zero-gapped input layout, stride phases, adjoint input gradient, dot-tile weight
/// gradient) against the naive loops and against the im2col path, on shapes chosen to hit its layout edge cases.
/// </summary>
public class Conv2dImplicitTests
{
    private const double Tol = 2e-5;

    // n, c, h, w, outC, kh, kw, sh, sw, ph, pw, dh, dw, groups
    public static TheoryData<int[]> Cases => new()
    {
        new[] { 2, 3, 5, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // narrow rows (pitch < 16), odd OutC: one 8-row sliver
        new[] { 3, 5, 17, 18, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, // pitch >= 16 (vector gap clearing), OutC 13 = 12 + 4 (padded)
        new[] { 2, 4, 9, 20, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  // OutC 20 = 12 + 8 slivers
        new[] { 2, 4, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // OutC 16 = 8 + 8 slivers
        new[] { 2, 2, 8, 9, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1 },    // no padding: no gap rows/columns needed by taps
        new[] { 2, 3, 7, 7, 4, 3, 3, 1, 1, 3, 2, 1, 1, 1 },    // padding beyond the kernel reach (adjoint has negative padding)
        new[] { 2, 3, 9, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1 },   // dilation 2
        new[] { 2, 3, 8, 8, 5, 5, 3, 1, 1, 2, 1, 1, 1, 1 },    // non-square 5x3 kernel, K = 45 not a multiple of 6
        new[] { 2, 6, 7, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 3 },    // groups 3
        new[] { 2, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4 },    // depthwise
        new[] { 3, 4, 9, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1 },    // stride 2, odd size: phases of unequal length
        new[] { 2, 3, 32, 32, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1 },  // stride 2, width 32: vector phase gather
        new[] { 2, 4, 10, 12, 5, 1, 1, 2, 2, 0, 0, 1, 1, 1 },  // 1x1 stride 2: a single phase plane
        new[] { 2, 3, 12, 11, 4, 2, 2, 2, 2, 0, 0, 1, 1, 1 },  // 2x2 stride 2 (patchify): every tap its own phase
        new[] { 2, 3, 13, 11, 4, 3, 2, 3, 2, 1, 0, 1, 2, 1 },  // mixed strides, dilation, padding
        new[] { 2, 6, 11, 10, 4, 3, 3, 2, 1, 1, 1, 1, 1, 2 },  // stride (2, 1) with groups
        new[] { 1, 3, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // single image
        new[] { 37, 8, 12, 12, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, // several blocks per chunk, last one partial
        new[] { 3, 3, 40, 70, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  // extended grid longer than a staging block
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNaiveLoopsAndIm2ColPath(int[] a)
    {
        var g = new Conv2dGeometry(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
        Assert.Equal(Vector512.IsHardwareAccelerated, Conv2dImplicit.AppliesForward(g));
        Assert.Equal(Vector512.IsHardwareAccelerated && g.StrideH == 1 && g.StrideW == 1, Conv2dImplicit.AppliesBackwardInput(g));
        var rng = new Random(17 + a[1] * 7 + a[2]);
        float[] x = Random(rng, g.InputLength), wt = Random(rng, g.WeightLength), b = Random(rng, g.OutC);
        float[] gy = Random(rng, g.OutputLength);
        ConvKernelTests.NaiveConv(g, x, wt, b, gy, out double[] yRef, out double[] gxRef, out double[] gwRef, out _);

        foreach (bool implicitPath in new[] { true, false })
        {
            string path = implicitPath ? "implicit" : "im2col";
            var y = new float[g.OutputLength];
            Array.Fill(y, float.NaN);
            Conv2dKernel.Forward(g, x, wt, b, y, implicitPath);
            AssertClose(yRef, y, Tol, path + " output");

            var gx = new float[g.InputLength];
            Array.Fill(gx, float.NaN);
            Conv2dKernel.BackwardInput(g, gy, wt, gx, implicitPath);
            AssertClose(gxRef, gx, Tol, path + " gradInput");

            var gw = new float[g.WeightLength];
            Array.Fill(gw, float.NaN);
            Conv2dKernel.BackwardWeight(g, x, gy, gw, implicitPath);
            // float32 rounding of the weight gradient grows with its reduction length (batch × output plane).
            AssertClose(gwRef, gw, Tol * Math.Max(1, Math.Sqrt(g.N * g.OutH * g.OutW / 256.0)), path + " gradWeight");
        }
    }

    [Fact]
    public void ForwardWithoutBiasAndNonFiniteInputsStayLocal()
    {
        // A NaN pixel may only reach the outputs whose receptive field covers it: the garbage columns of the extended grid
        // read neighbouring pixels but are never written out.
        var g = new Conv2dGeometry(2, 2, 8, 8, 3, 3, 3, 1, 1, 1, 1);
        var rng = new Random(5);
        float[] x = Random(rng, g.InputLength), wt = Random(rng, g.WeightLength);
        x[(1 * 2 + 1) * 64 + 3 * 8 + 7] = float.NaN; // image 1, channel 1, row 3, last column
        var y = new float[g.OutputLength];
        Conv2dKernel.Forward(g, x, wt, ReadOnlySpan<float>.Empty, y);
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 3; o++)
                for (int oh = 0; oh < 8; oh++)
                    for (int ow = 0; ow < 8; ow++)
                    {
                        bool reaches = n == 1 && Math.Abs(oh - 3) <= 1 && ow >= 6;
                        Assert.Equal(reaches, float.IsNaN(y[((n * 3 + o) * 8 + oh) * 8 + ow]));
                    }
    }

    [Fact]
    public void WeightGradientIsBitReproducibleAcrossCalls()
    {
        var g = new Conv2dGeometry(9, 5, 10, 10, 7, 3, 3, 2, 2, 1, 1);
        var rng = new Random(3);
        float[] x = Random(rng, g.InputLength), gy = Random(rng, g.OutputLength);
        var a = new float[g.WeightLength];
        var b = new float[g.WeightLength];
        Conv2dKernel.BackwardWeight(g, x, gy, a);
        Array.Fill(b, float.NaN);
        Conv2dKernel.BackwardWeight(g, x, gy, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void LayoutGapsCoverEveryPaddedRead()
    {
        // Stride 1, 3x3, padding 1: one shared zero column and row; stride 2 splits into 2x2 phases of 16x16 with a
        // one-element gap; padding larger than the reach widens the gap to the extra output size.
        var s = Conv2dImplicit.Shape.Of(new Conv2dGeometry(1, 1, 32, 32, 1, 3, 3, 1, 1, 1, 1));
        Assert.Equal((33, 33, 1), (s.Wq, s.Hs, s.Phases));
        s = Conv2dImplicit.Shape.Of(new Conv2dGeometry(1, 1, 32, 32, 1, 3, 3, 2, 2, 1, 1));
        Assert.Equal((17, 17, 4, -1, 0), (s.Wq, s.Hs, s.Phases, s.DMinH, s.DMaxH));
        s = Conv2dImplicit.Shape.Of(new Conv2dGeometry(1, 1, 7, 7, 1, 3, 3, 1, 1, 3, 3));
        Assert.Equal(11, s.OutW);
        Assert.Equal(7 + 4, s.Wq); // reads reach OutW − 1 + 2 − 3 = 9 and the grid needs 11 columns
        s = Conv2dImplicit.Shape.Of(new Conv2dGeometry(1, 1, 10, 10, 1, 1, 1, 2, 2, 0, 0));
        Assert.Equal((1, 5, 5), (s.Phases, s.Wq, s.Hs));
    }
}
