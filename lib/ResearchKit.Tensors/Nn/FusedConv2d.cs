namespace ResearchKit.Tensors.Nn;

/// <summary>
/// A convolution that applies its ReLU, after an optional residual add, in its own epilogue: <c>relu?(conv(x) + residual)</c>,
/// PyTorch's fused <c>ConvReLU2d</c> / <c>ConvAddReLU2d</c>. Built by <see cref="Fusion.FuseConvBnRelu"/> for inference (its
/// batch norm already folded into the weight and bias); keeps <see cref="Conv2d"/>'s <c>weight</c>/<c>bias</c> names.
/// </summary>
/// <remarks>
/// It computes what the unfused modules did, in the same float operations (<see cref="Functional.Conv2dAddRelu"/>). When a
/// gradient is needed (an attack through the model, say) it runs the separate ops, so autograd is theirs. A residual
/// convolution is called with its residual, <see cref="Forward(Tensor, Tensor)"/>, by a model that knows it (e.g.
/// <c>ResNetCifar</c>'s blocks).
/// </remarks>
public sealed class FusedConv2d : Conv2d
{
    /// <summary>A copy of <paramref name="source"/>'s configuration and parameters, with the epilogue given.</summary>
    /// <param name="source">The convolution (a batch norm after it already folded in).</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <param name="takesResidual">Forward takes a residual added before the ReLU.</param>
    /// <exception cref="NotSupportedException"><paramref name="source"/> transforms its weight in forward (a subclass).</exception>
    public FusedConv2d(Conv2d source, bool relu, bool takesResidual)
        : base(Checked(source).InChannels, source.OutChannels, source.KernelSize, source.Stride, source.Padding, source.Dilation,
            source.Groups, bias: source.Bias is not null, source.PaddingMode)
    {
        Relu = relu;
        TakesResidual = takesResidual;
        using (Torch.NoGrad())
        {
            Weight.CopyFrom(source.Weight);
            Bias?.CopyFrom(source.Bias!);
        }
        Weight.RequiresGrad = source.Weight.RequiresGrad;
        if (Bias is not null) Bias.RequiresGrad = source.Bias!.RequiresGrad;
        Train(source.Training);
    }

    /// <summary>Whether ReLU is applied last.</summary>
    public bool Relu { get; }

    /// <summary>Whether forward takes a residual (<see cref="Forward(Tensor, Tensor)"/>) added before the ReLU.</summary>
    public bool TakesResidual { get; }

    /// <summary><c>relu?(conv(input) + residual)</c>.</summary>
    /// <exception cref="InvalidOperationException">This convolution takes no residual.</exception>
    public Tensor Forward(Tensor input, Tensor residual)
    {
        if (!TakesResidual)
            throw new InvalidOperationException("FusedConv2d.Forward: this convolution was fused without a residual add; call Forward(input).");
        return Functional.Conv2dAddRelu(input, EffectiveWeight(), EffectiveBias(), residual, Relu, Stride, Padding, Dilation, Groups);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">This convolution takes a residual: call <see cref="Forward(Tensor, Tensor)"/>.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (TakesResidual)
            throw new InvalidOperationException("FusedConv2d.Forward: this convolution was fused with a residual add; call Forward(input, residual).");
        return Functional.Conv2dAddRelu(input, EffectiveWeight(), EffectiveBias(), null, Relu, Stride, Padding, Dilation, Groups);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => base.ExtraRepr() + (TakesResidual ? ", add=residual" : "") + (Relu ? ", relu=True" : "");

    private static Conv2d Checked(Conv2d source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.GetType() != typeof(Conv2d))
            throw new NotSupportedException($"FusedConv2d: the convolution is a {source.GetType().Name}, which transforms its weight in forward (fake quantization, say); fuse only plain Conv2d layers.");
        return source;
    }
}
