using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>The geometry of a 2-D convolution on NCHW tensors (PyTorch's <c>Conv2d</c>: zero padding, stride, dilation, groups).</summary>
/// <param name="N">Batch.</param>
/// <param name="C">Input channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="OutC">Output channels.</param>
/// <param name="KH">Kernel height.</param>
/// <param name="KW">Kernel width.</param>
/// <param name="SH">Vertical stride.</param>
/// <param name="SW">Horizontal stride.</param>
/// <param name="PH">Vertical zero padding.</param>
/// <param name="PW">Horizontal zero padding.</param>
/// <param name="DH">Vertical dilation.</param>
/// <param name="DW">Horizontal dilation.</param>
/// <param name="Groups">Groups (dividing both channel counts).</param>
public readonly record struct GpuConvGeometry(int N, int C, int H, int W, int OutC, int KH, int KW,
    int SH = 1, int SW = 1, int PH = 0, int PW = 0, int DH = 1, int DW = 1, int Groups = 1)
{
    /// <summary>Output height.</summary>
    public int OH => (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1;
    /// <summary>Output width.</summary>
    public int OW => (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;
    /// <summary>Input channels per group.</summary>
    public int GroupC => C / Groups;
    /// <summary>Output channels per group.</summary>
    public int GroupOutC => OutC / Groups;
    /// <summary>Elements of the input.</summary>
    public long InputLength => (long)N * C * H * W;
    /// <summary>Elements of the output.</summary>
    public long OutputLength => (long)N * OutC * OH * OW;
    /// <summary>Elements of the weight (OutC × C/groups × KH × KW).</summary>
    public long WeightLength => (long)OutC * GroupC * KH * KW;

    /// <summary>Throws when the geometry is not a valid convolution.</summary>
    /// <exception cref="ArgumentException">A size is not positive, groups do not divide the channels, or the kernel is larger than the padded input.</exception>
    public void Validate()
    {
        if (N < 0 || C < 1 || H < 1 || W < 1 || OutC < 1 || KH < 1 || KW < 1 || SH < 1 || SW < 1 || PH < 0 || PW < 0 || DH < 1 || DW < 1 || Groups < 1)
            throw new ArgumentException($"GpuConv2d: invalid geometry {this}.");
        if (C % Groups != 0 || OutC % Groups != 0)
            throw new ArgumentException($"GpuConv2d: groups = {Groups} must divide the {C} input and {OutC} output channels.");
        if (OH < 1 || OW < 1)
            throw new ArgumentException($"GpuConv2d: a {KH}×{KW} kernel (dilation {DH}×{DW}) does not fit the {H}×{W} input padded by {PH}×{PW}.");
    }
}

/// <summary>
/// 2-D convolution on a <see cref="GpuDevice"/>: forward, input gradient and weight/bias gradients, one thread per output
/// element (the direct formulas, correct for every stride, padding, dilation and groups). The backend runs the tiled
/// implicit-GEMM versions (<see cref="GpuConv2dTiled"/>); these stay as the reference the tests compare them with.
/// </summary>
public static class GpuConv2d
{
    /// <summary>y = conv(x, w) + b (bias optional: pass an empty view).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void Forward(GpuDevice device, GpuConvGeometry g, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y)
    {
        Check(device, g, x.Length, g.InputLength, "input", w.Length, y.Length, g.OutputLength, "output");
        if (bias.Length != 0 && bias.Length < g.OutC) throw new ArgumentException($"GpuConv2d.Forward: bias has {bias.Length} elements for {g.OutC} output channels.");
        if (g.OutputLength == 0) return;
        var k = device.Kernel("conv-fwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuConvGeometry, int>(ForwardKernel));
        k((int)g.OutputLength, x, w, bias.Length == 0 ? y : bias, y, g, bias.Length == 0 ? 0 : 1);
    }

    /// <summary>gx = ∂L/∂x from gy = ∂L/∂y (overwritten).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void BackwardInput(GpuDevice device, GpuConvGeometry g, ArrayView<float> gy, ArrayView<float> w, ArrayView<float> gx)
    {
        Check(device, g, gy.Length, g.OutputLength, "output gradient", w.Length, gx.Length, g.InputLength, "input gradient");
        if (g.InputLength == 0) return;
        var k = device.Kernel("conv-bwd-in", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuConvGeometry>(BackwardInputKernel));
        k((int)g.InputLength, gy, w, gx, g);
    }

    /// <summary>gw = ∂L/∂w and, when <paramref name="gradBias"/> is not empty, gb = ∂L/∂b (both overwritten).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void BackwardWeight(GpuDevice device, GpuConvGeometry g, ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gradWeight, ArrayView<float> gradBias)
    {
        Check(device, g, x.Length, g.InputLength, "input", gradWeight.Length, gy.Length, g.OutputLength, "output gradient");
        if (gradBias.Length != 0 && gradBias.Length < g.OutC) throw new ArgumentException($"GpuConv2d.BackwardWeight: bias gradient has {gradBias.Length} elements for {g.OutC} output channels.");
        var k = device.Kernel("conv-bwd-w", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuConvGeometry>(BackwardWeightKernel));
        k((int)g.WeightLength, x, gy, gradWeight, g);
        if (gradBias.Length != 0) BackwardBias(device, g, gy, gradBias);
    }

    // gb[o] = Σ over the batch and the plane of gy[·, o, ·] (one thread per channel).
    internal static void BackwardBias(GpuDevice device, GpuConvGeometry g, ArrayView<float> gy, ArrayView<float> gradBias)
    {
        var kb = device.Kernel("conv-bwd-b", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, GpuConvGeometry>(BackwardBiasKernel));
        kb(g.OutC, gy, gradBias, g);
    }

    // The checks every convolution launch makes (the direct kernels here and the tiled ones of GpuConv2dTiled).
    internal static void Check(GpuDevice device, GpuConvGeometry g, long aLength, long aNeeded, string aName, long wLength, long bLength, long bNeeded, string bName)
    {
        ArgumentNullException.ThrowIfNull(device);
        g.Validate();
        if (aLength < aNeeded) throw new ArgumentException($"GpuConv2d: the {aName} has {aLength} elements; the geometry needs {aNeeded}.");
        if (bLength < bNeeded) throw new ArgumentException($"GpuConv2d: the {bName} has {bLength} elements; the geometry needs {bNeeded}.");
        if (wLength < g.WeightLength) throw new ArgumentException($"GpuConv2d: the weight has {wLength} elements; the geometry needs {g.WeightLength}.");
        if (Math.Max(g.InputLength, Math.Max(g.OutputLength, g.WeightLength)) > int.MaxValue)
            throw new ArgumentException("GpuConv2d: more than 2^31 − 1 elements in one launch.");
    }

    private static void ForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, GpuConvGeometry g, int hasBias)
    {
        int oh = g.OH, ow = g.OW;
        int ox = i % ow, t = i / ow, oy = t % oh;
        t /= oh;
        int o = t % g.OutC, n = t / g.OutC;
        int cg = g.GroupC, c0 = o / g.GroupOutC * cg;
        float s = hasBias != 0 ? bias[o] : 0f;
        for (int c = 0; c < cg; c++)
            for (int a = 0; a < g.KH; a++)
            {
                int iy = oy * g.SH - g.PH + a * g.DH;
                if (iy < 0 || iy >= g.H) continue;
                for (int e = 0; e < g.KW; e++)
                {
                    int ix = ox * g.SW - g.PW + e * g.DW;
                    if (ix < 0 || ix >= g.W) continue;
                    s += w[(((long)o * cg + c) * g.KH + a) * g.KW + e] * x[(((long)n * g.C + c0 + c) * g.H + iy) * g.W + ix];
                }
            }
        y[i] = s;
    }

    private static void BackwardInputKernel(Index1D i, ArrayView<float> gy, ArrayView<float> w, ArrayView<float> gx, GpuConvGeometry g)
    {
        int ix = i % g.W, t = i / g.W, iy = t % g.H;
        t /= g.H;
        int ci = t % g.C, n = t / g.C;
        int cg = g.GroupC, ocg = g.GroupOutC, grp = ci / cg, c = ci % cg, oh = g.OH, ow = g.OW;
        float s = 0f;
        for (int oi = 0; oi < ocg; oi++)
        {
            int o = grp * ocg + oi;
            for (int a = 0; a < g.KH; a++)
            {
                int ty = iy + g.PH - a * g.DH;
                if (ty < 0 || ty % g.SH != 0) continue;
                int oy = ty / g.SH;
                if (oy >= oh) continue;
                for (int e = 0; e < g.KW; e++)
                {
                    int tx = ix + g.PW - e * g.DW;
                    if (tx < 0 || tx % g.SW != 0) continue;
                    int ox = tx / g.SW;
                    if (ox >= ow) continue;
                    s += w[(((long)o * cg + c) * g.KH + a) * g.KW + e] * gy[(((long)n * g.OutC + o) * oh + oy) * ow + ox];
                }
            }
        }
        gx[i] = s;
    }

    private static void BackwardWeightKernel(Index1D i, ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gw, GpuConvGeometry g)
    {
        int e = i % g.KW, t = i / g.KW, a = t % g.KH;
        t /= g.KH;
        int cg = g.GroupC, c = t % cg, o = t / cg, c0 = o / g.GroupOutC * cg, oh = g.OH, ow = g.OW;
        float s = 0f;
        for (int n = 0; n < g.N; n++)
            for (int oy = 0; oy < oh; oy++)
            {
                int iy = oy * g.SH - g.PH + a * g.DH;
                if (iy < 0 || iy >= g.H) continue;
                for (int ox = 0; ox < ow; ox++)
                {
                    int ix = ox * g.SW - g.PW + e * g.DW;
                    if (ix < 0 || ix >= g.W) continue;
                    s += gy[(((long)n * g.OutC + o) * oh + oy) * ow + ox] * x[(((long)n * g.C + c0 + c) * g.H + iy) * g.W + ix];
                }
            }
        gw[i] = s;
    }

    private static void BackwardBiasKernel(Index1D o, ArrayView<float> gy, ArrayView<float> gb, GpuConvGeometry g)
    {
        int p = g.OH * g.OW;
        float s = 0f;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < p; k++) s += gy[((long)n * g.OutC + o) * p + k];
        gb[o] = s;
    }
}
