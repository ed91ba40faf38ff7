using System.Buffers;
using System.Runtime.Intrinsics;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// Integer inference of a whole <see cref="ResNetCifar"/> whose residual blocks run on the int8 path (after
/// <see cref="IntegerInference.Apply"/>): the same outputs as the model's own forward, bit for bit, in less time. The stem
/// (conv1, bn1, relu) and the head (mean pool, classifier) run as the model's modules; the residual stages run a few images at a
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
/// evaluation mode. <see cref="TryCreate"/> says what does not fit.</para>
/// </remarks>
public sealed class Int8ResNetPipeline : Module<Tensor, Tensor>
{
    private readonly ResNetCifar _model;
    private readonly Block[] _blocks;
    private readonly int _inChannels, _outChannels;

    private Int8ResNetPipeline(ResNetCifar model, Block[] blocks)
    {
        _model = model; _blocks = blocks;
        _inChannels = blocks[0].InC; _outChannels = blocks[^1].OutC;
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
        var blocks = new List<Block>();
        var (_, prevStep, whyStem) = Pact(model.Relu, "relu");
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

    /// <summary>The PACT α and step of a <see cref="QuantReLU"/>, or why the module is not one.</summary>
    private static (float Alpha, float Step, string? Why) Pact(Module m, string name) =>
        m is QuantReLU { Quantizer: PactActivationQuantizer pact }
            ? (pact.Alpha.Item(), pact.Alpha.Item() / pact.Steps, null)
            : (0f, 0f, $"'{name}' is a {m.GetType().Name}, not a QuantReLU with a PACT quantizer (quantize the model's activations with PACT).");

    /// <summary>Images per chunk: enough work per chunk for the kernels' tiles, and at least two chunks per thread.</summary>
    private static int ChunkImages(int n) => Math.Clamp(n / (2 * Parallelism.Threads), 1, 4);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The model is in training mode.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (_model.Training) throw new InvalidOperationException("Int8ResNetPipeline: the model is in training mode; call Eval() on it (integer inference only).");
        using var noGrad = Torch.NoGrad();
        var stem = _model.Relu.Forward(_model.Bn1.Forward(_model.Conv1.Forward(input))).Contiguous();
        if (stem.Size(1) != _inChannels)
            throw new ArgumentException($"Int8ResNetPipeline: the stem gives {stem.Size(1)} channels, the first block takes {_inChannels}.", nameof(input));
        int n = stem.Size(0), h = stem.Size(2), w = stem.Size(3);
        var (oh, ow) = (h, w);
        foreach (var b in _blocks) (oh, ow) = b.C1.OutSize(oh, ow);
        int inPer = _inChannels * h * w, outPer = _outChannels * oh * ow, imgs = ChunkImages(n), chunks = (n + imgs - 1) / imgs;
        var output = Tensor.Zeros(n, _outChannels, oh, ow);
        unsafe
        {
            fixed (float* px = stem.AsReadOnlySpan())
            fixed (float* py = output.AsSpan())
            {
                nint xb = (nint)px, yb = (nint)py;
                Parallelism.For(chunks, ch =>
                {
                    int i0 = ch * imgs, count = Math.Min(imgs, n - i0);
                    RunChunk(new ReadOnlySpan<float>((float*)xb + (long)i0 * inPer, count * inPer), count, h, w,
                        new Span<float>((float*)yb + (long)i0 * outPer, count * outPer));
                });
            }
        }
        return _model.Classifier.Forward(output.Mean([2, 3]));
    }

    // Every block on `count` images; two scratch activations (the block input and its conv1 output) and the block output.
    private void RunChunk(ReadOnlySpan<float> x, int count, int h, int w, Span<float> y)
    {
        int largest = x.Length;
        int ch = h, cw = w;
        foreach (var b in _blocks)
        {
            (ch, cw) = b.C1.OutSize(ch, cw);
            largest = Math.Max(largest, count * b.OutC * ch * cw);
        }
        var a = ArrayPool<float>.Shared.Rent(largest);
        var t = ArrayPool<float>.Shared.Rent(largest);
        var u = ArrayPool<float>.Shared.Rent(largest);
        try
        {
            x.CopyTo(a);
            int len = x.Length;
            foreach (var b in _blocks)
            {
                var (oh, ow) = b.C1.OutSize(h, w);
                int outLen = count * b.OutC * oh * ow;
                b.C1.Run(a.AsSpan(0, len), count, h, w, t.AsSpan(0, outLen), shortcut: default, 0, 0);
                b.C2.Run(t.AsSpan(0, outLen), count, oh, ow, u.AsSpan(0, outLen), a.AsSpan(0, len), h, w);
                (a, u) = (u, a);
                (h, w, len) = (oh, ow, outLen);
            }
            a.AsSpan(0, len).CopyTo(y);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(a); ArrayPool<float>.Shared.Return(t); ArrayPool<float>.Shared.Return(u);
        }
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"blocks={_blocks.Length}, int8";

    private sealed record Block(ConvStage C1, ConvStage C2)
    {
        public int InC => C1.InC;
        public int OutC => C2.OutC;
    }

    /// <summary>One convolution with the batch norm and PACT after it: the int8 kernel, then per element
    /// PACT(fma(y, scale, shift) [+ shortcut]).</summary>
    private sealed class ConvStage
    {
        private readonly Int8ConvKernel _kernel;
        private readonly float[] _scale, _shift;
        private readonly float _alpha;

        private ConvStage(Int8ConvKernel kernel, int inC, int outC, int stride, float[] scale, float[] shift, float alpha, float step)
        {
            _kernel = kernel; InC = inC; OutC = outC; Stride = stride; _scale = scale; _shift = shift; _alpha = alpha; Step = step;
        }

        public int InC { get; }
        public int OutC { get; }
        public int Stride { get; }
        public float Step { get; }

        public (int H, int W) OutSize(int h, int w) => ((h + 2 - 3) / Stride + 1, (w + 2 - 3) / Stride + 1);

        public static ConvStage? Create(Module conv, Module bn, Module relu, string name, float inputStep, out string? why)
        {
            if (conv is not IntegerConv2d { Kernel: IntegerKernel.Int8 } ic || ic.FastKernel is not Int8ConvKernel k)
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
            if (ic.Layer.InputGrid!.Step != inputStep)
            {
                why = $"'{name}' reads codes of step {ic.Layer.InputGrid.Step}, but the activation before it has step {inputStep}.";
                return null;
            }
            if (bn is not BatchNorm2d { RunningMean: { } mean, RunningVar: { } var } b)
            {
                why = $"the batch norm after '{name}' is a {bn.GetType().Name} without running statistics.";
                return null;
            }
            var (alpha, step, whyRelu) = Pact(relu, name + "'s activation");
            if (whyRelu is not null) { why = whyRelu; return null; }
            // Functional.BatchNorm's evaluation constants, computed the same way.
            int c = ic.Layer.OutChannels;
            var m = mean.ToArray(); var v = var.ToArray(); var wt = b.Weight?.ToArray(); var bs = b.Bias?.ToArray();
            var scale = new float[c]; var shift = new float[c];
            for (int o = 0; o < c; o++)
            {
                float invstd = (float)(1.0 / Math.Sqrt(v[o] + (double)b.Eps));
                scale[o] = (wt?[o] ?? 1f) * invstd;
                shift[o] = (bs?[o] ?? 0f) - m[o] * scale[o];
            }
            why = null;
            return new ConvStage(k, ic.Layer.WeightShape[1], c, g.Stride.H, scale, shift, alpha, step);
        }

        /// <summary>y = PACT(bn(conv(x)) + shortcut) for <paramref name="count"/> images; the shortcut (the block input, h×w,
        /// subsampled by h/oh and zero-padded in channels as option A) when given.</summary>
        public void Run(ReadOnlySpan<float> x, int count, int h, int w, Span<float> y, ReadOnlySpan<float> shortcut, int sh, int sw)
        {
            var (oh, ow) = OutSize(h, w);
            _kernel.Run(x, count, h, w, oh, ow, y);
            int p = oh * ow;
            int sc = shortcut.IsEmpty ? 0 : shortcut.Length / (count * sh * sw), pad = (OutC - sc) / 2, sub = shortcut.IsEmpty ? 1 : sh / oh;
            for (int img = 0; img < count; img++)
                for (int o = 0; o < OutC; o++)
                {
                    var plane = y.Slice((img * OutC + o) * p, p);
                    int src = o - pad;
                    ReadOnlySpan<float> s = shortcut.IsEmpty || src < 0 || src >= sc ? default : shortcut.Slice((img * sc + src) * sh * sw, sh * sw);
                    Epilogue(plane, _scale[o], _shift[o], s, sub, ow, sw);
                }
        }

        // fma(y, scale, shift) as the batch norm; + the shortcut pixel (row-major, every sub-th row and column); PACT.
        private void Epilogue(Span<float> y, float scale, float shift, ReadOnlySpan<float> s, int sub, int ow, int sw)
        {
            float alpha = _alpha, step = Step;
            int i = 0;
            if (Vector512.IsHardwareAccelerated && (s.IsEmpty || sub == 1))
            {
                var va = Vector512.Create(scale); var vb = Vector512.Create(shift);
                var lo = Vector512<float>.Zero; var hi = Vector512.Create(alpha); var vs = Vector512.Create(step);
                for (; i <= y.Length - 16; i += 16)
                {
                    var z = Vector512.FusedMultiplyAdd(Vector512.Create(y.Slice(i, 16)), va, vb);
                    if (!s.IsEmpty) z += Vector512.Create(s.Slice(i, 16));
                    (Vector512.Round(Vector512.Min(Vector512.Max(z, lo), hi) / vs) * vs).CopyTo(y.Slice(i, 16));
                }
            }
            for (; i < y.Length; i++)
            {
                float z = MathF.FusedMultiplyAdd(y[i], scale, shift);
                if (!s.IsEmpty) z += s[(i / ow) * sub * sw + (i % ow) * sub];
                y[i] = MathF.Round(Math.Clamp(z, 0f, alpha) / step, MidpointRounding.ToEven) * step;
            }
        }
    }
}
