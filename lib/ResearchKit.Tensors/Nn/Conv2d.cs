namespace ResearchKit.Tensors.Nn;

/// <summary>
/// 2-D convolution layer (<c>torch.nn.Conv2d</c>): weight <c>(out_channels, in_channels/groups, kH, kW)</c>, optional
/// bias <c>(out_channels)</c>, zero padding. Input <c>(N, C, H, W)</c> or unbatched <c>(C, H, W)</c>.
/// </summary>
/// <remarks>
/// Initialised like PyTorch (<see cref="ResetParameters"/>); pass a <see cref="Generator"/> for reproducible models.
/// Not sealed, so variants (e.g. a quantized convolution) can override <see cref="Forward"/>.
/// </remarks>
public class Conv2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer and initialises its parameters.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels produced by the convolution.</param>
    /// <param name="kernelSize">Kernel size, an int or <c>(kH, kW)</c>.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Zero padding on each side (default 0).</param>
    /// <param name="dilation">Spacing between kernel taps (default 1).</param>
    /// <param name="groups">Blocked connections from input to output channels; must divide both channel counts.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="paddingMode">Only <c>"zeros"</c> is supported.</param>
    /// <param name="generator">Random source for the initial weights (default <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentException">A size is out of range or groups does not divide the channel counts.</exception>
    /// <exception cref="NotSupportedException"><paramref name="paddingMode"/> is reflect, replicate or circular.</exception>
    public Conv2d(int inChannels, int outChannels, Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? dilation = null,
        int groups = 1, bool bias = true, string paddingMode = "zeros", Generator? generator = null)
    {
        // PyTorch stores every size as a tuple (_pair), so the repr prints tuples.
        KernelSize = new Pair(kernelSize.H, kernelSize.W);
        Pair s = stride ?? 1, p = padding ?? 0, d = dilation ?? 1;
        Stride = new Pair(s.H, s.W);
        Padding = new Pair(p.H, p.W);
        Dilation = new Pair(d.H, d.W);
        ConvOpSupport.ConvModuleArgs(nameof(Conv2d), inChannels, outChannels, KernelSize, Stride, Padding, Dilation, groups, paddingMode);
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        PaddingMode = paddingMode;

        Weight = RegisterParameter("weight", Tensor.Empty([outChannels, inChannels / groups, KernelSize.H, KernelSize.W]));
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
    /// <summary>Zero padding on each side.</summary>
    public Pair Padding { get; }
    /// <summary>Dilation.</summary>
    public Pair Dilation { get; }
    /// <summary>Number of groups.</summary>
    public int Groups { get; }
    /// <summary>Padding mode (always <c>"zeros"</c>).</summary>
    public string PaddingMode { get; }
    /// <summary>Weight <c>(out_channels, in_channels/groups, kH, kW)</c>.</summary>
    public Tensor Weight { get; }
    /// <summary>Bias <c>(out_channels)</c>, or null when created with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// Re-initialises like PyTorch: weight and bias ~ U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels/groups·kH·kW
    /// (what <c>kaiming_uniform_(a=√5)</c> gives). Values are written in place, so optimizer references stay valid.
    /// </summary>
    /// <param name="generator">Random source (default <see cref="Generator.Default"/>).</param>
    public void ResetParameters(Generator? generator = null) => ConvOpSupport.ResetConv(Weight, Bias, generator);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        ConvOpSupport.ConvRepr(InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, 0, Groups, Bias is not null);
}
