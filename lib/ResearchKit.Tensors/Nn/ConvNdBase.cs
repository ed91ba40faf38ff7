namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Shared state of <see cref="Conv2d"/> and <see cref="ConvTranspose2d"/> (PyTorch's <c>_ConvNd</c>): argument checks,
/// the <c>weight</c> and optional <c>bias</c> parameters (registered in that order), their initialisation and the repr.
/// </summary>
/// <remarks>
/// The weight is <c>(out_channels, in_channels/groups, kH, kW)</c> for a convolution and
/// <c>(in_channels, out_channels/groups, kH, kW)</c> for a transposed one, as in PyTorch.
/// </remarks>
public abstract class ConvNdBase : Module<Tensor, Tensor>
{
    private protected ConvNdBase(string op, int inChannels, int outChannels, Pair kernelSize, Pair? stride, Pair? padding,
        Pair? dilation, bool transposed, Pair? outputPadding, int groups, bool bias, string paddingMode, Generator? generator)
    {
        // PyTorch stores every size as a tuple (_pair), so the repr prints tuples.
        KernelSize = new Pair(kernelSize.H, kernelSize.W);
        Pair s = stride ?? 1, p = padding ?? 0, o = outputPadding ?? 0, d = dilation ?? 1;
        Stride = new Pair(s.H, s.W);
        Padding = new Pair(p.H, p.W);
        OutputPaddingValue = new Pair(o.H, o.W);
        Dilation = new Pair(d.H, d.W);
        ConvOpSupport.ConvModuleArgs(op, inChannels, outChannels, KernelSize, Stride, Padding, Dilation, groups, paddingMode);
        if (transposed)
        {
            ConvOpSupport.NonNegative(op, "output_padding", OutputPaddingValue);
            if (!(o.H < s.H || o.H < d.H) || !(o.W < s.W || o.W < d.W))
                throw new ArgumentException(
                    $"{op}: output_padding {OutputPaddingValue.ToTupleString()} must be smaller than either stride {Stride.ToTupleString()} or dilation {Dilation.ToTupleString()}; reduce output_padding.");
        }
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        PaddingMode = paddingMode;

        Weight = RegisterParameter("weight", transposed
            ? Tensor.Empty([inChannels, outChannels / groups, KernelSize.H, KernelSize.W])
            : Tensor.Empty([outChannels, inChannels / groups, KernelSize.H, KernelSize.W]));
        if (bias) Bias = RegisterParameter("bias", Tensor.Empty([outChannels]));
        else RegisterParameter("bias");
        ResetParameters(generator);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel size <c>(kH, kW)</c>.</summary>
    public Pair KernelSize { get; }
    /// <summary>Stride.</summary>
    public Pair Stride { get; }
    /// <summary>Zero padding on each side of the input; for a transposed convolution, what is trimmed from each side of the output.</summary>
    public Pair Padding { get; }
    /// <summary>Dilation.</summary>
    public Pair Dilation { get; }
    /// <summary>Number of groups.</summary>
    public int Groups { get; }
    /// <summary>Padding mode (always <c>"zeros"</c>).</summary>
    public string PaddingMode { get; }
    /// <summary>
    /// Weight <c>(out_channels, in_channels/groups, kH, kW)</c>, or <c>(in_channels, out_channels/groups, kH, kW)</c> for
    /// <see cref="ConvTranspose2d"/>.
    /// </summary>
    public Tensor Weight { get; }
    /// <summary>Bias <c>(out_channels)</c>, or null when created with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// The weight the forward pass uses: <see cref="Weight"/> here; override to transform it (fake quantization, weight
    /// normalization) while the parameter stays the one that is trained and saved.
    /// </summary>
    protected virtual Tensor EffectiveWeight() => Weight;

    /// <summary>The bias the forward pass uses (<see cref="Bias"/> here); override like <see cref="EffectiveWeight"/>.</summary>
    protected virtual Tensor? EffectiveBias() => Bias;

    /// <summary>Output padding; always (0, 0) for a non-transposed convolution (only printed when not zero).</summary>
    private protected Pair OutputPaddingValue { get; }

    /// <summary>
    /// Re-initialises like PyTorch's <c>_ConvNd.reset_parameters</c>: weight and bias ~ U(−1/√fan_in, 1/√fan_in) with
    /// fan_in = <c>weight.size(1)·kH·kW</c>, i.e. in_channels/groups·kH·kW for <see cref="Conv2d"/> and
    /// out_channels/groups·kH·kW for <see cref="ConvTranspose2d"/> (what <c>kaiming_uniform_(a=√5)</c> gives). Values are
    /// written in place, so optimizer references stay valid.
    /// </summary>
    /// <param name="generator">Random source (default <see cref="Generator.Default"/>).</param>
    public void ResetParameters(Generator? generator = null) => ConvOpSupport.ResetConv(Weight, Bias, generator);

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        ConvOpSupport.ConvRepr(InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, OutputPaddingValue, Groups, Bias is not null);
}
