using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Implicit-GEMM convolution for stride 1 (any kernel, padding, dilation, groups) on AVX-512: no im2col matrix and no
/// packed B operand. The input of a block of images is copied once into a zero-gapped buffer (see <see cref="Shape"/>)
/// in which row <c>(ci, kh, kw)</c> of the im2col matrix, taken over an "extended" output grid whose rows have the
/// buffer's pitch, is one contiguous run starting at a fixed offset. The micro-kernels read B rows straight from
/// that buffer; the few garbage columns of the extended grid are dropped when the result is scattered to NCHW.
/// </summary>
/// <remarks>
/// <para>Forward and input gradient use broadcast tiles (MR output channels × 32 positions, see
/// <c>Tile12x32</c>); the input gradient is the forward of the adjoint convolution (padded gradOutput, flipped and
/// channel-transposed weight). The weight gradient uses 4×6 dot tiles whose reduction runs along the extended grid
/// (gradOutput is embedded in the same grid with zeros in the garbage columns).</para>
/// <para>Work is split over the batch in <c>min(N, Threads)</c> chunks; each chunk walks its images in cache-sized
/// blocks with thread-cached scratch. Weight-gradient partials are summed in chunk order, so every result depends
/// only on the inputs and <see cref="Parallelism.Threads"/>.</para>
/// </remarks>
internal static unsafe partial class Conv2dImplicit
{
    /// <summary>Target size of one block's padded input buffer in floats (256 KB).</summary>
    private const int BlockFloats = 1 << 16;

    /// <summary>Target size of the forward staging tile matrix in floats (48 KB: stays in L1 until scattered).</summary>
    private const int StageFloats = 12 * 1024;

    /// <summary>Columns per weight-gradient reduction block: the 4 gradOutput rows of a tile (32 KB) stay in L1.</summary>
    private const int DotColumns = 2048;

    [ThreadStatic] private static float[]? t_pad;
    [ThreadStatic] private static float[]? t_work;
    [ThreadStatic] private static int[]? t_off;

    /// <summary>True when the implicit path computes the forward and weight gradient of <paramref name="g"/> (AVX-512;
    /// 1×1 stride-1 unpadded convolutions keep their direct GEMM).</summary>
    public static bool AppliesForward(in Conv2dGeometry g)
        => Vector512.IsHardwareAccelerated && !g.IsPointwise && Shape.Of(g).Fits;

    /// <summary>True when the implicit path computes the input gradient of <paramref name="g"/> (stride 1 only: the
    /// adjoint of a strided convolution is not a convolution).</summary>
    public static bool AppliesBackwardInput(in Conv2dGeometry g)
        => Vector512.IsHardwareAccelerated && g.StrideH == 1 && g.StrideW == 1 && !g.IsPointwise && Shape.Adjoint(g).Fits;

    /// <summary>
    /// Forward of <paramref name="s"/>: output overwritten; <paramref name="bias"/> may be null. The epilogue adds
    /// <paramref name="residual"/> (the output's layout; null: none) and then applies ReLU when <paramref name="relu"/>, row by
    /// row while the tile is in cache, with the same float operations as the separate add and ReLU ops.
    /// </summary>
    public static void Forward(in Shape s, float* x, float* w, float* bias, float* y, float* residual = null, bool relu = false)
    {
        Shape sh = s;
        int k = sh.K, gm = sh.GroupM;
        int mPad = PaddedRows(gm);
        float[] packed = KernelPool.Floats.Rent(sh.Groups * mPad * k);
        try
        {
            fixed (float* pa = packed)
            {
                for (int grp = 0; grp < sh.Groups; grp++)
                    PackWeights(w + (long)grp * gm * k, gm, k, pa + (long)grp * mPad * k);
                nint aa = (nint)pa, ax = (nint)x, ab = (nint)bias, ay = (nint)y, ar = (nint)residual;
                int chunks = Conv2dKernel.BatchChunks(sh.N);
                Parallelism.For(chunks, chunk =>
                {
                    Conv2dKernel.ChunkRange(chunk, chunks, sh.N, out int n0, out int n1);
                    ForwardChunk(sh, (float*)ax, (float*)aa, mPad, (float*)ab, (float*)ay, (float*)ar, relu, n0, n1);
                });
            }
        }
        finally
        {
            KernelPool.Floats.Return(packed);
        }
    }

    /// <summary>
    /// A run of residual blocks, each <c>x ← relu(conv2(relu(conv1(x) + b1)) + b2 + x)</c>, run depth-first: each thread takes its
    /// images a cache-sized block at a time through every convolution of the run. The input is copied once into the padded
    /// layout; each convolution then writes its results straight into the padded layout the next one reads (the block's
    /// output in place over its input, which is also its residual), and only the last one writes NCHW output. So no
    /// intermediate activation is stored as a full-batch tensor or copied into the padded layout again. Every output
    /// equals that of the separate <see cref="Forward"/> calls bit for bit: an output's sum does not depend on which
    /// images share its block, and the epilogue's float operations are <see cref="CopyFused"/>'s.
    /// </summary>
    /// <param name="s1">Shape of every block's first convolution.</param>
    /// <param name="s2">Shape of every block's second convolution (<see cref="AppliesPair"/> with <paramref name="s1"/>'s geometry).</param>
    /// <param name="x">Input, also the first block's residual.</param>
    /// <param name="weights">Per block, the first then the second convolution's weight.</param>
    /// <param name="biases">Per block, the first then the second convolution's bias (0: none).</param>
    /// <param name="y">Output; must not overlap the input.</param>
    public static void ForwardBlocks(in Shape s1, in Shape s2, float* x, ReadOnlySpan<nint> weights, ReadOnlySpan<nint> biases, float* y)
    {
        Shape sh1 = s1, sh2 = s2;
        int convs = weights.Length;
        int mPad1 = PaddedRows(sh1.M), mPad2 = PaddedRows(sh2.M);
        var packed = new float[convs][];
        var pinned = new System.Runtime.InteropServices.GCHandle[convs];
        nint[] pw = new nint[convs], pb = biases.ToArray();
        try
        {
            for (int i = 0; i < convs; i++)
            {
                bool first = i % 2 == 0;
                int m = first ? sh1.M : sh2.M, k = first ? sh1.K : sh2.K, mPad = first ? mPad1 : mPad2;
                packed[i] = KernelPool.Floats.Rent(mPad * k);
                pinned[i] = System.Runtime.InteropServices.GCHandle.Alloc(packed[i], System.Runtime.InteropServices.GCHandleType.Pinned);
                pw[i] = pinned[i].AddrOfPinnedObject();
                PackWeights((float*)weights[i], m, k, (float*)pw[i]);
            }
            nint ax = (nint)x, ay = (nint)y;
            int chunks = Conv2dKernel.BatchChunks(sh1.N);
            Parallelism.For(chunks, chunk =>
            {
                Conv2dKernel.ChunkRange(chunk, chunks, sh1.N, out int n0, out int n1);
                BlocksChunk(sh1, sh2, (float*)ax, pw, mPad1, mPad2, pb, (float*)ay, n0, n1);
            });
        }
        finally
        {
            for (int i = 0; i < convs; i++)
            {
                if (pinned[i].IsAllocated) pinned[i].Free();
                if (packed[i] is not null) KernelPool.Floats.Return(packed[i]);
            }
        }
    }

    /// <summary>True when <see cref="ForwardBlocks"/> computes blocks of <paramref name="g1"/> then <paramref name="g2"/> with the
    /// block's input as <paramref name="g2"/>'s residual: both on the implicit path, stride 1, no groups, shapes that chain
    /// back to the input, and one extended grid (the first convolution's output grid is the second's padded layout and back).</summary>
    public static bool AppliesPair(in Conv2dGeometry g1, in Conv2dGeometry g2)
    {
        if (!AppliesForward(g1) || !AppliesForward(g2) || g1.Groups != 1 || g2.Groups != 1
            || g1.StrideH != 1 || g1.StrideW != 1 || g2.StrideH != 1 || g2.StrideW != 1
            || g2.N != g1.N || g2.C != g1.OutC || g2.H != g1.OutH || g2.W != g1.OutW
            || g2.OutC != g1.C || g2.OutH != g1.H || g2.OutW != g1.W)
            return false;
        Shape s1 = Shape.Of(g1), s2 = Shape.Of(g2);
        return s1.Wq == s2.Wq && s1.Hs == s2.Hs;
    }

    [ThreadStatic] private static float[]? t_mid;
    [ThreadStatic] private static int[]? t_valid;

    /// <summary>
    /// One chunk of <see cref="ForwardBlocks"/>: images <c>[n0, n1)</c>, a block of images at a time. P holds a block's input
    /// in the first convolution's padded layout, Q the hidden activation in the second's; both share the extended grid.
    /// </summary>
    private static void BlocksChunk(in Shape s1, in Shape s2, float* x, nint[] packed, int mPad1, int mPad2, nint[] biases,
        float* y, int n0, int n1)
    {
        int nbMax = Math.Min(s1.BlockImages(n1 - n0), s2.BlockImages(n1 - n0));
        int jb1 = StageColumns(mPad1), jb2 = StageColumns(mPad2);
        float[] padP = Rent(ref t_pad, s1.PaddedLength(nbMax));
        float[] padQ = Rent(ref t_mid, s2.PaddedLength(nbMax));
        float[] stage = Rent(ref t_work, Math.Max(mPad1 * jb1, mPad2 * jb2));
        int[] off = RentInts(ref t_off, Math.Max(s1.K, s2.K));
        int[] valid = RentInts(ref t_valid, s1.Columns(nbMax) + 16);
        try
        {
            fixed (float* pp = padP, pq = padQ, pst = stage)
            fixed (int* po = off, pv = valid)
            {
                // valid[e] = all ones where extended column e is an output (row < OutH, column < OutW of its image), else 0.
                int cols = s1.Columns(nbMax);
                for (int e = 0; e < cols; e++)
                {
                    int q = e % s1.ImgStride;
                    pv[e] = q / s1.Wq < s1.OutH && q % s1.Wq < s1.OutW ? -1 : 0;
                }
                long image = (long)s1.C * s1.H * s1.W;
                float* planesP = pp + s1.Front, planesQ = pq + s2.Front;
                int blocks = packed.Length / 2;
                for (int n = n0; n < n1; n += nbMax)
                {
                    int nb = Math.Min(nbMax, n1 - n);
                    int cs = nb * s1.ImgStride, used = s1.Columns(nb);
                    BuildPadded(s1, x + n * image, nb, pp);
                    // Q's layout outside the outputs' columns: zeros before the planes, after each strip's last output and after the last plane.
                    Zero(pq, s2.Front);
                    for (int c = 0; c < s2.C; c++) Zero(planesQ + (long)c * cs + used, cs - used);
                    Zero(planesQ + (long)s2.C * cs, s2.Tail);
                    for (int b = 0; b < blocks; b++)
                    {
                        float* b1 = (float*)biases[2 * b], b2 = (float*)biases[2 * b + 1];
                        RunBlock(s1, pp, nb, (float*)packed[2 * b], mPad1, pst, jb1, po,
                            new Sink(null, b1, null, relu: true, next: planesQ, valid: pv));
                        // The block's output replaces its input in P (each column is read as the residual, then written), except the
                        // last block's, which goes to NCHW.
                        var sink = b < blocks - 1
                            ? new Sink(null, b2, null, relu: true, next: planesP, valid: pv, gridResidual: planesP)
                            : new Sink(y + n * image, b2, null, relu: true, gridResidual: planesP);
                        RunBlock(s2, pq, nb, (float*)packed[2 * b + 1], mPad2, pst, jb2, po, sink);
                    }
                }
            }
        }
        finally
        {
            Return(ref t_valid, valid);
            Return(ref t_off, off);
            Return(ref t_work, stage);
            Return(ref t_mid, padQ);
            Return(ref t_pad, padP);
        }
    }

    /// <summary>
    /// Input gradient of <paramref name="g"/> (stride 1) as the forward of the adjoint convolution:
    /// <c>gradInput[ci] = Σ_o conv(pad(gradOutput[o]), flip(W[o, ci]))</c>.
    /// </summary>
    public static void BackwardInput(in Conv2dGeometry g, float* gy, float* w, float* gx)
    {
        Shape adj = Shape.Adjoint(g);
        int gm = g.GroupOutC, gc = g.GroupC, taps = g.KH * g.KW;
        float[] wt = KernelPool.Floats.Rent(g.WeightLength);
        try
        {
            // wt[grp·gc + ci, o, t] = w[grp·gm + o, ci, taps − 1 − t]: the adjoint weight per group is [gc, gm, KH, KW].
            for (int grp = 0; grp < g.Groups; grp++)
                for (int o = 0; o < gm; o++)
                    for (int ci = 0; ci < gc; ci++)
                    {
                        float* src = w + ((long)(grp * gm + o) * gc + ci) * taps;
                        int dst = ((grp * gc + ci) * gm + o) * taps;
                        for (int t = 0; t < taps; t++) wt[dst + t] = src[taps - 1 - t];
                    }
            fixed (float* pw = wt) Forward(adj, gy, pw, null, gx);
        }
        finally
        {
            KernelPool.Floats.Return(wt);
        }
    }

    /// <summary>Weight gradient of <paramref name="g"/> (stride 1), overwritten; deterministic for a given thread count.</summary>
    public static void BackwardWeight(in Conv2dGeometry g, float* x, float* gy, float* gw)
    {
        Shape sh = Shape.Of(g);
        int wLen = g.WeightLength;
        int chunks = Conv2dKernel.BatchChunks(sh.N);
        // Chunk 0 accumulates straight into gradWeight; the others into private partials summed afterwards in chunk order.
        float[]? partials = chunks > 1 ? KernelPool.Floats.Rent((chunks - 1) * wLen) : null;
        try
        {
            fixed (float* pp = partials)
            {
                nint ax = (nint)x, agy = (nint)gy, agw = (nint)gw, ap = (nint)pp;
                Parallelism.For(chunks, chunk =>
                {
                    Conv2dKernel.ChunkRange(chunk, chunks, sh.N, out int n0, out int n1);
                    float* dst = chunk == 0 ? (float*)agw : (float*)ap + (long)(chunk - 1) * wLen;
                    new Span<float>(dst, wLen).Clear();
                    WeightChunk(sh, (float*)ax, (float*)agy, dst, n0, n1);
                });
            }
            var total = new Span<float>(gw, wLen);
            for (int c = 1; c < chunks; c++)
                TensorPrimitives.Add(total, partials.AsSpan((c - 1) * wLen, wLen), total);
        }
        finally
        {
            if (partials is not null) KernelPool.Floats.Return(partials);
        }
    }

    /// <summary>One chunk of the forward: pad a block of images, run the tiles, scatter to NCHW.</summary>
    private static void ForwardChunk(in Shape s, float* x, float* packed, int mPad, float* bias, float* y, float* residual, bool relu, int n0, int n1)
    {
        int nbMax = s.BlockImages(n1 - n0);
        int jb = StageColumns(mPad);
        float[] pad = Rent(ref t_pad, s.PaddedLength(nbMax));
        float[] stage = Rent(ref t_work, mPad * jb);
        int[] off = RentInts(ref t_off, s.K);
        try
        {
            fixed (float* pp = pad, pst = stage)
            fixed (int* po = off)
            {
                long inImage = (long)s.C * s.H * s.W, outImage = (long)s.M * s.OutH * s.OutW;
                for (int n = n0; n < n1; n += nbMax)
                {
                    int nb = Math.Min(nbMax, n1 - n);
                    BuildPadded(s, x + n * inImage, nb, pp);
                    var sink = new Sink(y + n * outImage, bias, residual is null ? null : residual + n * outImage, relu);
                    RunBlock(s, pp, nb, packed, mPad, pst, jb, po, sink);
                }
            }
        }
        finally
        {
            Return(ref t_off, off);
            Return(ref t_work, stage);
            Return(ref t_pad, pad);
        }
    }

    /// <summary>Columns of the forward's staging tile matrix for <paramref name="mPad"/> rows (a multiple of 32).</summary>
    private static int StageColumns(int mPad) => Math.Max(32, StageFloats / mPad / 32 * 32);

    /// <summary>
    /// Where a block's staged results go: NCHW output (<see cref="Y"/>, with bias, residual and ReLU), or, when
    /// <see cref="Next"/> is set, the next stride-1 convolution's padded layout of the same grid (bias and ReLU, the
    /// extended grid's garbage columns written as the layout's zeros through <see cref="Valid"/>). The residual is NCHW
    /// (<see cref="Residual"/>) or held in a padded layout of the same grid (<see cref="GridResidual"/>: channel c's strip at
    /// <c>c·cs</c>, read at the output's own extended column), which may be <see cref="Next"/> itself.
    /// </summary>
    private readonly struct Sink(float* y, float* bias, float* residual, bool relu, float* next = null, int* valid = null,
        float* gridResidual = null)
    {
        public readonly float* Y = y, Bias = bias, Residual = residual, Next = next, GridResidual = gridResidual;
        public readonly int* Valid = valid;
        public readonly bool Relu = relu;
    }

    /// <summary>Runs the tiles of one padded block (<paramref name="nb"/> images in <paramref name="pp"/>) and hands each
    /// staged column range to <paramref name="sink"/>.</summary>
    private static void RunBlock(in Shape s, float* pp, int nb, float* packed, int mPad, float* pst, int jb, int* po, in Sink sink)
    {
        int k = s.K, gm = s.GroupM;
        int cs = nb * s.ImgStride, cols = s.Columns(nb);
        Offsets(s, cs, po, k);
        for (int grp = 0; grp < s.Groups; grp++)
        {
            float* b = pp + s.Front + (long)grp * s.GroupC * s.Phases * cs;
            float* a = packed + (long)grp * mPad * k;
            for (int j0 = 0; j0 < cols; j0 += jb)
            {
                int jn = Math.Min(jb, cols - j0);
                for (int t = 0; t < jn; t += 32)
                {
                    float* bt = b + j0 + t;
                    float* ct = pst + t;
                    for (int r = 0; r < mPad;)
                    {
                        int mr = SliverRows(gm - r);
                        float* ar = a + (long)r * k;
                        float* cr = ct + (long)r * jb;
                        if (mr == 12) Tile12x32(k, ar, bt, po, cr, jb);
                        else if (mr == 8) Tile8x32(k, ar, bt, po, cr, jb);
                        else Tile4x32(k, ar, bt, po, cr, jb);
                        r += mr;
                    }
                }
                if (sink.Next is null)
                    Scatter(s, pst, jb, j0, j0 + jn, grp * gm, gm, sink.Y, sink.Bias, sink.Residual, sink.Relu, sink.GridResidual, cs);
                else
                    StageToPadded(pst, jb, j0, jn, grp * gm, gm, sink.Next, cs, sink.Bias, sink.Relu, sink.Valid, sink.GridResidual);
            }
        }
    }

    /// <summary>
    /// Copies staged columns <c>[j0, j0 + jn)</c> of channels <c>m0 ..</c> into the next convolution's padded strips (channel c
    /// at <c>c·cs</c>): the same extended column, since both convolutions share the grid. <c>relu?((v + bias) + residual)</c> as
    /// <see cref="CopyFused"/> (<paramref name="residual"/>: strips of the same layout, or null; it may be the destination),
    /// then the garbage columns (<paramref name="valid"/> = 0) become the layout's zeros.
    /// </summary>
    private static void StageToPadded(float* stage, int ldStage, int j0, int jn, int m0, int mCount, float* planes, int cs, float* bias,
        bool relu, int* valid, float* residual)
    {
        for (int m = 0; m < mCount; m++)
        {
            float* src = stage + (long)m * ldStage;
            long at = (long)(m0 + m) * cs + j0;
            float* dst = planes + at;
            float* res = residual is null ? null : residual + at;
            int* keep = valid + j0;
            float bm = bias is null ? 0f : bias[m0 + m];
            var vb = Vector512.Create(bm);
            int i = 0;
            for (; i + 16 <= jn; i += 16)
            {
                var v = Vector512.Load(src + i);
                if (bias is not null) v += vb;
                if (res is not null) v += Vector512.Load(res + i);
                if (relu) v = Vector512.Max(v, Vector512<float>.Zero);
                Vector512.Store(v & Vector512.Load(keep + i).AsSingle(), dst + i);
            }
            for (; i < jn; i++)
            {
                float v = src[i];
                if (bias is not null) v += bm;
                if (res is not null) v += res[i];
                if (relu) v = MathF.Max(v, 0f);
                dst[i] = keep[i] != 0 ? v : 0f;
            }
        }
    }

    /// <summary>One chunk of the weight gradient, accumulated into <paramref name="gw"/> (already cleared).</summary>
    private static void WeightChunk(in Shape s, float* x, float* gy, float* gw, int n0, int n1)
    {
        int k = s.K, gm = s.GroupM, nbMax = s.BlockImages(n1 - n0);
        int kPad = RoundUp(k, 6);
        int extStride = RoundUp(nbMax * s.ImgStride, 16);
        float[] pad = Rent(ref t_pad, s.PaddedLength(nbMax));
        float[] ext = Rent(ref t_work, s.M * extStride);
        int[] off = RentInts(ref t_off, kPad);
        float* t = stackalloc float[24];
        try
        {
            fixed (float* pp = pad, pe = ext)
            fixed (int* po = off)
            {
                long inImage = (long)s.C * s.H * s.W, outImage = (long)s.M * s.OutH * s.OutW;
                for (int i = k; i < kPad; i++) po[i] = 0; // padded taps read valid memory; their results are dropped
                for (int n = n0; n < n1; n += nbMax)
                {
                    int nb = Math.Min(nbMax, n1 - n);
                    BuildPadded(s, x + n * inImage, nb, pp);
                    // gradOutput on the same extended grid (pitch Wq, Hs rows per image), zero in the garbage columns.
                    Embed(gy + n * outImage, s.M, nb, s.OutH, s.OutW, s.Wq, s.Hs, pe, extStride);
                    int cs = nb * s.ImgStride, cols = RoundUp(s.Columns(nb), 16);
                    Offsets(s, cs, po, k);
                    for (int grp = 0; grp < s.Groups; grp++)
                    {
                        float* b = pp + s.Front + (long)grp * s.GroupC * s.Phases * cs;
                        float* yg = pe + (long)grp * gm * extStride;
                        float* wg = gw + (long)grp * gm * k;
                        for (int j0 = 0; j0 < cols; j0 += DotColumns)
                        {
                            int jn = Math.Min(DotColumns, cols - j0);
                            for (int o = 0; o < gm; o += 4)
                            {
                                float* y0 = yg + (long)o * extStride + j0;
                                float* y1 = o + 1 < gm ? y0 + extStride : y0;
                                float* y2 = o + 2 < gm ? y0 + 2L * extStride : y0;
                                float* y3 = o + 3 < gm ? y0 + 3L * extStride : y0;
                                int oCount = Math.Min(4, gm - o);
                                for (int q = 0; q < k; q += 6)
                                {
                                    Dot4x6(jn, y0, y1, y2, y3, b + j0, po + q, t);
                                    int qCount = Math.Min(6, k - q);
                                    for (int i = 0; i < oCount; i++)
                                    {
                                        float* d = wg + (long)(o + i) * k + q;
                                        for (int e = 0; e < qCount; e++) d[e] += t[i * 6 + e];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            Return(ref t_off, off);
            Return(ref t_work, ext);
            Return(ref t_pad, pad);
        }
    }

    /// <summary>Tap offsets of one group: row <c>(ci, kh, kw)</c> of the virtual im2col matrix starts at off[·].</summary>
    private static void Offsets(in Shape s, int planeStride, int* off, int k)
    {
        int i = 0;
        for (int ci = 0; ci < s.GroupC; ci++)
            for (int kh = 0; kh < s.KH; kh++)
            {
                Shape.Split(kh * s.DH - s.PH, s.SH, out int dh, out int a);
                for (int kw = 0; kw < s.KW; kw++)
                {
                    Shape.Split(kw * s.DW - s.PW, s.SW, out int dw, out int b);
                    off[i++] = s.Plane(ci, a, b) * planeStride + dh * s.Wq + dw;
                }
            }
    }

    /// <summary>Copies the stride phases of <paramref name="nb"/> images into the zero-gapped layout of <see cref="Shape"/>.</summary>
    private static void BuildPadded(in Shape s, float* x, int nb, float* buf)
    {
        int cs = nb * s.ImgStride, plane = s.H * s.W;
        int h = s.H, w = s.W, wq = s.Wq, hp = s.Hp, sh = s.SH, sw = s.SW, imgStride = s.ImgStride, c = s.C;
        int maskW = s.PhaseMaskW, gapRows = s.Hs - s.Hp;
        Zero(buf, s.Front);
        float* planes = buf + s.Front;
        // Images outer, channels inner: the source is read in memory order (one sequential stream per image).
        for (int i = 0; i < nb; i++)
            for (int ci = 0; ci < c; ci++)
            for (int a = 0; a < sh; a++)
            {
                if ((s.PhaseMaskH >> a & 1) == 0) continue;
                // Strip of phase (a, first b); the other column phases follow it plane by plane.
                float* strip = planes + (long)s.Plane(ci, a, BitOperations.TrailingZeroCount(maskW)) * cs;
                {
                    float* src = x + ((long)i * c + ci) * plane;
                    float* d = strip + (long)i * imgStride;
                    if (sw == 1 && sh == 1)
                    {
                        // A row is one copy; when rows are at least 16 wide its gap is cleared by a 16-float zero store
                        // whose spill stays inside the next row's copy. The last row clears its gap exactly, since what
                        // follows it may already be written.
                        bool spill = wq >= 16;
                        for (int r = 0; r < h - 1; r++, d += wq)
                        {
                            Copy(src + (long)r * w, d, w);
                            if (spill) for (int e = w; e < wq; e += 16) Vector512.Store(Vector512<float>.Zero, d + e);
                            else for (int e = w; e < wq; e++) d[e] = 0f;
                        }
                        Copy(src + (long)(h - 1) * w, d, w);
                        for (int e = w; e < wq; e++) d[e] = 0f;
                        d += wq;
                        Zero(d, (long)gapRows * wq);
                        continue;
                    }
                    for (int r = 0; r < hp; r++)
                    {
                        int sr = r * sh + a;
                        float* row = src + (long)sr * w;
                        float* dr = d + (long)r * wq;
                        for (int b = 0; b < sw; b++)
                        {
                            if ((maskW >> b & 1) == 0) continue;
                            int count = sr < h && b < w ? (w - b + sw - 1) / sw : 0;
                            if (count > 0) GatherRow(row, w, b, sw, count, dr);
                            for (int e = count; e < wq; e++) dr[e] = 0f;
                            dr += cs;
                        }
                    }
                    for (int b = 0; b < sw; b++)
                    {
                        if ((maskW >> b & 1) == 0) continue;
                        Zero(d + (long)hp * wq, (long)gapRows * wq);
                        d += cs;
                    }
                }
            }
        Zero(planes + (long)c * s.Phases * cs, s.Tail);
    }

    /// <summary>dst[j] = row[j·step + phase] for j &lt; count (the row has <paramref name="width"/> floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherRow(float* row, int width, int phase, int step, int count, float* dst)
    {
        int j = 0;
        if (step == 1)
        {
            Copy(row + phase, dst, count);
            return;
        }
        if (step == 2)
        {
            // 16 loaded floats give 8 of one phase; loads stay inside the row.
            Vector512<int> idx = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0) + Vector512.Create(phase);
            for (; 2 * j + 16 <= width && j + 8 <= count; j += 8)
                Vector256.Store(Avx512F.PermuteVar16x32(Vector512.Load(row + 2 * j), idx).GetLower(), dst + j);
        }
        for (; j < count; j++) dst[j] = row[(long)j * step + phase];
    }

    /// <summary>
    /// Writes <paramref name="channels"/> channels of <paramref name="nb"/> NCHW images (rows × cols planes) as
    /// channel-major strips: image i of channel c at <c>c·stride + i·imgRows·pitch</c>, each row followed by zeros up to
    /// the pitch, each image by zero rows up to <paramref name="imgRows"/>, each strip by zeros up to <paramref name="stride"/>.
    /// </summary>
    private static void Embed(float* src, int channels, int nb, int rows, int cols, int pitch, int imgRows, float* dst, int stride)
    {
        int plane = rows * cols, img = imgRows * pitch, gap = pitch - cols;
        // Images outer, channels inner: the source is read in memory order.
        for (int i = 0; i < nb; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                float* strip = dst + (long)c * stride;
                float* sp = src + ((long)i * channels + c) * plane;
                float* d = strip + (long)i * img;
                for (int r = 0; r < rows; r++, sp += cols, d += pitch)
                {
                    Copy(sp, d, cols);
                    for (int e = cols; e < pitch; e++) d[e] = 0f;
                }
                Zero(d, (imgRows - rows) * pitch);
            }
        }
        for (int c = 0; c < channels; c++) Zero(dst + (long)c * stride + (long)nb * img, stride - nb * img);
    }

    /// <summary>Copies the valid extended columns <c>[j0, j1)</c> of staged rows to NCHW output, adding the bias.</summary>
    private static void Scatter(in Shape s, float* stage, int ldStage, int j0, int j1, int m0, int mCount, float* y, float* bias,
        float* residual, bool relu, float* gridResidual = null, int gridStride = 0)
    {
        int plane = s.OutH * s.OutW;
        long outImage = (long)s.M * plane;
        bool epilogue = residual is not null || gridResidual is not null || relu;
        for (int row = j0 / s.Wq; row * s.Wq < j1; row++)
        {
            int img = row / s.Hs, oh = row - img * s.Hs;
            if (oh >= s.OutH) continue;
            int c0 = Math.Max(0, j0 - row * s.Wq), c1 = Math.Min(s.OutW, j1 - row * s.Wq);
            if (c0 >= c1) continue;
            float* src = stage + row * s.Wq + c0 - j0;
            long at = img * outImage + (long)m0 * plane + oh * s.OutW + c0;
            float* dst = y + at;
            // The residual: NCHW, at the output's index; or in a padded layout of the grid, at the output's extended column.
            float* res = gridResidual is not null ? gridResidual + (long)m0 * gridStride + row * s.Wq + c0
                : residual is not null ? residual + at : null;
            long resStep = gridResidual is not null ? gridStride : plane;
            int len = c1 - c0;
            for (int m = 0; m < mCount; m++, src += ldStage, dst += plane, res += res is null ? 0 : resStep)
            {
                if (epilogue) CopyFused(src, dst, res, len, bias is null ? 0f : bias[m0 + m], bias is not null, relu);
                else if (bias is null) Copy(src, dst, len);
                else CopyAdd(src, dst, len, bias[m0 + m]);
            }
        }
    }

    /// <summary>
    /// <c>dst = relu?((src + bias) + residual)</c> over one output row (<paramref name="residual"/> may be null): the float
    /// operations of the convolution's bias add, the separate add op and the ReLU op (IEEE maximum with 0, as
    /// <c>TensorPrimitives.Max</c>), in their order, so the fused output equals theirs bit for bit. Inline: rows are 8–64
    /// floats, where a call per row would cost more than the work.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyFused(float* src, float* dst, float* residual, long count, float bias, bool hasBias, bool relu)
    {
        long i = 0;
        var vb = Vector512.Create(bias);
        for (; i + 16 <= count; i += 16)
        {
            var v = Vector512.Load(src + i);
            if (hasBias) v += vb;
            if (residual is not null) v += Vector512.Load(residual + i);
            if (relu) v = Vector512.Max(v, Vector512<float>.Zero);
            Vector512.Store(v, dst + i);
        }
        for (; i < count; i++)
        {
            float v = src[i];
            if (hasBias) v += bias;
            if (residual is not null) v += residual[i];
            if (relu) v = MathF.Max(v, 0f);
            dst[i] = v;
        }
    }

    /// <summary>Short-row copy (rows are 8–64 floats here, where a memcpy call costs more than the copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int count)
    {
        int i = 0;
        for (; i + 16 <= count; i += 16) Vector512.Store(Vector512.Load(src + i), dst + i);
        if (i + 8 <= count)
        {
            Vector256.Store(Vector256.Load(src + i), dst + i);
            i += 8;
        }
        for (; i < count; i++) dst[i] = src[i];
    }

    /// <summary>Short-row <c>dst = src + bias</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyAdd(float* src, float* dst, int count, float bias)
    {
        int i = 0;
        var vb = Vector512.Create(bias);
        for (; i + 16 <= count; i += 16) Vector512.Store(Vector512.Load(src + i) + vb, dst + i);
        if (i + 8 <= count)
        {
            Vector256.Store(Vector256.Load(src + i) + vb.GetLower(), dst + i);
            i += 8;
        }
        for (; i < count; i++) dst[i] = src[i] + bias;
    }

    /// <summary>Short-run zero fill.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* dst, long count)
    {
        long i = 0;
        for (; i + 16 <= count; i += 16) Vector512.Store(Vector512<float>.Zero, dst + i);
        for (; i < count; i++) dst[i] = 0f;
    }

    /// <summary>Rows of the next weight sliver for <paramref name="remaining"/> output channels (12, 8 or 4; zero-padded).</summary>
    private static int SliverRows(int remaining)
        => remaining > 8 && remaining != 16 ? 12 : remaining > 4 ? 8 : 4;

    /// <summary>Output channels rounded up to the sliver decomposition of <see cref="SliverRows"/>.</summary>
    private static int PaddedRows(int m)
    {
        int total = 0;
        for (int r = 0; r < m;)
        {
            int mr = SliverRows(m - r);
            total += mr;
            r += mr;
        }
        return total;
    }

    /// <summary>Packs <c>[m, k]</c> weights into slivers (element <c>p·MR + i</c> of a sliver is row i, tap p), zero-padded.</summary>
    private static void PackWeights(float* w, int m, int k, float* dst)
    {
        for (int r = 0; r < m;)
        {
            int mr = SliverRows(m - r);
            for (int p = 0; p < k; p++)
                for (int i = 0; i < mr; i++)
                    dst[(long)p * mr + i] = r + i < m ? w[(long)(r + i) * k + p] : 0f;
            dst += (long)mr * k;
            r += mr;
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>Takes the thread's cached pinned scratch (or a new one if missing or too small) so steady-state calls do not allocate.</summary>
    private static float[] Rent(ref float[]? slot, int floats)
    {
        float[]? buf = slot;
        slot = null;
        if (buf is null || buf.Length < floats) buf = GC.AllocateUninitializedArray<float>(floats, pinned: true);
        return buf;
    }

    private static int[] RentInts(ref int[]? slot, int count)
    {
        int[]? buf = slot;
        slot = null;
        if (buf is null || buf.Length < count) buf = new int[count];
        return buf;
    }

    private static void Return<T>(ref T[]? slot, T[] buf)
    {
        if (slot is null || slot.Length < buf.Length) slot = buf;
    }
}
