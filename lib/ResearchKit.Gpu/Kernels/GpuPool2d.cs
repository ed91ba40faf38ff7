using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>The geometry of a 2-D pooling on NCHW tensors (PyTorch's floor mode, zero/−∞ padding, no dilation).</summary>
/// <param name="N">Batch.</param>
/// <param name="C">Channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="KH">Window height.</param>
/// <param name="KW">Window width.</param>
/// <param name="SH">Vertical stride.</param>
/// <param name="SW">Horizontal stride.</param>
/// <param name="PH">Vertical padding (at most half the window).</param>
/// <param name="PW">Horizontal padding (at most half the window).</param>
public readonly record struct GpuPoolGeometry(int N, int C, int H, int W, int KH, int KW, int SH, int SW, int PH = 0, int PW = 0)
{
    /// <summary>Output height.</summary>
    public int OH => (H + 2 * PH - KH) / SH + 1;
    /// <summary>Output width.</summary>
    public int OW => (W + 2 * PW - KW) / SW + 1;
    /// <summary>Elements of the input.</summary>
    public long InputLength => (long)N * C * H * W;
    /// <summary>Elements of the output.</summary>
    public long OutputLength => (long)N * C * OH * OW;

    /// <summary>Throws when the geometry is not a valid pooling.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the padding exceeds half the window, or the window does not fit.</exception>
    public void Validate()
    {
        if (N < 0 || C < 1 || H < 1 || W < 1 || KH < 1 || KW < 1 || SH < 1 || SW < 1 || PH < 0 || PW < 0)
            throw new ArgumentException($"GpuPool2d: invalid geometry {this}.");
        if (2 * PH > KH || 2 * PW > KW)
            throw new ArgumentException($"GpuPool2d: padding {PH}×{PW} is more than half the {KH}×{KW} window (as PyTorch refuses).");
        if (OH < 1 || OW < 1)
            throw new ArgumentException($"GpuPool2d: a {KH}×{KW} window does not fit the {H}×{W} input padded by {PH}×{PW}.");
    }
}

/// <summary>
/// Max and average pooling (forward and backward) and adaptive average pooling on a <see cref="GpuDevice"/>. The backwards
/// gather, for each input element, the windows that cover it, instead of scattering with atomics: deterministic sums, as the
/// CPU engine's.
/// </summary>
public static class GpuPool2d
{
    /// <summary>Max pooling: y = max over each window (padding is −∞; NaN wins, as in PyTorch), and the flat index within the
    /// input plane (iy·W + ix) of each maximum, for the backward.</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void MaxForward(GpuDevice device, GpuPoolGeometry g, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax)
    {
        Check(device, g, x.Length, y.Length);
        if (argmax.Length < g.OutputLength) throw new ArgumentException($"GpuPool2d.MaxForward: {argmax.Length} indices for {g.OutputLength} outputs.");
        if (g.OutputLength == 0) return;
        var k = device.Kernel("maxpool-fwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, GpuPoolGeometry>(MaxForwardKernel));
        k((int)g.OutputLength, x, y, argmax, g);
    }

    /// <summary>gx[plane, i] = Σ of gy over the windows whose maximum was element i (overwritten).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void MaxBackward(GpuDevice device, GpuPoolGeometry g, ArrayView<float> gy, ArrayView<int> argmax, ArrayView<float> gx)
    {
        Check(device, g, gx.Length, gy.Length);
        if (argmax.Length < g.OutputLength) throw new ArgumentException($"GpuPool2d.MaxBackward: {argmax.Length} indices for {g.OutputLength} outputs.");
        if (g.InputLength == 0) return;
        var k = device.Kernel("maxpool-bwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, GpuPoolGeometry>(MaxBackwardKernel));
        k((int)g.InputLength, gy, argmax, gx, g);
    }

    /// <summary>Average pooling, padding counted in the divisor (PyTorch's default <c>count_include_pad</c>): y = Σ window / (KH·KW).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void AvgForward(GpuDevice device, GpuPoolGeometry g, ArrayView<float> x, ArrayView<float> y)
    {
        Check(device, g, x.Length, y.Length);
        if (g.OutputLength == 0) return;
        var k = device.Kernel("avgpool-fwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuPoolGeometry>(AvgForwardKernel));
        k((int)g.OutputLength, x, y, g);
    }

    /// <summary>gx = Σ over the covering windows of gy / (KH·KW) (overwritten).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void AvgBackward(GpuDevice device, GpuPoolGeometry g, ArrayView<float> gy, ArrayView<float> gx)
    {
        Check(device, g, gx.Length, gy.Length);
        if (g.InputLength == 0) return;
        var k = device.Kernel("avgpool-bwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuPoolGeometry>(AvgBackwardKernel));
        k((int)g.InputLength, gy, gx, g);
    }

    /// <summary>Adaptive average pooling to oh×ow (PyTorch's windows: rows ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉), forward.</summary>
    /// <exception cref="ArgumentException">A size is not positive or a view is too short.</exception>
    public static void AdaptiveAvgForward(GpuDevice device, int n, int c, int h, int w, int oh, int ow, ArrayView<float> x, ArrayView<float> y)
    {
        var a = AdaptiveArgs(device, n, c, h, w, oh, ow, x.Length, y.Length);
        if (a.Outputs == 0) return;
        var k = device.Kernel("adaptive-avg-fwd", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, Adaptive>(AdaptiveForwardKernel));
        k((int)a.Outputs, x, y, a);
    }

    /// <summary>Adaptive average pooling, backward: gx = Σ over the covering windows of gy / window size (overwritten).</summary>
    /// <exception cref="ArgumentException">A size is not positive or a view is too short.</exception>
    public static void AdaptiveAvgBackward(GpuDevice device, int n, int c, int h, int w, int oh, int ow, ArrayView<float> gy, ArrayView<float> gx)
    {
        var a = AdaptiveArgs(device, n, c, h, w, oh, ow, gx.Length, gy.Length);
        if (a.Outputs == 0) return;
        var k = device.Kernel("adaptive-avg-bwd", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, Adaptive>(AdaptiveBackwardKernel));
        k((int)((long)n * c * h * w), gy, gx, a);
    }

    internal readonly record struct Adaptive(int N, int C, int H, int W, int OH, int OW)
    {
        public long Outputs => (long)N * C * OH * OW;
    }

    private static Adaptive AdaptiveArgs(GpuDevice device, int n, int c, int h, int w, int oh, int ow, long inLength, long outLength)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (n < 0 || c < 1 || h < 1 || w < 1 || oh < 1 || ow < 1)
            throw new ArgumentException($"GpuPool2d: adaptive pooling of ({n}, {c}, {h}, {w}) to {oh}×{ow} needs positive sizes.");
        var a = new Adaptive(n, c, h, w, oh, ow);
        if (inLength < (long)n * c * h * w || outLength < a.Outputs)
            throw new ArgumentException($"GpuPool2d: views of {inLength} and {outLength} elements for ({n}, {c}, {h}, {w}) → {oh}×{ow}.");
        return a;
    }

    private static void Check(GpuDevice device, GpuPoolGeometry g, long inLength, long outLength)
    {
        ArgumentNullException.ThrowIfNull(device);
        g.Validate();
        if (inLength < g.InputLength || outLength < g.OutputLength)
            throw new ArgumentException($"GpuPool2d: views of {inLength} and {outLength} elements; the geometry needs {g.InputLength} and {g.OutputLength}.");
    }

    private static void MaxForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax, GpuPoolGeometry g)
    {
        int ox = i % g.OW, t = i / g.OW, oy = t % g.OH, plane = t / g.OH;
        long bas = (long)plane * g.H * g.W;
        float best = float.NegativeInfinity;
        int at = -1;
        for (int a = 0; a < g.KH; a++)
        {
            int iy = oy * g.SH - g.PH + a;
            if (iy < 0 || iy >= g.H) continue;
            for (int e = 0; e < g.KW; e++)
            {
                int ix = ox * g.SW - g.PW + e;
                if (ix < 0 || ix >= g.W) continue;
                float v = x[bas + iy * g.W + ix];
                if (at < 0 || v > best || float.IsNaN(v)) { best = v; at = iy * g.W + ix; }   // as PyTorch: every NaN takes over
            }
        }
        y[i] = best;
        argmax[i] = at;
    }

    private static void MaxBackwardKernel(Index1D i, ArrayView<float> gy, ArrayView<int> argmax, ArrayView<float> gx, GpuPoolGeometry g)
    {
        int ix = i % g.W, t = i / g.W, iy = t % g.H, plane = t / g.H, self = iy * g.W + ix;
        long outBase = (long)plane * g.OH * g.OW;
        float s = 0f;
        // Windows oy with oy·SH − PH ≤ iy ≤ oy·SH − PH + KH − 1.
        int oy0 = Math.Max(0, (iy + g.PH - g.KH + g.SH) / g.SH), oy1 = Math.Min(g.OH - 1, (iy + g.PH) / g.SH);
        int ox0 = Math.Max(0, (ix + g.PW - g.KW + g.SW) / g.SW), ox1 = Math.Min(g.OW - 1, (ix + g.PW) / g.SW);
        for (int oy = oy0; oy <= oy1; oy++)
            for (int ox = ox0; ox <= ox1; ox++)
            {
                long o = outBase + oy * g.OW + ox;
                if (argmax[o] == self) s += gy[o];
            }
        gx[i] = s;
    }

    private static void AvgForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, GpuPoolGeometry g)
    {
        int ox = i % g.OW, t = i / g.OW, oy = t % g.OH, plane = t / g.OH;
        long bas = (long)plane * g.H * g.W;
        float s = 0f;
        for (int a = 0; a < g.KH; a++)
        {
            int iy = oy * g.SH - g.PH + a;
            if (iy < 0 || iy >= g.H) continue;
            for (int e = 0; e < g.KW; e++)
            {
                int ix = ox * g.SW - g.PW + e;
                if (ix >= 0 && ix < g.W) s += x[bas + iy * g.W + ix];
            }
        }
        y[i] = s / (g.KH * g.KW);
    }

    private static void AvgBackwardKernel(Index1D i, ArrayView<float> gy, ArrayView<float> gx, GpuPoolGeometry g)
    {
        int ix = i % g.W, t = i / g.W, iy = t % g.H, plane = t / g.H;
        long outBase = (long)plane * g.OH * g.OW;
        int oy0 = Math.Max(0, (iy + g.PH - g.KH + g.SH) / g.SH), oy1 = Math.Min(g.OH - 1, (iy + g.PH) / g.SH);
        int ox0 = Math.Max(0, (ix + g.PW - g.KW + g.SW) / g.SW), ox1 = Math.Min(g.OW - 1, (ix + g.PW) / g.SW);
        float s = 0f;
        for (int oy = oy0; oy <= oy1; oy++)
            for (int ox = ox0; ox <= ox1; ox++) s += gy[outBase + oy * g.OW + ox];
        gx[i] = s / (g.KH * g.KW);
    }

    private static void AdaptiveForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, Adaptive a)
    {
        int ox = i % a.OW, t = i / a.OW, oy = t % a.OH, plane = t / a.OH;
        int y0 = oy * a.H / a.OH, y1 = ((oy + 1) * a.H + a.OH - 1) / a.OH;
        int x0 = ox * a.W / a.OW, x1 = ((ox + 1) * a.W + a.OW - 1) / a.OW;
        long bas = (long)plane * a.H * a.W;
        float s = 0f;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) s += x[bas + iy * a.W + ix];
        y[i] = s / ((y1 - y0) * (x1 - x0));
    }

    private static void AdaptiveBackwardKernel(Index1D i, ArrayView<float> gy, ArrayView<float> gx, Adaptive a)
    {
        int ix = i % a.W, t = i / a.W, iy = t % a.H, plane = t / a.H;
        long outBase = (long)plane * a.OH * a.OW;
        float s = 0f;
        for (int oy = 0; oy < a.OH; oy++)
        {
            int y0 = oy * a.H / a.OH, y1 = ((oy + 1) * a.H + a.OH - 1) / a.OH;
            if (iy < y0 || iy >= y1) continue;
            for (int ox = 0; ox < a.OW; ox++)
            {
                int x0 = ox * a.W / a.OW, x1 = ((ox + 1) * a.W + a.OW - 1) / a.OW;
                if (ix >= x0 && ix < x1) s += gy[outBase + oy * a.OW + ox] / ((y1 - y0) * (x1 - x0));
            }
        }
        gx[i] = s;
    }
}
