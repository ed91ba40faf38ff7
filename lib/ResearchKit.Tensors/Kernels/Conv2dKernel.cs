using System.Buffers;
using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// 2-D convolution (<c>torch.nn.functional.conv2d</c>) on contiguous NCHW float32 spans, forward and backward,
/// via im2col + <see cref="Gemm.Sgemm"/>. Layouts: input <c>[N, C, H, W]</c>, weight <c>[OutC, C/Groups, KH, KW]</c>,
/// bias <c>[OutC]</c>, output <c>[N, OutC, OutH, OutW]</c> (see <see cref="Conv2dGeometry"/>).
/// </summary>
/// <remarks>
/// <para>On AVX-512 machines every convolution except 1×1 stride-1 unpadded ones runs the implicit-GEMM path of
/// <see cref="Conv2dImplicit"/> (forward and weight gradient for any stride, input gradient for stride 1); the rest
/// runs the im2col path described below.</para>
/// <para>Work is split over the batch into <c>min(N, Parallelism.Threads)</c> chunks. Each chunk rents its scratch
/// once per call and reuses it for all its images and groups. The GEMM operand is a column block:</para>
/// <list type="bullet">
/// <item>large output planes: a band of output rows of one image, sized to stay in L2;</item>
/// <item>small output planes (deep layers): several whole images side by side, so each GEMM call is wide enough to
/// amortize packing the weight matrix (the output is then copied from a staging matrix);</item>
/// <item>1×1 stride-1 unpadded convolutions: the image's channel planes themselves, no im2col.</item>
/// </list>
/// <para>The weight gradient is deterministic: each chunk accumulates a private partial, and partials are summed in
/// chunk order, so results depend only on the inputs and the thread count.</para>
/// </remarks>
public static class Conv2dKernel
{
    /// <summary>Target im2col band size in floats (256 KB): small enough to stay in L2 while the GEMM streams it.</summary>
    private const int BandFloats = 1 << 16;

    /// <summary>Output planes narrower than this are batched over images so a GEMM call has at least this many columns.</summary>
    private const int MinGemmColumns = 512;

    /// <summary>Cap of a multi-image column block in floats (1 MB).</summary>
    private const int MaxBatchedColFloats = 1 << 18;

    /// <summary>Computes <c>output = conv2d(input, weight) + bias</c> (output is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="weight">Weight <c>[OutC, C/Groups, KH, KW]</c>.</param>
    /// <param name="bias">Bias <c>[OutC]</c>, or empty for no bias.</param>
    /// <param name="output">Output <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
        => Forward(g, input, weight, bias, output, allowImplicit: true);

    /// <summary><see cref="Forward(in Conv2dGeometry, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>;
    /// tests pass <paramref name="allowImplicit"/> = false to exercise the im2col path on shapes the implicit path takes.</summary>
    internal static unsafe void Forward(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, bool allowImplicit)
    {
        CheckForward("Conv2d.Forward", g, input.Length, weight.Length, bias.Length, output.Length);
        if (g.N == 0) return;
        if (allowImplicit && Conv2dImplicit.AppliesForward(g))
        {
            fixed (float* pi = input, pw = weight, pb = bias, po = output)
                Conv2dImplicit.Forward(Conv2dImplicit.Shape.Of(g), pi, pw, bias.IsEmpty ? null : pb, po);
            return;
        }

        Conv2dGeometry geo = g;
        int chunks = BatchChunks(geo.N);
        var plan = new BlockPlan(geo, chunks);
        int wLen = weight.Length, bLen = bias.Length;
        fixed (float* pi = input, pw = weight, pb = bias, po = output)
        {
            nint ai = (nint)pi, aw = (nint)pw, ab = (nint)pb, ao = (nint)po;
            ForEachImageBlock(geo, plan, chunks, (_, n, count, _, sc) =>
            {
                var w = new ReadOnlySpan<float>((void*)aw, wLen);
                var b = new ReadOnlySpan<float>((void*)ab, bLen);
                var x = new ReadOnlySpan<float>((float*)ai + (long)n * plan.InImage, count * plan.InImage);
                var y = new Span<float>((float*)ao + (long)n * plan.OutImage, count * plan.OutImage);
                ForwardBlock(geo, plan, x, w, b, y, count, sc);
            });
        }
    }

    /// <summary>
    /// Computes <c>output = relu?(conv2d(input, weight) + bias + residual)</c> (output overwritten): on the implicit-GEMM path the
    /// residual add and the ReLU run in the convolution's epilogue, row by row while the tile is in cache; on the other paths
    /// as one pass after it. The same float operations as the convolution, an add and a ReLU, so the same bits.
    /// </summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="weight">Weight <c>[OutC, C/Groups, KH, KW]</c>.</param>
    /// <param name="bias">Bias <c>[OutC]</c>, or empty for no bias.</param>
    /// <param name="residual">Added to the output, the output's layout; empty for none.</param>
    /// <param name="relu">Apply <c>max(·, 0)</c> last.</param>
    /// <param name="output">Output <c>[N, OutC, OutH, OutW]</c>; must not overlap <paramref name="residual"/> unless it is the same span.</param>
    /// <param name="allowImplicit">False forces the im2col path (tests).</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static unsafe void ForwardFused(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, bool relu, Span<float> output, bool allowImplicit = true)
    {
        const string op = "Conv2d.ForwardFused";
        CheckForward(op, g, input.Length, weight.Length, bias.Length, output.Length);
        if (!residual.IsEmpty) CheckLength(op, "residual", residual.Length, g.OutputLength, g);
        if (allowImplicit && Conv2dImplicit.AppliesForward(g) && g.N > 0)
        {
            fixed (float* pi = input, pw = weight, pb = bias, pr = residual, po = output)
                Conv2dImplicit.Forward(Conv2dImplicit.Shape.Of(g), pi, pw, bias.IsEmpty ? null : pb, po, residual.IsEmpty ? null : pr, relu);
            return;
        }
        // The convolution overwrites the output first: a residual held in the output span is kept aside.
        float[]? kept = !residual.IsEmpty && residual.Overlaps(output) ? KernelPool.Floats.Rent(residual.Length) : null;
        try
        {
            if (kept is not null)
            {
                residual.CopyTo(kept);
                residual = kept.AsSpan(0, residual.Length);
            }
            Forward(g, input, weight, bias, output, allowImplicit);
            if (residual.IsEmpty && !relu) return;
            fixed (float* pr = residual, po = output)
            {
                nint ar = (nint)pr, ao = (nint)po;
                bool hasResidual = !residual.IsEmpty;
                Parallelism.ForRanges(output.Length, 1 << 15, (start, count) =>
                    Conv2dImplicit.CopyFused((float*)ao + start, (float*)ao + start, hasResidual ? (float*)ar + start : null, count, 0f, hasBias: false, relu));
            }
        }
        finally
        {
            if (kept is not null) KernelPool.Floats.Return(kept);
        }
    }

    /// <summary>
    /// A run of residual blocks, each <c>x ← relu(conv2(relu(conv1(x) + bias1)) + bias2 + x)</c> with its own parameters and the
    /// shapes of <paramref name="g1"/> and <paramref name="g2"/>: the <see cref="ForwardFused"/> calls it replaces, bit for bit.
    /// On the implicit path (<see cref="Conv2dImplicit.AppliesPair"/>) it runs depth-first, a cache-sized block of images
    /// through every convolution, each writing into the layout the next one reads, so no intermediate activation is stored;
    /// elsewhere it makes the calls.
    /// </summary>
    /// <param name="g1">Geometry of each block's first convolution.</param>
    /// <param name="g2">Geometry of each block's second; its output has the input's shape (the residual is the block's input).</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>, also the first block's residual.</param>
    /// <param name="parameters">Every weight and bias, at the offsets of <paramref name="offsets"/>.</param>
    /// <param name="offsets">Four per block: the first weight's, the first bias', the second weight's and the second bias'
    /// offset in <paramref name="parameters"/>; −1 for a missing bias.</param>
    /// <param name="output">Output, the input's shape; must not overlap the input.</param>
    /// <exception cref="ArgumentException">A length does not match its geometry, the shapes do not chain, or the offsets are out of range.</exception>
    public static unsafe void ForwardBlocksAddRelu(in Conv2dGeometry g1, in Conv2dGeometry g2, ReadOnlySpan<float> input,
        ReadOnlySpan<float> parameters, ReadOnlySpan<int> offsets, Span<float> output)
    {
        const string op = "Conv2d.ForwardBlocksAddRelu";
        CheckForward(op, g1, input.Length, g1.WeightLength, 0, g1.OutputLength);
        CheckForward(op, g2, g1.OutputLength, g2.WeightLength, 0, output.Length);
        if (g2.OutputLength != g1.InputLength || g2.C != g1.OutC || g2.OutC != g1.C || g2.OutH != g1.H || g2.OutW != g1.W)
            throw new ArgumentException($"{op}: the second convolution's output [{g2.N}, {g2.OutC}, {g2.OutH}, {g2.OutW}] must have the input's shape [{g1.N}, {g1.C}, {g1.H}, {g1.W}] and its input the first one's output; pass the two convolutions of one residual block.");
        if (offsets.Length == 0 || offsets.Length % 4 != 0)
            throw new ArgumentException($"{op}: {offsets.Length} offsets; give four per block (weight 1, bias 1, weight 2, bias 2).");
        int blocks = offsets.Length / 4;
        for (int i = 0; i < offsets.Length; i++)
        {
            bool weight = i % 2 == 0;
            int len = weight ? (i % 4 == 0 ? g1.WeightLength : g2.WeightLength) : (i % 4 == 1 ? g1.OutC : g2.OutC);
            if ((offsets[i] < 0 && weight) || (offsets[i] >= 0 && offsets[i] > parameters.Length - len))
                throw new ArgumentException($"{op}: offset {offsets[i]} of parameter {i} does not hold {len} floats of the {parameters.Length} given.");
        }
        if (Conv2dImplicit.AppliesPair(g1, g2) && g1.N > 0)
        {
            Span<nint> w = stackalloc nint[2 * blocks], b = stackalloc nint[2 * blocks];
            fixed (float* pi = input, pp = parameters, po = output)
            {
                for (int i = 0; i < 2 * blocks; i++)
                {
                    w[i] = (nint)(pp + offsets[2 * i]);
                    b[i] = offsets[2 * i + 1] < 0 ? 0 : (nint)(pp + offsets[2 * i + 1]);
                }
                Conv2dImplicit.ForwardBlocks(Conv2dImplicit.Shape.Of(g1), Conv2dImplicit.Shape.Of(g2), pi, w, b, po);
            }
            return;
        }
        float[] mid = KernelPool.Floats.Rent(g1.OutputLength);
        float[] cur = KernelPool.Floats.Rent(g1.InputLength);
        try
        {
            var m = mid.AsSpan(0, g1.OutputLength);
            var x = cur.AsSpan(0, g1.InputLength);
            input.CopyTo(x);
            for (int blk = 0; blk < blocks; blk++)
            {
                int b1 = offsets[4 * blk + 1], b2 = offsets[4 * blk + 3];
                ForwardFused(g1, x, parameters.Slice(offsets[4 * blk], g1.WeightLength), b1 < 0 ? [] : parameters.Slice(b1, g1.OutC), [], relu: true, m);
                // In place: the residual is the output span itself, which ForwardFused allows.
                ForwardFused(g2, m, parameters.Slice(offsets[4 * blk + 2], g2.WeightLength), b2 < 0 ? [] : parameters.Slice(b2, g2.OutC), x, relu: true,
                    blk == blocks - 1 ? output : x);
            }
        }
        finally
        {
            KernelPool.Floats.Return(cur);
            KernelPool.Floats.Return(mid);
        }
    }

    // The forward's span checks, shared by the plain and the fused forward.
    private static void CheckForward(string op, in Conv2dGeometry g, int input, int weight, int bias, int output)
    {
        g.EnsureInitialized(op);
        CheckLength(op, "input", input, g.InputLength, g);
        CheckLength(op, "weight", weight, g.WeightLength, g);
        CheckLength(op, "output", output, g.OutputLength, g);
        if (bias != 0) CheckLength(op, "bias", bias, g.OutC, g);
    }

    /// <summary>Computes the input gradient <c>gradInput = conv2dᵀ(gradOutput, weight)</c> (gradInput is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="weight">Weight <c>[OutC, C/Groups, KH, KW]</c>.</param>
    /// <param name="gradInput">Gradient of the input, <c>[N, C, H, W]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void BackwardInput(in Conv2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
        => BackwardInput(g, gradOutput, weight, gradInput, allowImplicit: true);

    /// <summary>Input gradient; <paramref name="allowImplicit"/> = false forces the im2col/col2im path (tests).</summary>
    internal static unsafe void BackwardInput(in Conv2dGeometry g, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput, bool allowImplicit)
    {
        const string op = "Conv2d.BackwardInput";
        g.EnsureInitialized(op);
        CheckLength(op, "gradOutput", gradOutput.Length, g.OutputLength, g);
        CheckLength(op, "weight", weight.Length, g.WeightLength, g);
        CheckLength(op, "gradInput", gradInput.Length, g.InputLength, g);
        if (g.N == 0) return;
        if (allowImplicit && Conv2dImplicit.AppliesBackwardInput(g))
        {
            fixed (float* pgy = gradOutput, pw = weight, pgx = gradInput)
                Conv2dImplicit.BackwardInput(g, pgy, pw, pgx);
            return;
        }

        Conv2dGeometry geo = g;
        int chunks = BatchChunks(geo.N);
        var plan = new BlockPlan(geo, chunks);
        int wLen = weight.Length;
        fixed (float* pgy = gradOutput, pw = weight, pgx = gradInput)
        {
            nint agy = (nint)pgy, aw = (nint)pw, agx = (nint)pgx;
            ForEachImageBlock(geo, plan, chunks, (_, n, count, _, sc) =>
            {
                var w = new ReadOnlySpan<float>((void*)aw, wLen);
                var gy = new ReadOnlySpan<float>((float*)agy + (long)n * plan.OutImage, count * plan.OutImage);
                var gx = new Span<float>((float*)agx + (long)n * plan.InImage, count * plan.InImage);
                BackwardInputBlock(geo, plan, gy, w, gx, count, sc);
            });
        }
    }

    /// <summary>Computes the weight gradient <c>Σₙ gradOutputₙ · im2col(inputₙ)ᵀ</c> (gradWeight is overwritten).</summary>
    /// <param name="g">Validated geometry.</param>
    /// <param name="input">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="gradOutput">Gradient of the output, <c>[N, OutC, OutH, OutW]</c>.</param>
    /// <param name="gradWeight">Gradient of the weight, <c>[OutC, C/Groups, KH, KW]</c>.</param>
    /// <exception cref="ArgumentException">A span length does not match the geometry.</exception>
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight)
        => BackwardWeight(g, input, gradOutput, gradWeight, allowImplicit: true);

    /// <summary>Weight gradient; <paramref name="allowImplicit"/> = false forces the im2col path (tests).</summary>
    internal static unsafe void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, bool allowImplicit)
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
        if (allowImplicit && Conv2dImplicit.AppliesForward(g))
        {
            fixed (float* pi = input, pgy = gradOutput, pgw = gradWeight)
                Conv2dImplicit.BackwardWeight(g, pi, pgy, pgw);
            return;
        }

        Conv2dGeometry geo = g;
        int chunks = BatchChunks(geo.N);
        var plan = new BlockPlan(geo, chunks);
        int wLen = geo.WeightLength;
        // Chunk 0 accumulates straight into gradWeight; the others into private partials summed afterwards in chunk order.
        float[]? partials = chunks > 1 ? KernelPool.Floats.Rent((chunks - 1) * wLen) : null;
        try
        {
            fixed (float* pi = input, pgy = gradOutput, pgw = gradWeight)
            fixed (float* pp = partials)
            {
                nint ai = (nint)pi, agy = (nint)pgy, agw = (nint)pgw, ap = (nint)pp;
                ForEachImageBlock(geo, plan, chunks, (chunk, n, count, first, sc) =>
                {
                    float* dst = chunk == 0 ? (float*)agw : (float*)ap + (long)(chunk - 1) * wLen;
                    var gw = new Span<float>(dst, wLen);
                    var x = new ReadOnlySpan<float>((float*)ai + (long)n * plan.InImage, count * plan.InImage);
                    var gy = new ReadOnlySpan<float>((float*)agy + (long)n * plan.OutImage, count * plan.OutImage);
                    BackwardWeightBlock(geo, plan, x, gy, gw, count, sc, accumulate: !first);
                });
            }
            for (int c = 1; c < chunks; c++)
                TensorPrimitives.Add(gradWeight, partials.AsSpan((c - 1) * wLen, wLen), gradWeight);
        }
        finally
        {
            if (partials is not null) KernelPool.Floats.Return(partials);
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

    /// <summary>
    /// Forward for <paramref name="count"/> consecutive images. Single-image blocks write the GEMM result straight
    /// into the output (ldc = plane size); multi-image blocks go through the staging matrix and are copied out.
    /// </summary>
    private static void ForwardBlock(in Conv2dGeometry g, in BlockPlan plan, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
        ReadOnlySpan<float> bias, Span<float> y, int count, in Scratch s)
    {
        int p = plan.Plane, kc = g.ColRows, ocg = g.GroupOutC, cg = g.GroupC, hw = g.H * g.W;
        for (int grp = 0; grp < g.Groups; grp++)
        {
            ReadOnlySpan<float> wg = w.Slice(grp * ocg * kc, ocg * kc);
            if (plan.Pointwise)
            {
                for (int i = 0; i < count; i++)
                    Gemm.Sgemm(false, false, ocg, p, kc, 1f, wg, kc, x.Slice(i * plan.InImage + grp * cg * hw, cg * hw), hw,
                        0f, y.Slice(i * plan.OutImage + grp * ocg * p, ocg * p), p);
            }
            else if (plan.Images == 1)
            {
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<float> xg = x.Slice(i * plan.InImage + grp * cg * hw, cg * hw);
                    Span<float> yg = y.Slice(i * plan.OutImage + grp * ocg * p, ocg * p);
                    for (int oh0 = 0; oh0 < g.OutH; oh0 += plan.Rows)
                    {
                        int oh1 = Math.Min(g.OutH, oh0 + plan.Rows), cols = (oh1 - oh0) * g.OutW;
                        Span<float> c = s.Col.AsSpan(0, kc * cols);
                        Im2Col.Unfold(g, xg, cg, oh0, oh1, c);
                        Gemm.Sgemm(false, false, ocg, cols, kc, 1f, wg, kc, c, cols, 0f, yg[(oh0 * g.OutW)..], p);
                    }
                }
            }
            else
            {
                int ld = count * p;
                Span<float> c = s.Col.AsSpan(0, kc * ld), t = s.Stage.AsSpan(0, ocg * ld);
                for (int i = 0; i < count; i++)
                    Im2Col.Unfold(g, x.Slice(i * plan.InImage + grp * cg * hw, cg * hw), cg, 0, g.OutH, c[(i * p)..], ld);
                Gemm.Sgemm(false, false, ocg, ld, kc, 1f, wg, kc, c, ld, 0f, t, ld);
                for (int i = 0; i < count; i++)
                    for (int o = 0; o < ocg; o++)
                        t.Slice(o * ld + i * p, p).CopyTo(y.Slice(i * plan.OutImage + (grp * ocg + o) * p, p));
            }
        }
        if (bias.IsEmpty) return;
        for (int i = 0; i < count; i++)
        {
            for (int o = 0; o < g.OutC; o++)
            {
                Span<float> plane = y.Slice(i * plan.OutImage + o * p, p);
                TensorPrimitives.Add(plane, bias[o], plane);
            }
        }
    }

    private static void BackwardInputBlock(in Conv2dGeometry g, in BlockPlan plan, ReadOnlySpan<float> gy, ReadOnlySpan<float> w,
        Span<float> gx, int count, in Scratch s)
    {
        int p = plan.Plane, kc = g.ColRows, ocg = g.GroupOutC, cg = g.GroupC, hw = g.H * g.W;
        if (!plan.Pointwise) gx.Clear(); // col2im accumulates
        for (int grp = 0; grp < g.Groups; grp++)
        {
            ReadOnlySpan<float> wg = w.Slice(grp * ocg * kc, ocg * kc);
            if (plan.Pointwise)
            {
                // gradInput planes = Wᵀ · gradOutput directly, no col2im.
                for (int i = 0; i < count; i++)
                    Gemm.Sgemm(true, false, cg, p, ocg, 1f, wg, kc, gy.Slice(i * plan.OutImage + grp * ocg * p, ocg * p), p,
                        0f, gx.Slice(i * plan.InImage + grp * cg * hw, cg * hw), hw);
            }
            else if (plan.Images == 1)
            {
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<float> gyg = gy.Slice(i * plan.OutImage + grp * ocg * p, ocg * p);
                    Span<float> gxg = gx.Slice(i * plan.InImage + grp * cg * hw, cg * hw);
                    for (int oh0 = 0; oh0 < g.OutH; oh0 += plan.Rows)
                    {
                        int oh1 = Math.Min(g.OutH, oh0 + plan.Rows), cols = (oh1 - oh0) * g.OutW;
                        Span<float> c = s.Col.AsSpan(0, kc * cols);
                        Gemm.Sgemm(true, false, kc, cols, ocg, 1f, wg, kc, gyg[(oh0 * g.OutW)..], p, 0f, c, cols);
                        Im2Col.FoldAdd(g, c, cg, oh0, oh1, gxg);
                    }
                }
            }
            else
            {
                int ld = count * p;
                Span<float> c = s.Col.AsSpan(0, kc * ld), t = s.Stage.AsSpan(0, ocg * ld);
                Gather(gy, plan, grp * ocg, ocg, count, t, ld);
                Gemm.Sgemm(true, false, kc, ld, ocg, 1f, wg, kc, t, ld, 0f, c, ld);
                for (int i = 0; i < count; i++)
                    Im2Col.FoldAdd(g, c[(i * p)..], cg, 0, g.OutH, gx.Slice(i * plan.InImage + grp * cg * hw, cg * hw), ld);
            }
        }
    }

    private static void BackwardWeightBlock(in Conv2dGeometry g, in BlockPlan plan, ReadOnlySpan<float> x, ReadOnlySpan<float> gy,
        Span<float> gw, int count, in Scratch s, bool accumulate)
    {
        int p = plan.Plane, kc = g.ColRows, ocg = g.GroupOutC, cg = g.GroupC, hw = g.H * g.W;
        for (int grp = 0; grp < g.Groups; grp++)
        {
            Span<float> gwg = gw.Slice(grp * ocg * kc, ocg * kc);
            if (plan.Pointwise)
            {
                for (int i = 0; i < count; i++)
                    Gemm.Sgemm(false, true, ocg, kc, p, 1f, gy.Slice(i * plan.OutImage + grp * ocg * p, ocg * p), p,
                        x.Slice(i * plan.InImage + grp * cg * hw, cg * hw), hw, accumulate || i > 0 ? 1f : 0f, gwg, kc);
            }
            else if (plan.Images == 1)
            {
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<float> xg = x.Slice(i * plan.InImage + grp * cg * hw, cg * hw);
                    ReadOnlySpan<float> gyg = gy.Slice(i * plan.OutImage + grp * ocg * p, ocg * p);
                    for (int oh0 = 0; oh0 < g.OutH; oh0 += plan.Rows)
                    {
                        int oh1 = Math.Min(g.OutH, oh0 + plan.Rows), cols = (oh1 - oh0) * g.OutW;
                        Span<float> c = s.Col.AsSpan(0, kc * cols);
                        Im2Col.Unfold(g, xg, cg, oh0, oh1, c);
                        float beta = accumulate || i > 0 || oh0 > 0 ? 1f : 0f;
                        Gemm.Sgemm(false, true, ocg, kc, cols, 1f, gyg[(oh0 * g.OutW)..], p, c, cols, beta, gwg, kc);
                    }
                }
            }
            else
            {
                int ld = count * p;
                Span<float> c = s.Col.AsSpan(0, kc * ld), t = s.Stage.AsSpan(0, ocg * ld);
                Gather(gy, plan, grp * ocg, ocg, count, t, ld);
                for (int i = 0; i < count; i++)
                    Im2Col.Unfold(g, x.Slice(i * plan.InImage + grp * cg * hw, cg * hw), cg, 0, g.OutH, c[(i * p)..], ld);
                Gemm.Sgemm(false, true, ocg, kc, ld, 1f, t, ld, c, ld, accumulate ? 1f : 0f, gwg, kc);
            }
        }
    }

    /// <summary>Copies channels <c>[o0, o0 + ocg)</c> of <paramref name="count"/> images into a <c>[ocg, count·P]</c> matrix.</summary>
    private static void Gather(ReadOnlySpan<float> data, in BlockPlan plan, int o0, int ocg, int count, Span<float> dst, int ld)
    {
        int p = plan.Plane;
        for (int i = 0; i < count; i++)
            for (int o = 0; o < ocg; o++)
                data.Slice(i * plan.OutImage + (o0 + o) * p, p).CopyTo(dst.Slice(o * ld + i * p, p));
    }

    /// <summary>How a chunk walks its images: GEMM column blocks and the scratch they need.</summary>
    private readonly struct BlockPlan
    {
        public BlockPlan(in Conv2dGeometry g, int chunks)
        {
            Plane = g.OutH * g.OutW;
            InImage = g.C * g.H * g.W;
            OutImage = g.OutC * Plane;
            Pointwise = g.IsPointwise;
            Images = 1;
            Rows = g.OutH;
            if (Pointwise) return;
            long perImage = (long)g.ColRows * Plane;
            int maxImages = (g.N + chunks - 1) / chunks;
            if (Plane < MinGemmColumns && maxImages > 1 && perImage * 2 <= MaxBatchedColFloats)
            {
                Images = (int)Math.Min(Math.Min((MinGemmColumns + Plane - 1) / Plane, MaxBatchedColFloats / perImage), maxImages);
                ColFloats = (int)(perImage * Images);
                StageFloats = g.GroupOutC * Plane * Images;
                return;
            }
            long perRow = (long)g.ColRows * g.OutW;
            Rows = (int)Math.Clamp(BandFloats / perRow, 1, g.OutH);
            ColFloats = (int)(perRow * Rows);
        }

        /// <summary>Output plane size <c>OutH·OutW</c>.</summary>
        public int Plane { get; }
        /// <summary>Elements of one input image.</summary>
        public int InImage { get; }
        /// <summary>Elements of one output image.</summary>
        public int OutImage { get; }
        /// <summary>1×1 stride-1 unpadded: no im2col.</summary>
        public bool Pointwise { get; }
        /// <summary>Images per column block (&gt; 1 only for small planes; then blocks are whole images).</summary>
        public int Images { get; }
        /// <summary>Output rows per band when <see cref="Images"/> is 1.</summary>
        public int Rows { get; }
        /// <summary>Size of the im2col buffer.</summary>
        public int ColFloats { get; }
        /// <summary>Size of the staging matrix for multi-image blocks.</summary>
        public int StageFloats { get; }
    }

    /// <summary>Per-chunk scratch rented once per call from the shared pool.</summary>
    private readonly struct Scratch
    {
        public Scratch(in BlockPlan plan)
        {
            Col = plan.ColFloats > 0 ? KernelPool.Floats.Rent(plan.ColFloats) : [];
            Stage = plan.StageFloats > 0 ? KernelPool.Floats.Rent(plan.StageFloats) : [];
        }

        public float[] Col { get; }
        public float[] Stage { get; }

        public void Return()
        {
            if (Col.Length > 0) KernelPool.Floats.Return(Col);
            if (Stage.Length > 0) KernelPool.Floats.Return(Stage);
        }
    }

    /// <summary>Chunk count depends only on batch size and thread count, so partial sums are reproducible.</summary>
    internal static int BatchChunks(int n) => Math.Max(1, Math.Min(n, Parallelism.Threads));

    /// <summary>Receives one block of <paramref name="count"/> images starting at image <paramref name="n"/>.</summary>
    private delegate void BlockBody(int chunk, int n, int count, bool firstInChunk, Scratch scratch);

    /// <summary>
    /// The batch driver shared by the three im2col paths: the batch is split into <paramref name="chunks"/> contiguous
    /// ranges (one per thread, fixed by the chunk count so results never depend on scheduling), each walked in blocks
    /// of <c>plan.Images</c> images with scratch buffers owned by the chunk.
    /// </summary>
    private static void ForEachImageBlock(in Conv2dGeometry geo, BlockPlan plan, int chunks, BlockBody body)
    {
        int total = geo.N;
        Parallelism.For(chunks, chunk =>
        {
            ChunkRange(chunk, chunks, total, out int n0, out int n1);
            var scratch = new Scratch(plan);
            try
            {
                for (int n = n0; n < n1; n += plan.Images)
                    body(chunk, n, Math.Min(plan.Images, n1 - n), n == n0, scratch);
            }
            finally
            {
                scratch.Return();
            }
        });
    }

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
