using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors.Nn;

/// <summary>Convolution and pooling functions (<c>F.conv2d</c>, <c>F.max_pool2d</c>, …) over the span kernels.</summary>
/// <remarks>
/// Every function accepts a batched <c>(N, C, H, W)</c> or an unbatched <c>(C, H, W)</c> input, as PyTorch does.
/// Size arguments are <see cref="Pair"/>s, so an int or a tuple both work: <c>F.Conv2d(x, w, b, stride: 2, padding: (1, 0))</c>.
/// The backward rules call the kernels' backward functions (only for inputs that need a gradient), so a backward pass
/// through these ops cannot itself be differentiated: <c>createGraph: true</c> throws <see cref="NotSupportedException"/>.
/// </remarks>
public static partial class Functional
{
    // ───────────────────────────── convolution ─────────────────────────────

    /// <summary>
    /// 2-D convolution (cross-correlation, zero padding), <c>torch.nn.functional.conv2d</c>.
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="weight">Weight <c>(out_channels, C/groups, kH, kW)</c>.</param>
    /// <param name="bias">Optional bias <c>(out_channels)</c>.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Zero padding on each side (default 0).</param>
    /// <param name="dilation">Spacing between kernel taps (default 1).</param>
    /// <param name="groups">Number of channel groups; both channel counts must be divisible by it.</param>
    /// <returns>Output <c>(N, out_channels, OutH, OutW)</c>, or <c>(out_channels, OutH, OutW)</c> for unbatched input.</returns>
    /// <exception cref="ArgumentException">Ranks, channel counts or sizes are inconsistent; the message names the shapes and the fix.</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Pair? stride = null, Pair? padding = null,
        Pair? dilation = null, int groups = 1)
    {
        const string op = "Conv2d";
        var (x, unbatched) = ConvOpSupport.Batched(op, input);
        ConvOpSupport.Weight(op, weight, "(out_channels, in_channels/groups, kH, kW)");
        int outC = weight.Size(0), groupC = weight.Size(1);
        if (groups < 1) throw new ArgumentException($"{op}: groups must be positive, got {groups}.");
        if (outC % groups != 0)
            throw new ArgumentException($"{op}: out_channels ({outC}, from weight {weight.Shape}) must be divisible by groups ({groups}); choose groups dividing both channel counts.");
        int c = x.Size(1), expected = groupC * groups;
        if (c != expected)
        {
            string g = groups == 1 ? "" : $", groups={groups}";
            string fix = c % groups == 0
                ? $"use inChannels: {c} (weight ({outC}, {c / groups}, {weight.Size(2)}, {weight.Size(3)})) or convert the input to {expected} channels"
                : $"in_channels must be divisible by groups ({groups}); convert the input to {expected} channels";
            throw new ArgumentException($"{op}: expected input with {expected} channels (weight {weight.Shape}{g}), got {input.Shape}; {fix}.");
        }
        ConvOpSupport.Bias(op, bias, outC, weight);
        Pair s = stride ?? 1, p = padding ?? 0, d = dilation ?? 1;
        int n = x.Size(0), h = x.Size(2), w = x.Size(3);
        var geo = ConvOpSupport.Geometry(op, $"input {input.Shape}, weight {weight.Shape}", () => new Conv2dGeometry(
            n, c, h, w, outC, weight.Size(2), weight.Size(3), s.H, s.W, p.H, p.W, d.H, d.W, groups));
        if (x._dev is not null || weight._dev is not null || bias?._dev is not null)
        {
            if (x._dev is null) throw Tensor.MixedDevices(op, x, weight);
            return Conv2dOnDevice(x, weight, bias, new(n, c, h, w, outC, weight.Size(2), weight.Size(3), s.H, s.W, p.H, p.W, d.H, d.W, groups), unbatched);
        }

        var xd = ConvOpSupport.Data(x);
        var wd = ConvOpSupport.Data(weight);
        var y = Tensor.Empty([n, outC, geo.OutH, geo.OutW]);
        Conv2dKernel.Forward(geo, xd.ViewSpan(), wd.ViewSpan(), bias is null ? ReadOnlySpan<float>.Empty : ConvOpSupport.Data(bias).ViewSpan(), y.WriteSpan());

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        y = Tensor.Record(y, "conv2d", inputs, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gyd = ConvOpSupport.Data(gy);
            var grads = new Tensor?[inputs.Length];
            if (Tensor.Needs(x))
            {
                var gx = Tensor.Empty([n, c, h, w]);
                Conv2dKernel.BackwardInput(geo, gyd.ViewSpan(), wd.ViewSpan(), gx.WriteSpan());
                grads[0] = gx;
            }
            if (Tensor.Needs(weight))
            {
                var gw = Tensor.Empty(weight.Shape.ToArray());
                Conv2dKernel.BackwardWeight(geo, xd.ViewSpan(), gyd.ViewSpan(), gw.WriteSpan());
                grads[1] = gw;
            }
            if (bias is not null && Tensor.Needs(bias))
            {
                var gb = Tensor.Empty([outC]);
                Conv2dKernel.BackwardBias(geo, gyd.ViewSpan(), gb.WriteSpan());
                grads[2] = gb;
            }
            return grads;
        });
        return unbatched ? y.Squeeze(0) : y;
    }

    /// <summary>
    /// <c>relu?(conv2d(input, weight, bias) + residual)</c>, the inference form of a convolution followed by a residual add and a
    /// ReLU (PyTorch's fused <c>ConvReLU2d</c>/<c>ConvAddReLU2d</c> modules): when nothing needs a gradient, the add and the ReLU
    /// run in the convolution's epilogue instead of two more passes over the output; otherwise (training, an attack's input
    /// gradient) it is exactly <see cref="Conv2d"/>, <c>+</c> and <see cref="Tensor.Relu"/>, so autograd is theirs. Both give the
    /// same bits.
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="weight">Weight <c>(out_channels, C/groups, kH, kW)</c>.</param>
    /// <param name="bias">Optional bias <c>(out_channels)</c>.</param>
    /// <param name="residual">Optional tensor added to the convolution's output (broadcast as <c>+</c> does; the fused path
    /// takes one of the output's shape).</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Zero padding on each side (default 0).</param>
    /// <param name="dilation">Spacing between kernel taps (default 1).</param>
    /// <param name="groups">Number of channel groups.</param>
    /// <returns>The output, shaped as <see cref="Conv2d"/>'s.</returns>
    /// <exception cref="ArgumentException">As <see cref="Conv2d"/>; or the residual does not broadcast to the output.</exception>
    public static Tensor Conv2dAddRelu(Tensor input, Tensor weight, Tensor? bias = null, Tensor? residual = null, bool relu = true,
        Pair? stride = null, Pair? padding = null, Pair? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        bool graph = GradMode.IsEnabled && (input.RequiresGrad || weight.RequiresGrad || bias?.RequiresGrad == true || residual?.RequiresGrad == true);
        bool onDevice = input._dev is not null || weight._dev is not null || bias?._dev is not null || residual?._dev is not null;
        if (graph || onDevice || input.Dim != 4 || residual is { DType: not DType.Float32 })
            return Composed();
        Pair s = stride ?? 1, p = padding ?? 0, d = dilation ?? 1;
        int n = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3), outC = weight.Dim == 4 ? weight.Size(0) : -1;
        // Anything Conv2d would refuse goes to it, for its errors.
        if (input.DType != DType.Float32 || weight.DType != DType.Float32 || weight.Dim != 4 || groups < 1 || c != weight.Size(1) * groups || outC % groups != 0)
            return Composed();
        ConvOpSupport.Bias("Conv2dAddRelu", bias, outC, weight);
        var geo = ConvOpSupport.Geometry("Conv2dAddRelu", $"input {input.Shape}, weight {weight.Shape}", () => new Conv2dGeometry(
            n, c, h, w, outC, weight.Size(2), weight.Size(3), s.H, s.W, p.H, p.W, d.H, d.W, groups));
        int[] outShape = [n, outC, geo.OutH, geo.OutW];
        if (residual is not null && !residual.Shape.SequenceEqual(outShape)) return Composed();
        var y = Tensor.Empty(outShape);
        Conv2dKernel.ForwardFused(geo, ConvOpSupport.Data(input).ViewSpan(), ConvOpSupport.Data(weight).ViewSpan(),
            bias is null ? ReadOnlySpan<float>.Empty : ConvOpSupport.Data(bias).ViewSpan(),
            residual is null ? ReadOnlySpan<float>.Empty : ConvOpSupport.Data(residual).ViewSpan(), relu, y.WriteSpan());
        return y;

        Tensor Composed()
        {
            var z = Conv2d(input, weight, bias, stride, padding, dilation, groups);
            if (residual is not null) z = z + residual;
            return relu ? z.Relu() : z;
        }
    }

    /// <summary>
    /// A residual block's two stride-1 convolutions with their epilogues, <c>relu(conv2d(relu(conv2d(input, weight1, bias1)),
    /// weight2, bias2) + input)</c>: <see cref="Conv2dBlocksAddRelu"/> with one block.
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c>; also the residual.</param>
    /// <param name="weight1">First weight <c>(C', C, kH, kW)</c>.</param>
    /// <param name="bias1">First bias <c>(C')</c>, or null.</param>
    /// <param name="weight2">Second weight <c>(C, C', kH', kW')</c>.</param>
    /// <param name="bias2">Second bias <c>(C)</c>, or null.</param>
    /// <param name="padding1">First zero padding (default 0).</param>
    /// <param name="padding2">Second zero padding (default 0).</param>
    /// <returns>The block's output, the input's shape.</returns>
    /// <exception cref="ArgumentException">As <see cref="Conv2dBlocksAddRelu"/>.</exception>
    public static Tensor Conv2dPairAddRelu(Tensor input, Tensor weight1, Tensor? bias1, Tensor weight2, Tensor? bias2,
        Pair? padding1 = null, Pair? padding2 = null)
        => Conv2dBlocksAddRelu(input, [(weight1, bias1, weight2, bias2)], padding1, padding2);

    /// <summary>
    /// A run of residual blocks with stride-1 convolutions, each <c>x ← relu(conv2d(relu(conv2d(x, weight1, bias1)), weight2,
    /// bias2) + x)</c> (ResNet's basic block with an identity shortcut, batch norms folded): for each block two
    /// <see cref="Conv2dAddRelu"/> calls, the second taking the block's input as its residual. When nothing needs a gradient
    /// and the blocks share their shapes, it runs depth-first: a cache-sized block of images goes through every convolution,
    /// each writing straight into the layout the next one reads, so no intermediate activation is stored. Otherwise it is
    /// exactly the calls. Both give the same bits.
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c>; also the first block's residual.</param>
    /// <param name="blocks">Each block's weights <c>(C', C, kH, kW)</c> and <c>(C, C', kH', kW')</c> and optional biases.</param>
    /// <param name="padding1">Zero padding of every block's first convolution (default 0).</param>
    /// <param name="padding2">Zero padding of every block's second convolution (default 0).</param>
    /// <returns>The last block's output, the input's shape.</returns>
    /// <exception cref="ArgumentException">No block is given; or as <see cref="Conv2dAddRelu"/>: a convolution refuses its
    /// shapes, or a second convolution's output does not have its block's input shape.</exception>
    public static Tensor Conv2dBlocksAddRelu(Tensor input, IReadOnlyList<(Tensor Weight1, Tensor? Bias1, Tensor Weight2, Tensor? Bias2)> blocks,
        Pair? padding1 = null, Pair? padding2 = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count == 0) throw new ArgumentException("Conv2dBlocksAddRelu: no block given; pass at least one (weight1, bias1, weight2, bias2).", nameof(blocks));
        foreach (var (w1, _, w2, _) in blocks)
        {
            ArgumentNullException.ThrowIfNull(w1, nameof(blocks));
            ArgumentNullException.ThrowIfNull(w2, nameof(blocks));
        }
        if (!Fast(out var g1, out var g2)) return Composed();
        // Every parameter in one span (they are small: a few hundred KB for ResNet's widest stage), at offsets the kernel reads.
        int per = g1.WeightLength + g1.OutC + g2.WeightLength + g2.OutC;
        float[] parameters = KernelPool.Floats.Rent(blocks.Count * per);
        int[] offsets = new int[4 * blocks.Count];
        try
        {
            int at = 0;
            for (int b = 0; b < blocks.Count; b++)
            {
                var (w1, b1, w2, b2) = blocks[b];
                offsets[4 * b] = Put(w1);
                offsets[4 * b + 1] = b1 is null ? -1 : Put(b1);
                offsets[4 * b + 2] = Put(w2);
                offsets[4 * b + 3] = b2 is null ? -1 : Put(b2);
            }
            var y = Tensor.Empty(input.Shape.ToArray());
            Conv2dKernel.ForwardBlocksAddRelu(g1, g2, ConvOpSupport.Data(input).ViewSpan(), parameters.AsSpan(0, at), offsets, y.WriteSpan());
            return y;

            int Put(Tensor t)
            {
                var src = ConvOpSupport.Data(t).ViewSpan();
                src.CopyTo(parameters.AsSpan(at));
                at += src.Length;
                return at - src.Length;
            }
        }
        finally
        {
            KernelPool.Floats.Return(parameters);
        }

        // The depth-first path: no graph, on the CPU, float32, and every block of the same shapes on the implicit path.
        bool Fast(out Conv2dGeometry first, out Conv2dGeometry second)
        {
            first = second = default;
            bool graph = GradMode.IsEnabled && input.RequiresGrad;
            bool onDevice = input._dev is not null;
            var (w1, _, w2, _) = blocks[0];
            foreach (var (a, ab, b, bb) in blocks)
            {
                graph |= GradMode.IsEnabled && (a.RequiresGrad || b.RequiresGrad || ab?.RequiresGrad == true || bb?.RequiresGrad == true);
                onDevice |= a._dev is not null || b._dev is not null || ab?._dev is not null || bb?._dev is not null;
                if (a.DType != DType.Float32 || b.DType != DType.Float32 || ab is { DType: not DType.Float32 } || bb is { DType: not DType.Float32 }
                    || !a.Shape.SequenceEqual(w1.Shape) || !b.Shape.SequenceEqual(w2.Shape)
                    || (ab is not null && !ab.Shape.SequenceEqual([w1.Size(0)])) || (bb is not null && !bb.Shape.SequenceEqual([w2.Size(0)])))
                    return false;
            }
            if (graph || onDevice || input.Dim != 4 || input.DType != DType.Float32 || w1.Dim != 4 || w2.Dim != 4
                || input.Size(1) != w1.Size(1) || w2.Size(1) != w1.Size(0) || w2.Size(0) != input.Size(1))
                return false;
            Pair p1 = padding1 ?? 0, p2 = padding2 ?? 0;
            int n = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3);
            if (p1.H < 0 || p1.W < 0 || p2.H < 0 || p2.W < 0) return false;
            int oh = h + 2 * p1.H - w1.Size(2) + 1, ow = w + 2 * p1.W - w1.Size(3) + 1;
            if (oh < 1 || ow < 1 || oh + 2 * p2.H - w2.Size(2) + 1 != h || ow + 2 * p2.W - w2.Size(3) + 1 != w) return false;
            first = new Conv2dGeometry(n, c, h, w, w1.Size(0), w1.Size(2), w1.Size(3), 1, 1, p1.H, p1.W, 1, 1, 1);
            second = new Conv2dGeometry(n, w1.Size(0), oh, ow, c, w2.Size(2), w2.Size(3), 1, 1, p2.H, p2.W, 1, 1, 1);
            return Conv2dImplicit.AppliesPair(first, second);
        }

        Tensor Composed()
        {
            var x = input;
            foreach (var (w1, b1, w2, b2) in blocks)
                x = Conv2dAddRelu(Conv2dAddRelu(x, w1, b1, null, relu: true, padding: padding1), w2, b2, x, relu: true, padding: padding2);
            return x;
        }
    }

    /// <summary>
    /// 2-D transposed convolution ("deconvolution"), <c>torch.nn.functional.conv_transpose2d</c>: the input gradient of
    /// <see cref="Conv2d"/> with the same weight. Output size <c>(H−1)·stride − 2·padding + dilation·(k−1) + output_padding + 1</c>.
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="weight">Weight <c>(C, out_channels/groups, kH, kW)</c>.</param>
    /// <param name="bias">Optional bias <c>(out_channels)</c>.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Rows/columns removed from each side of the full output (default 0).</param>
    /// <param name="outputPadding">Extra rows/columns added at the bottom/right (default 0; smaller than stride or dilation).</param>
    /// <param name="groups">Number of channel groups.</param>
    /// <param name="dilation">Spacing between kernel taps (default 1).</param>
    /// <returns>Output <c>(N, out_channels, OutH, OutW)</c>, or 3-D for unbatched input.</returns>
    /// <exception cref="ArgumentException">Ranks, channel counts or sizes are inconsistent.</exception>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Pair? stride = null, Pair? padding = null,
        Pair? outputPadding = null, int groups = 1, Pair? dilation = null)
    {
        const string op = "ConvTranspose2d";
        var (x, unbatched) = ConvOpSupport.Batched(op, input);
        ConvOpSupport.Weight(op, weight, "(in_channels, out_channels/groups, kH, kW)");
        if (groups < 1) throw new ArgumentException($"{op}: groups must be positive, got {groups}.");
        int c = x.Size(1);
        if (c != weight.Size(0))
            throw new ArgumentException(
                $"{op}: expected input with {weight.Size(0)} channels (weight {weight.Shape}), got {input.Shape}; " +
                $"use inChannels: {c} (weight dimension 0 is in_channels for a transposed convolution) or convert the input to {weight.Size(0)} channels.");
        int outC = weight.Size(1) * groups;
        ConvOpSupport.Bias(op, bias, outC, weight);
        Pair s = stride ?? 1, p = padding ?? 0, opad = outputPadding ?? 0, d = dilation ?? 1;
        int n = x.Size(0), h = x.Size(2), w = x.Size(3);
        var geo = ConvOpSupport.Geometry(op, $"input {input.Shape}, weight {weight.Shape}", () => new ConvTranspose2dGeometry(
            n, c, h, w, outC, weight.Size(2), weight.Size(3), s.H, s.W, p.H, p.W, opad.H, opad.W, d.H, d.W, groups));

        var xd = ConvOpSupport.Data(x);
        var wd = ConvOpSupport.Data(weight);
        var y = Tensor.Empty([n, outC, geo.OutH, geo.OutW]);
        ConvTranspose2dKernel.Forward(geo, xd.ViewSpan(), wd.ViewSpan(), bias is null ? ReadOnlySpan<float>.Empty : ConvOpSupport.Data(bias).ViewSpan(), y.WriteSpan());

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        y = Tensor.Record(y, "conv_transpose2d", inputs, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gyd = ConvOpSupport.Data(gy);
            var grads = new Tensor?[inputs.Length];
            if (Tensor.Needs(x))
            {
                var gx = Tensor.Empty([n, c, h, w]);
                ConvTranspose2dKernel.BackwardInput(geo, gyd.ViewSpan(), wd.ViewSpan(), gx.WriteSpan());
                grads[0] = gx;
            }
            if (Tensor.Needs(weight))
            {
                var gw = Tensor.Empty(weight.Shape.ToArray());
                ConvTranspose2dKernel.BackwardWeight(geo, xd.ViewSpan(), gyd.ViewSpan(), gw.WriteSpan());
                grads[1] = gw;
            }
            if (bias is not null && Tensor.Needs(bias))
            {
                var gb = Tensor.Empty([outC]);
                ConvTranspose2dKernel.BackwardBias(geo, gyd.ViewSpan(), gb.WriteSpan());
                grads[2] = gb;
            }
            return grads;
        });
        return unbatched ? y.Squeeze(0) : y;
    }

    // ───────────────────────────── pooling ─────────────────────────────

    /// <summary>2-D max pooling, <c>torch.nn.functional.max_pool2d</c> (padding acts as −∞).</summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Stride (default: the window size).</param>
    /// <param name="padding">Implicit −∞ padding on each side, at most half the window (default 0).</param>
    /// <param name="dilation">Spacing between window taps (default 1).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <returns>The pooled tensor <c>(N, C, OutH, OutW)</c> (3-D for unbatched input).</returns>
    /// <exception cref="ArgumentException">Wrong rank, or the window does not fit; the message names the sizes and the fix.</exception>
    public static Tensor MaxPool2d(Tensor input, Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? dilation = null,
        bool ceilMode = false) =>
        MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, wantIndices: false).Output;

    /// <summary>
    /// 2-D max pooling that also returns the argmax (<c>max_pool2d(..., return_indices=True)</c>): Int64 flat indices
    /// <c>h·W + w</c> into each unpadded input plane.
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Stride (default: the window size).</param>
    /// <param name="padding">Implicit −∞ padding on each side (default 0).</param>
    /// <param name="dilation">Spacing between window taps (default 1).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <returns>The pooled values and their Int64 indices, both shaped like the output.</returns>
    /// <exception cref="ArgumentException">Wrong rank, or the window does not fit.</exception>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, Pair kernelSize, Pair? stride = null,
        Pair? padding = null, Pair? dilation = null, bool ceilMode = false)
    {
        var (y, idx) = MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, wantIndices: true);
        return (y, idx!);
    }

    private static (Tensor Output, Tensor? Indices) MaxPool2dCore(Tensor input, Pair kernelSize, Pair? stride, Pair? padding,
        Pair? dilation, bool ceilMode, bool wantIndices)
    {
        const string op = "MaxPool2d";
        var (x, unbatched) = ConvOpSupport.Batched(op, input);
        Pair k = kernelSize, s = stride ?? kernelSize, p = padding ?? 0, d = dilation ?? 1;
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var geo = ConvOpSupport.Geometry(op, $"input {input.Shape}", () => new Pool2dGeometry(
            n, c, h, w, k.H, k.W, s.H, s.W, p.H, p.W, d.H, d.W, ceilMode));
        if (x._dev is not null)
        {
            string? option = d.H != 1 || d.W != 1 ? "dilation" : ceilMode ? "ceil mode" : wantIndices ? "returned indices" : null;
            if (option is not null) throw PoolOptionOnDevice(op, option, x.Device);
            return (MaxPool2dOnDevice(x, new(n, c, h, w, k.H, k.W, s.H, s.W, p.H, p.W), unbatched), null);
        }

        var y = Tensor.Empty([n, c, geo.OutH, geo.OutW]);
        // The kernel's argmax is needed by backward and by callers asking for indices.
        var argmax = new int[geo.OutputLength];
        MaxPool2dKernel.Forward(geo, ConvOpSupport.Data(x).ViewSpan(), y.WriteSpan(), argmax);
        y = Tensor.Record(y, "max_pool2d", x, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gx = Tensor.Empty([n, c, h, w]);
            MaxPool2dKernel.Backward(geo, ConvOpSupport.Data(gy).ViewSpan(), argmax, gx.WriteSpan());
            return gx;
        });
        if (unbatched) y = y.Squeeze(0);
        if (!wantIndices) return (y, null);
        var longs = new long[argmax.Length];
        for (int i = 0; i < longs.Length; i++) longs[i] = argmax[i];
        return (y, Tensor.FromArray(longs, y.Shape.ToArray()));
    }

    /// <summary>2-D average pooling, <c>torch.nn.functional.avg_pool2d</c> (padding counts as zeros).</summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Stride (default: the window size).</param>
    /// <param name="padding">Implicit zero padding on each side, at most half the window (default 0).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <param name="countIncludePad">Count padding elements in the divisor (PyTorch default true).</param>
    /// <param name="divisorOverride">If set, the divisor of every window (non-zero).</param>
    /// <returns>The pooled tensor (3-D for unbatched input).</returns>
    /// <exception cref="ArgumentException">Wrong rank, the window does not fit, or the divisor override is 0.</exception>
    public static Tensor AvgPool2d(Tensor input, Pair kernelSize, Pair? stride = null, Pair? padding = null, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        const string op = "AvgPool2d";
        var (x, unbatched) = ConvOpSupport.Batched(op, input);
        if (divisorOverride == 0)
            throw new ArgumentException($"{op}: divisor_override must be non-zero, got 0; pass null to use the window size.");
        Pair k = kernelSize, s = stride ?? kernelSize, p = padding ?? 0;
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        var geo = ConvOpSupport.Geometry(op, $"input {input.Shape}", () => new Pool2dGeometry(
            n, c, h, w, k.H, k.W, s.H, s.W, p.H, p.W, 1, 1, ceilMode));
        if (x._dev is not null)
        {
            string? option = ceilMode ? "ceil mode" : !countIncludePad ? "count_include_pad=False" : divisorOverride is not null ? "a divisor override" : null;
            if (option is not null) throw PoolOptionOnDevice(op, option, x.Device);
            return AvgPool2dOnDevice(x, new(n, c, h, w, k.H, k.W, s.H, s.W, p.H, p.W), unbatched);
        }

        var y = Tensor.Empty([n, c, geo.OutH, geo.OutW]);
        AvgPool2dKernel.Forward(geo, ConvOpSupport.Data(x).ViewSpan(), y.WriteSpan(), countIncludePad, divisorOverride);
        y = Tensor.Record(y, "avg_pool2d", x, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gx = Tensor.Empty([n, c, h, w]);
            AvgPool2dKernel.Backward(geo, ConvOpSupport.Data(gy).ViewSpan(), gx.WriteSpan(), countIncludePad, divisorOverride);
            return gx;
        });
        return unbatched ? y.Squeeze(0) : y;
    }

    /// <summary>
    /// Adaptive 2-D average pooling, <c>torch.nn.functional.adaptive_avg_pool2d</c>: output bin <c>i</c> averages input rows
    /// <c>[floor(i·H/OutH), ceil((i+1)·H/OutH))</c> (same for columns); <c>outputSize: 1</c> is global average pooling.
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="outputSize">Output height and width.</param>
    /// <returns>The pooled tensor <c>(N, C, OutH, OutW)</c> (3-D for unbatched input).</returns>
    /// <exception cref="ArgumentException">Wrong rank or a non-positive output size.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Pair outputSize)
    {
        const string op = "AdaptiveAvgPool2d";
        var (x, unbatched) = ConvOpSupport.Batched(op, input);
        int oh = outputSize.H, ow = outputSize.W;
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{op}: output_size must be positive, got {outputSize.ToTupleString()} for input {input.Shape}.");
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        if (h < 1 || w < 1)
            throw new ArgumentException($"{op}: input height and width must be positive, got {input.Shape}.");
        if (x._dev is not null) return AdaptiveAvgPool2dOnDevice(x, oh, ow, unbatched);

        var y = Tensor.Empty([n, c, oh, ow]);
        AdaptiveAvgPool2dKernel.Forward(n, c, h, w, oh, ow, ConvOpSupport.Data(x).ViewSpan(), y.WriteSpan());
        y = Tensor.Record(y, "adaptive_avg_pool2d", x, gy =>
        {
            ConvOpSupport.NoDoubleBackward(op);
            var gx = Tensor.Empty([n, c, h, w]);
            AdaptiveAvgPool2dKernel.Backward(n, c, h, w, oh, ow, ConvOpSupport.Data(gy).ViewSpan(), gx.WriteSpan());
            return gx;
        });
        return unbatched ? y.Squeeze(0) : y;
    }
}
