using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// Integer inference of a whole <see cref="ResNetCifar"/> whose residual blocks run on the int8 path (after
/// <see cref="IntegerInference.Apply"/>): the same outputs as the model's own forward, bit for bit, in less time. The stem's
/// conv1 and the head (mean pool, classifier) run as the model's modules, bn1 and the stem's ReLU while conv1's floats become
/// the first codes (as modules when bn1 has no running statistics); the residual stages run a few images at a
/// time through every block, so that a chunk's activations stay in the cache from one layer to the next instead of making a
/// round trip through memory per layer and per module, and each convolution's batch norm, residual add and PACT activation are
/// applied to its output while it is still in the cache.
/// </summary>
/// <remarks>
/// <para>Each convolution runs the int8 kernel its <see cref="IntegerConv2d"/> runs; batch norm is the engine's
/// <c>fma(x, γ/σ, β − μ·γ/σ)</c> with the running statistics, the option-A shortcut adds the block input (subsampled and
/// zero-padded in channels), and PACT is <c>round(clamp(x, 0, α)/s)·s</c> (ties to even): the operations of the modules,
/// so the same bits.</para>
/// <para>Supported: every block convolution on the int8 kernel (≤ 8-bit weights and activations), every ReLU a
/// <see cref="QuantReLU"/> with a <see cref="PactActivationQuantizer"/>, batch norms with running statistics; the model in
/// evaluation mode; a CPU with AVX-512. <see cref="TryCreate"/> says what does not fit.</para>
/// </remarks>
public sealed class Int8ResNetPipeline : Module<Tensor, Tensor>
{
    private const int Lanes = Int8DirectConv.Lanes;
    private readonly ResNetCifar _model;
    private readonly Block[] _blocks;
    private readonly int _inChannels, _outChannels;
    // The stem's batch norm constants and PACT grid, when bn1 has running statistics: bn1 and the ReLU then run on the conv1
    // output while it is turned into the first block's codes (null: they run as the model's modules).
    private readonly (float[] Scale, float[] Shift)? _stemNorm;
    private readonly float _stemAlpha, _stemStep;

    private Int8ResNetPipeline(ResNetCifar model, Block[] blocks)
    {
        _model = model; _blocks = blocks;
        _inChannels = blocks[0].InC; _outChannels = blocks[^1].OutC;
        _stemNorm = FusedEpilogue.BatchNormConstants(model.Bn1) is { } norm && norm.Scale.Length == _inChannels ? norm : null;
        (_stemAlpha, _stemStep, _) = FusedEpilogue.Pact(model.Relu, "relu");
        RegisterModule("model", model);
    }

    /// <summary>Builds the pipeline over <paramref name="model"/> (not a copy: later changes to the model's layers are not seen;
    /// build it again), or says why the model does not fit.</summary>
    /// <param name="model">A ResNet whose block convolutions were replaced by <see cref="IntegerInference.Apply"/>.</param>
    /// <param name="pipeline">The pipeline, or null.</param>
    /// <param name="why">What does not fit, or null.</param>
    public static bool TryCreate(ResNetCifar model, out Int8ResNetPipeline? pipeline, out string? why)
    {
        ArgumentNullException.ThrowIfNull(model);
        pipeline = null;
        if (!Avx512F.IsSupported)
        {
            why = "its tile epilogue uses AVX-512 (Avx512F), which this CPU or runtime lacks; run the model from IntegerInference.Apply layer by layer (same outputs).";
            return false;
        }
        var blocks = new List<Block>();
        var (_, prevStep, whyStem) = FusedEpilogue.Pact(model.Relu, "relu");
        if (whyStem is not null) { why = whyStem; return false; }
        foreach (var (name, m) in model.NamedModules())
        {
            if (m is not BasicBlock b) continue;
            var c1 = ConvStage.Create(b.Conv1, b.Bn1, b.Relu1, $"{name}.conv1", prevStep, out why);
            if (c1 is null) return false;
            var c2 = ConvStage.Create(b.Conv2, b.Bn2, b.Relu2, $"{name}.conv2", c1.Step, out why);
            if (c2 is null) return false;
            if (c2.Stride != 1) { why = $"'{name}.conv2' has stride {c2.Stride}; a basic block's second convolution has stride 1."; return false; }
            blocks.Add(new Block(c1, c2));
            prevStep = c2.Step;
        }
        if (blocks.Count == 0) { why = "the model has no residual blocks."; return false; }
        pipeline = new Int8ResNetPipeline(model, [.. blocks]);
        why = null;
        return true;
    }

    /// <summary>Builds the pipeline over <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The model does not fit (the message says what).</exception>
    public static Int8ResNetPipeline Create(ResNetCifar model) =>
        TryCreate(model, out var p, out var why) ? p! : throw new ArgumentException($"Int8ResNetPipeline: {why}", nameof(model));

    /// <summary>Images per chunk: enough work per chunk for the kernels' tiles, and at least two chunks per thread.</summary>
    private static int ChunkImages(int n) => Math.Clamp(n / (2 * Parallelism.Threads), 1, 4);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The model is in training mode.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (_model.Training) throw new InvalidOperationException("Int8ResNetPipeline: the model is in training mode; call Eval() on it (integer inference only).");
        using var noGrad = Torch.NoGrad();
        var conv1 = _model.Conv1.Forward(input);
        // Fused stem: the codes straight from conv1's floats (fma batch norm, PACT), the same codes as the modules give.
        bool fused = _stemNorm is not null && conv1.Dim == 4 && conv1.Size(1) == _inChannels && conv1.Size(2) * conv1.Size(3) % Lanes == 0;
        var stem = fused ? conv1.Contiguous() : _model.Relu.Forward(_model.Bn1.Forward(conv1)).Contiguous();
        if (stem.Size(1) != _inChannels)
            throw new ArgumentException($"Int8ResNetPipeline: the stem gives {stem.Size(1)} channels, the first block takes {_inChannels}.", nameof(input));
        int n = stem.Size(0), h = stem.Size(2), w = stem.Size(3);
        var (oh, ow) = (h, w);
        foreach (var b in _blocks) (oh, ow) = b.C1.OutSize(oh, ow);
        int inPer = _inChannels * h * w, outPer = _outChannels * oh * ow, imgs = ChunkImages(n), chunks = (n + imgs - 1) / imgs;
        // Through SpanKernels: a span of a pooled tensor taken with AsSpan would keep its storage from ever being lent again.
        var output = SpanKernels.Map(stem, [n, _outChannels, oh, ow], (xs, ys) =>
        {
            unsafe
            {
                fixed (float* px = xs)
                fixed (float* py = ys)
                {
                    nint xb = (nint)px, yb = (nint)py;
                    Parallelism.For(chunks, ch =>
                    {
                        int i0 = ch * imgs, count = Math.Min(imgs, n - i0);
                        RunChunk(new ReadOnlySpan<float>((float*)xb + (long)i0 * inPer, count * inPer), fused, count, h, w,
                            new Span<float>((float*)yb + (long)i0 * outPer, count * outPer));
                    });
                }
            }
        });
        return _model.Classifier.Forward(output.Mean([2, 3]));
    }

    // Every block on `count` images, the activations as padded NHWC codes (a zero border of one pixel) with each padded
    // pixel's Σ of codes: the block input, its conv1 output and its output; the last block writes its floats (NCHW) to y.
    // x: the stem's output, or conv1's when `fused` (bn1 and the ReLU are applied here).
    private unsafe void RunChunk(ReadOnlySpan<float> x, bool fused, int count, int h, int w, Span<float> y)
    {
        int largest = 0, ch = h, cw = w;
        largest = Math.Max(largest, count * (ch + 2) * (cw + 2) * _inChannels);
        foreach (var b in _blocks)
        {
            (ch, cw) = b.C1.OutSize(ch, cw);
            largest = Math.Max(largest, count * (ch + 2) * (cw + 2) * b.OutC);
        }
        int largestPixels = count * (h + 2) * (w + 2);
        var bufs = new byte[3][];
        var sums = new int[3][];
        for (int i = 0; i < 3; i++) { bufs[i] = ArrayPool<byte>.Shared.Rent(largest); sums[i] = ArrayPool<int>.Shared.Rent(largestPixels); }
        try
        {
            var first = _blocks[0].C1;
            // The stem's floats (on the first convolution's grid, or that layer's error), or conv1's through bn1 and PACT (fused), as
            // padded NHWC codes and pixel sums.
            if (!fused)
                Int8ConvKernel.QuantizeToPaddedNhwc(first.InputLayer, x, count, _inChannels, h, w, 1, 1, _inChannels, bufs[0], sums[0]);
            else if (!ActivationCodes.TryToNhwc16(new StemCodes(_stemNorm!.Value.Scale, _stemNorm.Value.Shift, _stemAlpha, _stemStep),
                         x, count, _inChannels, h, w, 1, 1, bufs[0], sums[0]))
                throw new InvalidOperationException("Internal error: the fused stem's shape was checked, yet its codes could not be written.");
            int cur = 0;
            for (int bi = 0; bi < _blocks.Length; bi++)
            {
                var b = _blocks[bi];
                var (oh, ow) = b.C1.OutSize(h, w);
                int mid = (cur + 1) % 3, next = (cur + 2) % 3;
                fixed (byte* pin = bufs[cur], pmid = bufs[mid], pnext = bufs[next])
                fixed (int* sin = sums[cur], smid = sums[mid], snext = sums[next])
                fixed (float* py = y)
                {
                    var input = new Activation(pin, sin, h, w, b.InC, b.C1.InputLayer.InputGrid!.Step);
                    var hidden = new Activation(pmid, smid, oh, ow, b.C1.OutC, b.C1.Step);
                    b.C1.Run(input, count, hidden, shortcut: null, 1, floats: null);
                    b.C2.Run(hidden, count, new Activation(pnext, snext, oh, ow, b.OutC, b.C2.Step), input, b.C1.Stride,
                        bi == _blocks.Length - 1 ? py : null);
                }
                cur = next;
                (h, w) = (oh, ow);
            }
        }
        finally
        {
            for (int i = 0; i < 3; i++) { ArrayPool<byte>.Shared.Return(bufs[i]); ArrayPool<int>.Shared.Return(sums[i]); }
        }
    }

    // The stem's codes from conv1's floats: z = fma(x, scale, shift) (bn1), code = round(clamp(z, 0, α)/step), the PACT ReLU's
    // code (the module's float r·step lies on the first block's grid, which gives back r).
    private readonly struct StemCodes(float[] scale, float[] shift, float alpha, float step) : ActivationCodes.ICodeMap
    {
        private readonly Vector512<float> _alpha = Vector512.Create(alpha), _step = Vector512.Create(step);

        public bool TryCodes(Vector512<float> v, int channel, out Vector512<int> codes)
        {
            var z = Vector512.FusedMultiplyAdd(v, Vector512.Create(scale[channel]), Vector512.Create(shift[channel]));
            codes = FusedEpilogue.PactCodes(z, _alpha, _step);
            return true;
        }
    }

    /// <summary>Padded NHWC codes (h + 2 rows of w + 2 pixels of C bytes per image), each padded pixel's Σ of codes, and the
    /// step that turns a code into the activation's float.</summary>
    private readonly unsafe struct Activation(byte* codes, int* sums, int h, int w, int c, float step)
    {
        public byte* Codes { get; } = codes;
        public int* Sums { get; } = sums;
        public int H { get; } = h;
        public int W { get; } = w;
        public int C { get; } = c;
        public float Step { get; } = step;
        public int Hp => H + 2;
        public int Wp => W + 2;
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"blocks={_blocks.Length}, int8";

    private sealed record Block(ConvStage C1, ConvStage C2)
    {
        public int InC => C1.InC;
        public int OutC => C2.OutC;
    }

    /// <summary>One convolution with the batch norm and PACT after it: the int8 kernel tile by tile, each tile's sums
    /// recovered, batch-normed, added to the shortcut and quantized while in registers.</summary>
    private sealed class ConvStage
    {
        private const int Lanes = Int8DirectConv.Lanes;
        private readonly int[] _weights;
        private readonly int _zp, _quads;
        private readonly double[] _c1, _c2, _b;
        private readonly float[] _scale, _shift;
        private readonly float _alpha;

        private ConvStage(ExportedLayer layer, Int8ConvKernel kernel, int[] weights, int stride, float[] scale, float[] shift, float alpha, float step)
        {
            InputLayer = layer; InC = layer.WeightShape[1]; OutC = layer.OutChannels; Stride = stride; Step = step;
            _weights = weights; _zp = kernel.WeightZeroPoint; _quads = Int8DirectConv.PaddedChannels(InC) / 4;
            _scale = scale; _shift = shift; _alpha = alpha;
            _c1 = new double[OutC]; _c2 = new double[OutC]; _b = new double[OutC];
            for (int o = 0; o < OutC; o++) (_c1[o], _c2[o], _b[o]) = kernel.Recovery(o);
        }

        public ExportedLayer InputLayer { get; }
        public int InC { get; }
        public int OutC { get; }
        public int Stride { get; }
        public float Step { get; }

        public (int H, int W) OutSize(int h, int w) => ((h + 2 - 3) / Stride + 1, (w + 2 - 3) / Stride + 1);

        public static ConvStage? Create(Module conv, Module bn, Module relu, string name, float inputStep, out string? why)
        {
            if (conv is not IntegerConv2d { Kernel: IntegerKernel.Int8 } ic || ic.FastKernel is not Int8ConvKernel { DirectWeights: { } weights } k)
            {
                why = $"'{name}' is a {conv.GetType().Name}{(conv is IntegerConv2d other ? $" on the {other.Kernel} path" : "")}, not an IntegerConv2d on the int8 path (export the model and apply IntegerInference; at most 8-bit weights and activations).";
                return null;
            }
            var g = ic.Layer.Conv!;
            if (ic.Layer.WeightShape[2] != 3 || ic.Layer.WeightShape[3] != 3 || g.Padding != (1, 1) || g.Dilation != (1, 1) || g.Groups != 1 || g.Stride.H != g.Stride.W)
            {
                why = $"'{name}' is not a 3×3 convolution with padding 1, equal strides, no dilation and no groups.";
                return null;
            }
            if (ic.Layer.OutChannels % Lanes != 0 || ic.Layer.WeightShape[1] % Lanes != 0)
            {
                why = $"'{name}' has {ic.Layer.WeightShape[1]} input and {ic.Layer.OutChannels} output channels; the pipeline takes multiples of {Lanes}.";
                return null;
            }
            if (ic.Layer.InputGrid!.Step != inputStep)
            {
                why = $"'{name}' reads codes of step {ic.Layer.InputGrid.Step}, but the activation before it has step {inputStep}.";
                return null;
            }
            if (FusedEpilogue.BatchNormConstants(bn) is not { } norm)
            {
                why = $"the batch norm after '{name}' is a {bn.GetType().Name} without running statistics.";
                return null;
            }
            var (alpha, step, whyRelu) = FusedEpilogue.Pact(relu, name + "'s activation");
            if (whyRelu is not null) { why = whyRelu; return null; }
            why = null;
            return new ConvStage(ic.Layer, k, weights, g.Stride.H, norm.Scale, norm.Shift, alpha, step);
        }

        /// <summary>
        /// output = PACT(bn(conv(input)) [+ shortcut]) as padded NHWC codes and pixel sums (zeroed here, border included); the
        /// shortcut is the block input (option A: every shortcutStride-th pixel, channels centred with zeros around them); the floats
        /// r·step of the output in NCHW when <paramref name="floats"/> is given.
        /// </summary>
        public unsafe void Run(Activation input, int count, Activation output, Activation? shortcut, int shortcutStride, float* floats)
        {
            int oh = output.H, ow = output.W, cpIn = Int8DirectConv.PaddedChannels(InC), taps = 9;
            new Span<byte>(output.Codes, count * output.Hp * output.Wp * OutC).Clear();
            new Span<int>(output.Sums, count * output.Hp * output.Wp).Clear();
            int* tapOffsets = stackalloc int[taps];
            for (int a = 0; a < 3; a++)
                for (int e = 0; e < 3; e++) tapOffsets[a * 3 + e] = (a * input.Wp + e) * cpIn;
            int* tile = stackalloc int[Int8DirectConv.MaxRowTilePixels * Lanes];
            byte** src = stackalloc byte*[Int8DirectConv.TilePixels];
            int* sj = stackalloc int[ow];
            int blocks = OutC / Lanes, pad = shortcut is { } scA ? (OutC - scA.C) / 2 : 0, blockWeights = taps * _quads * Lanes;
            fixed (int* w = _weights)
                for (int img = 0; img < count; img++)
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int inRow = img * input.Hp + oy * Stride;
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int s = 0;
                            for (int a = 0; a < 3; a++)
                            {
                                int* r = input.Sums + (long)(inRow + a) * input.Wp + ox * Stride;
                                s += r[0] + r[1] + r[2];
                            }
                            sj[ox] = s;
                        }
                        byte* rowIn = input.Codes + (long)inRow * input.Wp * cpIn;
                        int outRow = (img * output.Hp + oy + 1) * output.Wp + 1;
                        for (int x0 = 0; x0 < ow;)
                        {
                            int start = 0, n = 0;
                            for (int blk = 0; blk < blocks; blk++)
                            {
                                (start, n) = Int8DirectConv.RowTile(rowIn, Stride * cpIn, x0, ow, tapOffsets, taps, _quads, w + (long)blk * blockWeights, tile, src);
                                byte* sc = null;
                                if (shortcut is { } sa)
                                    sc = sa.Codes + ((long)(img * sa.Hp + oy * shortcutStride + 1) * sa.Wp + start * shortcutStride + 1) * sa.C;
                                Epilogue(tile, x0 - start, n, sj + start, blk, output.Codes + (long)(outRow + start) * OutC,
                                    sc, shortcutStride * (shortcut?.C ?? 0), shortcut?.C ?? 0, pad, shortcut?.Step ?? 0f);
                            }
                            // Each pixel's Σ of codes over its channels, from the bytes just stored (one psadbw per 16 channels,
                            // not a 16-lane reduction per pixel and block); the floats r·step of the last block, NCHW.
                            byte* tileCodes = output.Codes + (long)(outRow + start) * OutC;
                            for (int k = x0 - start; k < n; k++)
                            {
                                var acc = Vector128<ulong>.Zero;
                                for (int c = 0; c < OutC; c += Lanes)
                                    acc += Sse2.SumAbsoluteDifferences(Vector128.Load(tileCodes + (long)k * OutC + c), Vector128<byte>.Zero).AsUInt64();
                                output.Sums[outRow + start + k] = (int)(acc.GetElement(0) + acc.GetElement(1));
                            }
                            if (floats is not null)
                                for (int c = 0; c < OutC; c++)
                                {
                                    float* dst = floats + ((long)(img * OutC + c) * oh + oy) * ow + start;
                                    for (int k = x0 - start; k < n; k++) dst[k] = tileCodes[(long)k * OutC + c] * Step;
                                }
                            x0 = start + n;
                        }
                    }
        }

        // Pixels k0..n-1 of a tile, sixteen output channels each: y = c1·(acc + zp·Σj) + c2·Σj + b in double (IntegerMac's
        // operations), to float, fma(y, scale, shift), + the shortcut's r·step, PACT round(clamp(z, 0, α)/step); the codes to
        // out (pixel k at out + k·OutC). sc: the shortcut's codes for pixel 0, scPixel bytes apart.
        // No call inside the loop (a call makes the JIT keep every vector on the stack and reload it per pixel; PactCodes inlines).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void Epilogue(int* tile, int k0, int n, int* sj, int blk, byte* out0, byte* sc, int scPixel, int scC, int pad, float scStep)
        {
            int o = blk * Lanes, first = o - pad;
            var c1lo = Vector512.Create(_c1.AsSpan(o, 8)); var c1hi = Vector512.Create(_c1.AsSpan(o + 8, 8));
            var c2lo = Vector512.Create(_c2.AsSpan(o, 8)); var c2hi = Vector512.Create(_c2.AsSpan(o + 8, 8));
            var blo = Vector512.Create(_b.AsSpan(o, 8)); var bhi = Vector512.Create(_b.AsSpan(o + 8, 8));
            var scale = Vector512.Create(_scale.AsSpan(o, Lanes)); var shift = Vector512.Create(_shift.AsSpan(o, Lanes));
            var alpha = Vector512.Create(_alpha); var step = Vector512.Create(Step); var vscStep = Vector512.Create(scStep);
            // Option A's shortcut lanes: channel first + l of the block input where 0 <= first + l < scC, zero elsewhere. A block
            // that straddles the input's channels loads 16 bytes from sc + first, which reach at most into the row neighbour
            // or the border pixel (inside the padded buffer); the lanes outside are masked to 0. A block wholly outside adds nothing.
            if (first + Lanes <= 0 || first >= scC) sc = null;
            byte* laneMask = stackalloc byte[Lanes];
            for (int l = 0; l < Lanes; l++) laneMask[l] = first + l >= 0 && first + l < scC ? (byte)0xFF : (byte)0;
            var inside = Vector128.Load(laneMask);
            for (int k = k0; k < n; k++)
            {
                int sumJ = sj[k];
                var t = Vector512.Load(tile + k * Lanes) + Vector512.Create(_zp * sumJ);
                var sjd = Vector512.Create((double)sumJ);
                var lo = c1lo * Avx512F.ConvertToVector512Double(t.GetLower()) + c2lo * sjd + blo;
                var hi = c1hi * Avx512F.ConvertToVector512Double(t.GetUpper()) + c2hi * sjd + bhi;
                var y = Vector512.Create(Avx512F.ConvertToVector256Single(lo), Avx512F.ConvertToVector256Single(hi));
                var z = Vector512.FusedMultiplyAdd(y, scale, shift);
                if (sc is not null)
                    z += Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(sc + (long)k * scPixel + first) & inside)) * vscStep;
                Avx512F.ConvertToVector128Byte(FusedEpilogue.PactCodes(z, alpha, step)).Store(out0 + (long)k * OutC + o);
            }
        }
    }
}
