using System.Buffers;
using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// 2-D convolution (<c>torch.nn.functional.conv2d</c>) on contiguous NCHW float32 spans, forward and backward,
/// via im2col + <see cref="Gemm.Sgemm"/>. Layouts: input <c>[N, C, H, W]</c>, weight <c>[OutC, C/Groups, KH, KW]</c>,
/// bias <c>[OutC]</c>, output <c>[N, OutC, OutH, OutW]</c> (see <see cref="Conv2dGeometry"/>).
/// </summary>
/// <remarks>
/// Work is split over the batch into <c>min(N, Parallelism.Threads)</c> chunks; each chunk rents one im2col buffer
/// covering a band of output rows (kept near L2 size) and reuses it for all its images and groups.
/// 1×1 stride-1 unpadded convolutions skip im2col: an image's channel planes already are the column matrix.
/// The weight gradient is deterministic: each chunk accumulates a private partial, and partials are summed in chunk order.
/// </remarks>
public static class Conv2dKernel
{
    /// <summary>Target im2col band size in floats (256 KB): small enough to stay in L2 while the GEMM streams it.</summary>
    private const int ColBlockFloats = 1 << 16;

    /// <summary>Computes <c>output = conv2d(input, weight) + bias</c> (output is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="weight">Weight <c>[OutC, C/Groups, KH, KW]</c>.</param>
    /// <param name="bias">Bias <c>[OutC]</c>, or empty for no bias.</param>
    /// <param name="output">Output <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static unsafe void Forward(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        const string op = "Conv2d.Forward";
        g.EnsureInitialized(op);
        CheckLength(op, "input", input.Length, g.InputLength, g);
        CheckLength(op, "weight", weight.Length, g.WeightLength, g);
        CheckLength(op, "output", output.Length, g.OutputLength, g);
        if (!bias.IsEmpty) CheckLength(op, "bias", bias.Length, g.OutC, g);
        if (g.N == 0) return;

        Conv2dGeometry geo = g;
        int chunks = BatchChunks(geo.N);
        int inImage = geo.C * geo.H * geo.W, outImage = geo.OutC * geo.OutH * geo.OutW;
        int wLen = weight.Length, bLen = bias.Length;
        fixed (float* pi = input, pw = weight, pb = bias, po = output)
        {
            nint ai = (nint)pi, aw = (nint)pw, ab = (nint)pb, ao = (nint)po;
            Parallelism.For(chunks, chunk =>
            {
                ChunkRange(chunk, chunks, geo.N, out int n0, out int n1);
                float[]? col = RentCol(geo, out int rowsPerBlock);
                try
                {
                    var w = new ReadOnlySpan<float>((void*)aw, wLen);
                    var b = new ReadOnlySpan<float>((void*)ab, bLen);
                    for (int n = n0; n < n1; n++)
                    {
                        var x = new ReadOnlySpan<float>((float*)ai + (long)n * inImage, inImage);
                        var y = new Span<float>((float*)ao + (long)n * outImage, outImage);
                        ForwardImage(geo, x, w, b, y, col, rowsPerBlock);
                    }
                }
                finally
                {
                    if (col is not null) ArrayPool<float>.Shared.Return(col);
                }
            });
        }
    }

    /// <summary>Computes the input gradient <c>gradInput = conv2dᵀ(gradOutput, weight)</c> (gradInput is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="weight">Weight <c>[OutC, C/Groups, KH, KW]</c>.</param>
    /// <param name="gradInput">Gradient of the input, <c>[N, C, H, W]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static unsafe void BackwardInput(in Conv2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        const string op = "Conv2d.BackwardInput";
        g.EnsureInitialized(op);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "weight", weight.Length, g.WeightLength, g);
        CheckLength(op, "gradInput", gradInput.Length, g.InputLength, g);
        if (g.N == 0) return;

        Conv2dGeometry geo = g;
        int chunks = BatchChunks(geo.N);
        int inImage = geo.C * geo.H * geo.W, outImage = geo.OutC * geo.OutH * geo.OutW;
        int wLen = weight.Length;
        fixed (float* pgy = gradOutput, pw = weight, pgx = gradInput)
        {
            nint agy = (nint)pgy, aw = (nint)pw, agx = (nint)pgx;
            Parallelism.For(chunks, chunk =>
            {
                ChunkRange(chunk, chunks, geo.N, out int n0, out int n1);
                float[]? col = RentCol(geo, out int rowsPerBlock);
                try
                {
                    var w = new ReadOnlySpan<float>((void*)aw, wLen);
                    for (int n = n0; n < n1; n++)
                    {
                        var gy = new ReadOnlySpan<float>((float*)agy + (long)n * outImage, outImage);
                        var gx = new Span<float>((float*)agx + (long)n * inImage, inImage);
                        BackwardInputImage(geo, gy, w, gx, col, rowsPerBlock);
                    }
                }
                finally
                {
                    if (col is not null) ArrayPool<float>.Shared.Return(col);
                }
            });
        }
    }

    /// <summary>Computes the weight gradient <c>Σₙ gradOutputₙ · im2col(inputₙ)ᵀ</c> (gradWeight is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="gradWeight">Gradient of the weight, <c>[OutC, C/Groups, KH, KW]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static unsafe void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight)
    {
        const string op = "Conv2d.BackwardWeight";
        g.EnsureInitialized(op);
        CheckLength(op, "input", input.Length, g.InputLength, g);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "gradWeight", gradWeight.Length, g.WeightLength, g);
        if (g.N == 0)
        {
            gradWeight.Clear();
            return;
        }

        Conv2dGeometry geo = g;
        int chunks = BatchChunks(geo.N);
        int inImage = geo.C * geo.H * geo.W, outImage = geo.OutC * geo.OutH * geo.OutW;
        int wLen = geo.WeightLength;
        // Chunk 0 accumulates straight into gradWeight; the others into private partials summed afterwards in chunk order.
        float[]? partials = chunks > 1 ? ArrayPool<float>.Shared.Rent((chunks - 1) * wLen) : null;
        try
        {
            fixed (float* pi = input, pgy = gradOutput, pgw = gradWeight)
            fixed (float* pp = partials)
            {
                nint ai = (nint)pi, agy = (nint)pgy, agw = (nint)pgw, ap = (nint)pp;
                Parallelism.For(chunks, chunk =>
                {
                    ChunkRange(chunk, chunks, geo.N, out int n0, out int n1);
                    float* dst = chunk == 0 ? (float*)agw : (float*)ap + (long)(chunk - 1) * wLen;
                    var gw = new Span<float>(dst, wLen);
                    float[]? col = RentCol(geo, out int rowsPerBlock);
                    try
                    {
                        for (int n = n0; n < n1; n++)
                        {
                            var x = new ReadOnlySpan<float>((float*)ai + (long)n * inImage, inImage);
                            var gy = new ReadOnlySpan<float>((float*)agy + (long)n * outImage, outImage);
                            BackwardWeightImage(geo, x, gy, gw, col, rowsPerBlock, accumulate: n > n0);
                        }
                    }
                    finally
                    {
                        if (col is not null) ArrayPool<float>.Shared.Return(col);
                    }
                });
            }
            for (int c = 1; c < chunks; c++)
                TensorPrimitives.Add(gradWeight, partials.AsSpan((c - 1) * wLen, wLen), gradWeight);
        }
        finally
        {
            if (partials is not null) ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>Computes the bias gradient <c>gradBias[o] = Σ_{n,h,w} gradOutput[n, o, h, w]</c> (overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="gradBias">Gradient of the bias, <c>[OutC]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void BackwardBias(in Conv2dGeometry g, ReadOnlySpan<float> gradOutput, Span<float> gradBias)
    {
        const string op = "Conv2d.BackwardBias";
        g.EnsureInitialized(op);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "gradBias", gradBias.Length, g.OutC, g);
        SumPerChannel(gradOutput, g.N, g.OutC, g.OutH * g.OutW, gradBias);
    }

    /// <summary>Per-channel sum over batch and plane, in a fixed order (shared with the transposed convolution).</summary>
    internal static void SumPerChannel(ReadOnlySpan<float> data, int n, int channels, int plane, Span<float> sums)
    {
        for (int c = 0; c < channels; c++)
        {
            float s = 0f;
            for (int i = 0; i < n; i++)
                s += TensorPrimitives.Sum(data.Slice((i * channels + c) * plane, plane));
            sums[c] = s;
        }
    }

    private static void ForwardImage(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
        ReadOnlySpan<float> bias, Span<float> y, float[]? col, int rowsPerBlock)
    {
        int p = g.OutH * g.OutW, kc = g.ColRows, ocg = g.GroupOutC, cg = g.GroupC, hw = g.H * g.W;
        for (int grp = 0; grp < g.Groups; grp++)
        {
            ReadOnlySpan<float> wg = w.Slice(grp * ocg * kc, ocg * kc);
            ReadOnlySpan<float> xg = x.Slice(grp * cg * hw, cg * hw);
            Span<float> yg = y.Slice(grp * ocg * p, ocg * p);
            if (col is null)
            {
                Gemm.Sgemm(false, false, ocg, p, kc, 1f, wg, kc, xg, hw, 0f, yg, p);
                continue;
            }
            for (int oh0 = 0; oh0 < g.OutH; oh0 += rowsPerBlock)
            {
                int oh1 = Math.Min(g.OutH, oh0 + rowsPerBlock), cols = (oh1 - oh0) * g.OutW;
                Span<float> c = col.AsSpan(0, kc * cols);
                Im2Col.Unfold(g, xg, cg, oh0, oh1, c);
                Gemm.Sgemm(false, false, ocg, cols, kc, 1f, wg, kc, c, cols, 0f, yg[(oh0 * g.OutW)..], p);
            }
        }
        if (!bias.IsEmpty)
        {
            for (int o = 0; o < g.OutC; o++)
            {
                Span<float> plane = y.Slice(o * p, p);
                TensorPrimitives.Add(plane, bias[o], plane);
            }
        }
    }

    private static void BackwardInputImage(in Conv2dGeometry g, ReadOnlySpan<float> gy, ReadOnlySpan<float> w,
        Span<float> gx, float[]? col, int rowsPerBlock)
    {
        int p = g.OutH * g.OutW, kc = g.ColRows, ocg = g.GroupOutC, cg = g.GroupC, hw = g.H * g.W;
        if (col is not null) gx.Clear();
        for (int grp = 0; grp < g.Groups; grp++)
        {
            ReadOnlySpan<float> wg = w.Slice(grp * ocg * kc, ocg * kc);
            ReadOnlySpan<float> gyg = gy.Slice(grp * ocg * p, ocg * p);
            Span<float> gxg = gx.Slice(grp * cg * hw, cg * hw);
            if (col is null)
            {
                // Pointwise: gradInput plane block = Wᵀ · gradOutput directly, no col2im.
                Gemm.Sgemm(true, false, cg, p, ocg, 1f, wg, kc, gyg, p, 0f, gxg, hw);
                continue;
            }
            for (int oh0 = 0; oh0 < g.OutH; oh0 += rowsPerBlock)
            {
                int oh1 = Math.Min(g.OutH, oh0 + rowsPerBlock), cols = (oh1 - oh0) * g.OutW;
                Span<float> c = col.AsSpan(0, kc * cols);
                Gemm.Sgemm(true, false, kc, cols, ocg, 1f, wg, kc, gyg[(oh0 * g.OutW)..], p, 0f, c, cols);
                Im2Col.FoldAdd(g, c, cg, oh0, oh1, gxg);
            }
        }
    }

    private static void BackwardWeightImage(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> gy,
        Span<float> gw, float[]? col, int rowsPerBlock, bool accumulate)
    {
        int p = g.OutH * g.OutW, kc = g.ColRows, ocg = g.GroupOutC, cg = g.GroupC, hw = g.H * g.W;
        for (int grp = 0; grp < g.Groups; grp++)
        {
            Span<float> gwg = gw.Slice(grp * ocg * kc, ocg * kc);
            ReadOnlySpan<float> xg = x.Slice(grp * cg * hw, cg * hw);
            ReadOnlySpan<float> gyg = gy.Slice(grp * ocg * p, ocg * p);
            if (col is null)
            {
                Gemm.Sgemm(false, true, ocg, kc, p, 1f, gyg, p, xg, hw, accumulate ? 1f : 0f, gwg, kc);
                continue;
            }
            for (int oh0 = 0; oh0 < g.OutH; oh0 += rowsPerBlock)
            {
                int oh1 = Math.Min(g.OutH, oh0 + rowsPerBlock), cols = (oh1 - oh0) * g.OutW;
                Span<float> c = col.AsSpan(0, kc * cols);
                Im2Col.Unfold(g, xg, cg, oh0, oh1, c);
                float beta = accumulate || oh0 > 0 ? 1f : 0f;
                Gemm.Sgemm(false, true, ocg, kc, cols, 1f, gyg[(oh0 * g.OutW)..], p, c, cols, beta, gwg, kc);
            }
        }
    }

    /// <summary>Rents the per-chunk im2col band buffer (null for pointwise convolutions, which need none).</summary>
    private static float[]? RentCol(in Conv2dGeometry g, out int rowsPerBlock)
    {
        rowsPerBlock = g.OutH;
        if (g.IsPointwise) return null;
        long perRow = (long)g.ColRows * g.OutW;
        rowsPerBlock = (int)Math.Clamp(ColBlockFloats / perRow, 1, g.OutH);
        return ArrayPool<float>.Shared.Rent((int)(perRow * rowsPerBlock));
    }

    /// <summary>Chunk count depends only on batch size and thread count, so partial sums are reproducible.</summary>
    internal static int BatchChunks(int n) => Math.Max(1, Math.Min(n, Parallelism.Threads));

    /// <summary>Contiguous, balanced split of <c>[0, count)</c> into <paramref name="chunks"/> parts.</summary>
    internal static void ChunkRange(int chunk, int chunks, int count, out int start, out int end)
    {
        start = (int)((long)count * chunk / chunks);
        end = (int)((long)count * (chunk + 1) / chunks);
    }

    private static void CheckLength(string op, string name, int actual, int expected, in Conv2dGeometry g)
    {
        if (actual != expected)
            throw new ArgumentException(
                $"{op}: {name} has {actual} elements but the geometry needs {expected} " +
                $"(input [{g.N}, {g.C}, {g.H}, {g.W}], weight [{g.OutC}, {g.GroupC}, {g.KH}, {g.KW}], " +
                $"output [{g.N}, {g.OutC}, {g.OutH}, {g.OutW}]); pass spans matching the geometry.", name);
    }
}
