namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Argument checks and data access shared by the convolution and pooling functions in <c>Functional.Conv.cs</c>
/// (kept out of the <see cref="Functional"/> partial class so other partial files cannot collide with these names).
/// </summary>
internal static class ConvOpSupport
{
    /// <summary>
    /// Checks that <paramref name="input"/> is a Float32 <c>(N, C, H, W)</c> or unbatched <c>(C, H, W)</c> tensor and
    /// returns its 4-D form (a recorded view for 3-D input) and whether it was unbatched.
    /// </summary>
    public static (Tensor X, bool Unbatched) Batched(string op, Tensor input)
    {
        ThrowHelper.RequireFloat(op, input);
        if (input.Dim == 4) return (input, false);
        if (input.Dim == 3) return (input.Unsqueeze(0), true);
        throw new ArgumentException(
            $"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {input.Shape}; " +
            "reshape flat images with x.Reshape(n, c, h, w), or add a channel dimension with x.Unsqueeze(-3) for single-channel images.");
    }

    /// <summary>Checks a convolution weight (Float32, 4-D).</summary>
    public static void Weight(string op, Tensor weight, string layout)
    {
        ThrowHelper.RequireFloat(op, weight);
        if (weight.Dim != 4)
            throw new ArgumentException($"{op}: expected a 4-D weight {layout}, got shape {weight.Shape}.");
    }

    /// <summary>Checks an optional bias (Float32, 1-D with <paramref name="outC"/> elements).</summary>
    public static void Bias(string op, Tensor? bias, int outC, Tensor weight)
    {
        if (bias is null) return;
        ThrowHelper.RequireFloat(op, bias);
        if (bias.Dim != 1 || bias.Size(0) != outC)
            throw new ArgumentException($"{op}: expected a bias of shape ({outC}) for {outC} output channels (weight {weight.Shape}), got {bias.Shape}.");
    }

    /// <summary>
    /// Builds a kernel geometry, rewriting its validation message to start with <paramref name="op"/> and to name the
    /// tensor shapes involved.
    /// </summary>
    public static T Geometry<T>(string op, string shapes, Func<T> make)
    {
        try
        {
            return make();
        }
        catch (ArgumentException e)
        {
            string msg = e.Message;
            int colon = msg.IndexOf(": ", StringComparison.Ordinal);
            if (colon >= 0) msg = msg[(colon + 2)..];
            throw new ArgumentException($"{op}: {msg} ({shapes})", e);
        }
    }

    /// <summary>
    /// <paramref name="t"/> or a contiguous copy of it, read with <c>ViewSpan()</c>. Backward rules keep this tensor,
    /// never a span or array of it, so a copy's storage stays theirs (see <see cref="CachingAllocator"/>).
    /// </summary>
    public static Tensor Data(Tensor t) => Functional.Dense(t);

    /// <summary>
    /// Backward rules here run span kernels, so their results are not differentiable again: refuse a recorded
    /// backward (<c>createGraph: true</c>) instead of silently returning gradients without a graph.
    /// </summary>
    public static void NoDoubleBackward(string op)
    {
        if (GradMode.IsEnabled)
            throw new NotSupportedException(
                $"{op}: backward with createGraph: true (double backward) is not supported through {op}, whose gradient is " +
                "computed by span kernels; call Backward/Autograd.Grad with createGraph: false.");
    }

    /// <summary>A positive pair (kernel size, stride, dilation).</summary>
    public static void Positive(string op, string name, Pair p)
    {
        if (p.H < 1 || p.W < 1)
            throw new ArgumentException($"{op}: {name} must be positive, got {p.ToTupleString()}.");
    }

    /// <summary>A non-negative pair (padding).</summary>
    public static void NonNegative(string op, string name, Pair p)
    {
        if (p.H < 0 || p.W < 0)
            throw new ArgumentException($"{op}: {name} must be non-negative, got {p.ToTupleString()}.");
    }

    /// <summary>Validates the constructor arguments shared by <see cref="Nn.Conv2d"/> and <see cref="Nn.ConvTranspose2d"/>.</summary>
    public static void ConvModuleArgs(string op, int inChannels, int outChannels, Pair kernelSize, Pair stride, Pair padding,
        Pair dilation, int groups, string paddingMode)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentException($"{op}: in_channels and out_channels must be positive, got in_channels={inChannels}, out_channels={outChannels}.");
        if (groups < 1)
            throw new ArgumentException($"{op}: groups must be positive, got {groups}.");
        if (inChannels % groups != 0)
            throw new ArgumentException($"{op}: in_channels ({inChannels}) must be divisible by groups ({groups}); choose groups dividing both {inChannels} and {outChannels}.");
        if (outChannels % groups != 0)
            throw new ArgumentException($"{op}: out_channels ({outChannels}) must be divisible by groups ({groups}); choose groups dividing both {inChannels} and {outChannels}.");
        Positive(op, "kernel_size", kernelSize);
        Positive(op, "stride", stride);
        NonNegative(op, "padding", padding);
        Positive(op, "dilation", dilation);
        switch (paddingMode)
        {
            case "zeros":
                break;
            case "reflect" or "replicate" or "circular":
                throw new NotSupportedException(
                    $"{op}: padding_mode '{paddingMode}' is not supported yet, only 'zeros'; pad the input yourself with that mode and use padding: 0.");
            default:
                throw new ArgumentException($"{op}: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got '{paddingMode}'.");
        }
    }

    /// <summary>
    /// PyTorch's <c>_ConvNd.extra_repr</c>: channels, kernel size and stride always; padding, dilation, output padding,
    /// groups and <c>bias=False</c> only when not the default.
    /// </summary>
    public static string ConvRepr(int inChannels, int outChannels, Pair kernelSize, Pair stride, Pair padding, Pair dilation,
        Pair outputPadding, int groups, bool bias)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"{inChannels}, {outChannels}, kernel_size={kernelSize.ToTupleString()}, stride={stride.ToTupleString()}");
        if (padding != 0) sb.Append(", padding=").Append(padding.ToTupleString());
        if (dilation != 1) sb.Append(", dilation=").Append(dilation.ToTupleString());
        if (outputPadding != 0) sb.Append(", output_padding=").Append(outputPadding.ToTupleString());
        if (groups != 1) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $", groups={groups}");
        if (!bias) sb.Append(", bias=False");
        return sb.ToString();
    }

    /// <summary>
    /// PyTorch's <c>_ConvNd.reset_parameters</c>: <c>kaiming_uniform_(weight, a=√5)</c>, which is U(−1/√fan_in, 1/√fan_in),
    /// then the bias from the same distribution; fan_in = <c>weight.size(1)·kH·kW</c>. Values are drawn weight first.
    /// </summary>
    public static void ResetConv(Tensor weight, Tensor? bias, Generator? generator)
    {
        int fanIn = weight.Size(1) * weight.Size(2) * weight.Size(3);
        // kaiming_uniform_ with a=√5: gain = √(2/(1+5)), bound = √3·gain/√fan_in = 1/√fan_in.
        float bound = fanIn > 0 ? (float)(1.0 / Math.Sqrt(fanIn)) : 0f;
        using (Torch.NoGrad())
        {
            weight.CopyFrom(Tensor.Uniform(weight.Shape.ToArray(), -bound, bound, generator));
            bias?.CopyFrom(Tensor.Uniform(bias.Shape.ToArray(), -bound, bound, generator));
        }
    }
}
