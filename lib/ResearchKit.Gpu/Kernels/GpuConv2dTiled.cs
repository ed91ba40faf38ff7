using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// 2-D convolution as implicit GEMM on a <see cref="GpuDevice"/>, tiled in shared memory like <see cref="GpuGemm"/>: each
/// 16×16 thread block computes a 16×16 tile of the product, staging 16-deep slices of both operands, and the im2col matrix is
/// never built: each element of a tile is read from the tensor through the convolution's index map (zero outside the
/// padded input). The three products, per group:
/// <list type="bullet">
/// <item>forward: y[o, (n, oy, ox)] = Σ_(c, a, e) w[o, (c, a, e)] · x[n, c, oy·s − p + a·d, …];</item>
/// <item>input gradient: gx[c, (n, iy, ix)] = Σ_(o, a, e) w[o, c, a, e] · gy[n, o, (iy + p − a·d)/s, …] where the division is exact;</item>
/// <item>weight gradient: gw[o, (c, a, e)] = Σ_(n, oy, ox) gy[n, o, oy, ox] · x[n, c, …], split along its long sum into
/// slices whose partial products a second kernel adds in a fixed order (deterministic, unlike atomics).</item>
/// </list>
/// Same geometry and results as <see cref="GpuConv2d"/> (the direct kernels, kept as the reference the tests compare against).
/// </summary>
public static class GpuConv2dTiled
{
    private const int Tile = 16;
    private const int ModeForward = 0, ModeInput = 1, ModeWeight = 2;

    internal readonly record struct Args(GpuConvGeometry G, int Mode, int M, int N, int K, int KChunk, int HasBias);

    /// <summary>y = conv(x, w) + b (bias optional: pass an empty view).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void Forward(GpuDevice device, GpuConvGeometry g, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y)
    {
        GpuConv2d.Check(device, g, x.Length, g.InputLength, "input", w.Length, y.Length, g.OutputLength, "output");
        if (bias.Length != 0 && bias.Length < g.OutC) throw new ArgumentException($"GpuConv2dTiled.Forward: bias has {bias.Length} elements for {g.OutC} output channels.");
        if (g.OutputLength == 0) return;
        var args = new Args(g, ModeForward, g.GroupOutC, g.N * g.OH * g.OW, g.GroupC * g.KH * g.KW, 0, bias.Length == 0 ? 0 : 1);
        Launch(device, args, 1, w, x, bias.Length == 0 ? y : bias, y);
    }

    /// <summary>gx = ∂L/∂x from gy = ∂L/∂y (overwritten).</summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a view is too short.</exception>
    public static void BackwardInput(GpuDevice device, GpuConvGeometry g, ArrayView<float> gy, ArrayView<float> w, ArrayView<float> gx)
    {
        GpuConv2d.Check(device, g, gy.Length, g.OutputLength, "output gradient", w.Length, gx.Length, g.InputLength, "input gradient");
        if (g.InputLength == 0) return;
        var args = new Args(g, ModeInput, g.GroupC, g.N * g.H * g.W, g.GroupOutC * g.KH * g.KW, 0, 0);
        Launch(device, args, 1, w, gy, gx, gx);
    }

    /// <summary>Elements of the workspace <see cref="BackwardWeight"/> uses for <paramref name="g"/> (0: it needs none).</summary>
    public static long WorkspaceLength(GpuConvGeometry g)
    {
        int splits = Splits(g, out _);
        return splits == 1 ? 0 : (long)splits * g.WeightLength;
    }

    /// <summary>
    /// gw = ∂L/∂w and, when <paramref name="gradBias"/> is not empty, gb = ∂L/∂b (both overwritten). <paramref name="workspace"/>
    /// holds the partial products of the split sum: at least <see cref="WorkspaceLength"/> elements (an empty view when that is 0).
    /// </summary>
    /// <exception cref="ArgumentException">The geometry is invalid, or a view or the workspace is too short.</exception>
    public static void BackwardWeight(GpuDevice device, GpuConvGeometry g, ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gradWeight,
        ArrayView<float> gradBias, ArrayView<float> workspace)
    {
        GpuConv2d.Check(device, g, x.Length, g.InputLength, "input", gradWeight.Length, gy.Length, g.OutputLength, "output gradient");
        if (gradBias.Length != 0 && gradBias.Length < g.OutC) throw new ArgumentException($"GpuConv2dTiled.BackwardWeight: bias gradient has {gradBias.Length} elements for {g.OutC} output channels.");
        int splits = Splits(g, out int chunk);
        if (workspace.Length < WorkspaceLength(g))
            throw new ArgumentException($"GpuConv2dTiled.BackwardWeight: the workspace has {workspace.Length} elements; this geometry needs {WorkspaceLength(g)} (WorkspaceLength).");
        var args = new Args(g, ModeWeight, g.GroupOutC, g.GroupC * g.KH * g.KW, g.N * g.OH * g.OW, chunk, 0);
        if (splits == 1) Launch(device, args, 1, gy, x, gradWeight, gradWeight);
        else
        {
            Launch(device, args, splits, gy, x, workspace, workspace);
            var sum = device.Kernel("conv-tiled-splitsum", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(SplitSumKernel));
            sum((int)g.WeightLength, workspace, gradWeight, splits, (int)g.WeightLength);
        }
        if (gradBias.Length != 0) GpuConv2d.BackwardBias(device, g, gy, gradBias);
    }

    // Split the weight gradient's long sum (N·OH·OW) so that the launch has enough blocks to fill a GPU: a fixed function of the
    // geometry, so every device adds in the same order.
    private static int Splits(GpuConvGeometry g, out int chunk)
    {
        long k = (long)g.N * g.OH * g.OW;
        if (k == 0) { chunk = Tile; return 1; }
        long blocks = (long)((g.GroupOutC + Tile - 1) / Tile) * ((g.GroupC * g.KH * g.KW + Tile - 1) / Tile) * g.Groups;
        long wanted = Math.Clamp(512 / Math.Max(blocks, 1), 1, Math.Max(1, k / (8 * Tile)));
        chunk = (int)((k + wanted - 1) / wanted + Tile - 1) / Tile * Tile;
        return (int)((k + chunk - 1) / chunk);
    }

    private static void Launch(GpuDevice device, Args p, int splits, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c)
    {
        var kernel = device.Kernel("conv-tiled", acc => acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Args>(TiledKernel));
        var grid = new Index3D((p.N + Tile - 1) / Tile, (p.M + Tile - 1) / Tile, p.G.Groups * splits);
        kernel(new KernelConfig(grid, new Index3D(Tile, Tile, 1)), a, b, bias, c, p);
    }

    // Block (x, y, z): columns x·16.., rows y·16.. of group z % groups, sum slice z / groups. A is m×k, B is k×n, both read
    // through the mode's index map.
    private static void TiledKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, Args p)
    {
        int tx = Group.IdxX, ty = Group.IdxY;
        int groups = p.G.Groups, grp = Grid.IdxZ % groups, split = Grid.IdxZ / groups;
        int row = Grid.IdxY * Tile + ty, col = Grid.IdxX * Tile + tx;
        int kStart = p.Mode == ModeWeight ? split * p.KChunk : 0;
        int kEnd = p.Mode == ModeWeight ? Math.Min(p.K, kStart + p.KChunk) : p.K;
        var sa = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        var sb = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        float acc = 0f;
        for (int t0 = kStart; t0 < kEnd; t0 += Tile)
        {
            int ka = t0 + tx, kb = t0 + ty;
            sa[tx, ty] = row < p.M && ka < kEnd ? LoadA(a, p, grp, row, ka) : 0f;
            sb[tx, ty] = col < p.N && kb < kEnd ? LoadB(b, p, grp, kb, col) : 0f;
            Group.Barrier();
            for (int i = 0; i < Tile; i++) acc += sa[i, ty] * sb[tx, i];
            Group.Barrier();
        }
        if (row >= p.M || col >= p.N) return;
        var g = p.G;
        if (p.Mode == ModeForward)
        {
            int o = grp * g.GroupOutC + row, plane = g.OH * g.OW, n = col / plane, pix = col - n * plane;
            c[((long)n * g.OutC + o) * plane + pix] = p.HasBias != 0 ? acc + bias[o] : acc;
        }
        else if (p.Mode == ModeInput)
        {
            int ci = grp * g.GroupC + row, plane = g.H * g.W, n = col / plane, pix = col - n * plane;
            c[((long)n * g.C + ci) * plane + pix] = acc;
        }
        else
        {
            long at = (long)(grp * g.GroupOutC + row) * p.N + col;
            c[(long)split * g.WeightLength + at] = acc;
        }
    }

    // A[m, k]: the weight (forward: w[o, (c, a, e)]; input gradient: w[o, c, a, e] with k = (o, a, e)), or gy (weight gradient:
    // gy[n, o, oy, ox] with k = (n, oy, ox)).
    private static float LoadA(ArrayView<float> a, Args p, int grp, int m, int k)
    {
        var g = p.G;
        if (p.Mode == ModeForward) return a[(long)(grp * g.GroupOutC + m) * p.K + k];
        int khw = g.KH * g.KW;
        if (p.Mode == ModeInput)
        {
            int oi = k / khw, r = k - oi * khw;
            return a[((long)(grp * g.GroupOutC + oi) * g.GroupC + m) * khw + r];
        }
        int plane = g.OH * g.OW, n = k / plane, pix = k - n * plane;
        return a[((long)n * g.OutC + grp * g.GroupOutC + m) * plane + pix];
    }

    // B[k, n]: the input through the im2col map (forward, weight gradient), or gy through the transposed map (input gradient).
    private static float LoadB(ArrayView<float> b, Args p, int grp, int k, int n)
    {
        var g = p.G;
        int khw = g.KH * g.KW;
        if (p.Mode == ModeInput)
        {
            int oi = k / khw, r = k - oi * khw, ka = r / g.KW, ke = r - ka * g.KW;
            int plane = g.H * g.W, img = n / plane, pix = n - img * plane, iy = pix / g.W, ix = pix - iy * g.W;
            int ty = iy + g.PH - ka * g.DH, tx = ix + g.PW - ke * g.DW;
            if (ty < 0 || tx < 0 || ty % g.SH != 0 || tx % g.SW != 0) return 0f;
            int oy = ty / g.SH, ox = tx / g.SW;
            if (oy >= g.OH || ox >= g.OW) return 0f;
            return b[(((long)img * g.OutC + grp * g.GroupOutC + oi) * g.OH + oy) * g.OW + ox];
        }
        // Forward: k = (c, a, e), n = (img, oy, ox). Weight gradient: k = (img, oy, ox), n = (c, a, e).
        int cae = p.Mode == ModeForward ? k : n, pos = p.Mode == ModeForward ? n : k;
        int c = cae / khw, r2 = cae - c * khw, a2 = r2 / g.KW, e2 = r2 - a2 * g.KW;
        int oplane = g.OH * g.OW, im = pos / oplane, op = pos - im * oplane, oy2 = op / g.OW, ox2 = op - oy2 * g.OW;
        int y = oy2 * g.SH - g.PH + a2 * g.DH, x = ox2 * g.SW - g.PW + e2 * g.DW;
        if (y < 0 || y >= g.H || x < 0 || x >= g.W) return 0f;
        return b[(((long)im * g.C + grp * g.GroupC + c) * g.H + y) * g.W + x];
    }

    private static void SplitSumKernel(Index1D i, ArrayView<float> partial, ArrayView<float> result, int splits, int length)
    {
        float s = 0f;
        for (int z = 0; z < splits; z++) s += partial[(long)z * length + i];
        result[i] = s;
    }
}
