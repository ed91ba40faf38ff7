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

    /// <summary>
    /// A residual block's two fused convolutions on <paramref name="input"/>: <c>second(first(input), residual: input)</c>, run
    /// depth-first when they qualify; see <see cref="ForwardBlocks"/>.
    /// </summary>
    /// <param name="first">The block's first convolution (ReLU, no residual).</param>
    /// <param name="second">The block's second convolution (takes the residual).</param>
    /// <param name="input">The block's input, also its residual.</param>
    /// <returns>The block's output.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="first"/> takes a residual, or <paramref name="second"/> does not.</exception>
    public static Tensor ForwardBlock(FusedConv2d first, FusedConv2d second, Tensor input) => ForwardBlocks([(first, second)], input);

    /// <summary>
    /// Consecutive residual blocks with identity shortcuts, each <c>x ← second(first(x), residual: x)</c>. When every
    /// convolution qualifies (stride 1, no dilation or groups, ReLU in both, the same paddings in every block, no forward
    /// hooks) the run goes depth-first through <see cref="Functional.Conv2dBlocksAddRelu"/>, so no intermediate activation
    /// is stored; otherwise it is the forwards, one after the other. Same bits either way.
    /// </summary>
    /// <param name="blocks">Each block's first convolution (ReLU, no residual) and second (takes the residual).</param>
    /// <param name="input">The first block's input.</param>
    /// <returns>The last block's output.</returns>
    /// <exception cref="InvalidOperationException">A first convolution takes a residual, or a second one does not.</exception>
    public static Tensor ForwardBlocks(IReadOnlyList<(FusedConv2d First, FusedConv2d Second)> blocks, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(input);
        if (blocks.Count == 0) throw new ArgumentException("FusedConv2d.ForwardBlocks: no block given.", nameof(blocks));
        bool chain = true;
        foreach (var (first, second) in blocks)
        {
            ArgumentNullException.ThrowIfNull(first, nameof(blocks));
            ArgumentNullException.ThrowIfNull(second, nameof(blocks));
            if (first.TakesResidual || !second.TakesResidual)
                throw new InvalidOperationException("FusedConv2d.ForwardBlocks: a block's first convolution must take no residual and its second one the block's input as its residual.");
            chain &= first.Relu && second.Relu && !first.HasForwardHooks && !second.HasForwardHooks && Plain(first) && Plain(second)
                     && first.Padding == blocks[0].First.Padding && second.Padding == blocks[0].Second.Padding;
        }
        if (chain)
        {
            var weights = new List<(Tensor, Tensor?, Tensor, Tensor?)>(blocks.Count);
            foreach (var (first, second) in blocks)
                weights.Add((first.EffectiveWeight(), first.EffectiveBias(), second.EffectiveWeight(), second.EffectiveBias()));
            return Functional.Conv2dBlocksAddRelu(input, weights, blocks[0].First.Padding, blocks[0].Second.Padding);
        }
        var x = input;
        foreach (var (first, second) in blocks) x = second.Forward(first.Forward(x), x);
        return x;

        static bool Plain(FusedConv2d c) => c.Stride == new Pair(1, 1) && c.Dilation == new Pair(1, 1) && c.Groups == 1;
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
