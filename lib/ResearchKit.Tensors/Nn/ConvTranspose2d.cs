namespace ResearchKit.Tensors.Nn;

/// <summary>
/// 2-D transposed convolution layer (<c>torch.nn.ConvTranspose2d</c>): weight <c>(in_channels, out_channels/groups, kH, kW)</c>,
/// optional bias <c>(out_channels)</c>. Output size <c>(H−1)·stride − 2·padding + dilation·(k−1) + output_padding + 1</c>.
/// </summary>
/// <remarks>Initialised like PyTorch (<see cref="ResetParameters"/>); pass a <see cref="Generator"/> for reproducible models.</remarks>
public class ConvTranspose2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer and initialises its parameters (PyTorch's argument order).</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">Kernel size, an int or <c>(kH, kW)</c>.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding"><c>dilation·(k−1) − padding</c> zeros are added to the input; trims the output (default 0).</param>
    /// <param name="outputPadding">Extra rows/columns at the bottom/right of the output; smaller than stride or dilation (default 0).</param>
    /// <param name="groups">Blocked connections; must divide both channel counts.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="dilation">Spacing between kernel taps (default 1).</param>
    /// <param name="paddingMode">Only <c>"zeros"</c> is supported (as in PyTorch).</param>
    /// <param name="generator">Random source for the initial weights (default <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentException">A size is out of range, groups does not divide the channel counts, or output_padding is too large.</exception>
    /// <exception cref="NotSupportedException"><paramref name="paddingMode"/> is not "zeros".</exception>
    public ConvTranspose2d(int inChannels, int outChannels, Pair kernelSize, Pair? stride = null, Pair? padding = null,
        Pair? outputPadding = null, int groups = 1, bool bias = true, Pair? dilation = null, string paddingMode = "zeros",
        Generator? generator = null)
    {
        const string op = nameof(ConvTranspose2d);
        KernelSize = new Pair(kernelSize.H, kernelSize.W);
        Pair s = stride ?? 1, p = padding ?? 0, o = outputPadding ?? 0, d = dilation ?? 1;
        Stride = new Pair(s.H, s.W);
        Padding = new Pair(p.H, p.W);
        OutputPadding = new Pair(o.H, o.W);
        Dilation = new Pair(d.H, d.W);
        ConvOpSupport.ConvModuleArgs(op, inChannels, outChannels, KernelSize, Stride, Padding, Dilation, groups, paddingMode);
        ConvOpSupport.NonNegative(op, "output_padding", OutputPadding);
        if (!(o.H < s.H || o.H < d.H) || !(o.W < s.W || o.W < d.W))
            throw new ArgumentException(
                $"{op}: output_padding {OutputPadding.ToTupleString()} must be smaller than either stride {Stride.ToTupleString()} or dilation {Dilation.ToTupleString()}; reduce output_padding.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        PaddingMode = paddingMode;

        Weight = RegisterParameter("weight", Tensor.Empty([inChannels, outChannels / groups, KernelSize.H, KernelSize.W]));
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
    /// <summary>Padding trimmed from each side of the output.</summary>
    public Pair Padding { get; }
    /// <summary>Extra output rows/columns at the bottom/right.</summary>
    public Pair OutputPadding { get; }
    /// <summary>Dilation.</summary>
    public Pair Dilation { get; }
    /// <summary>Number of groups.</summary>
    public int Groups { get; }
    /// <summary>Padding mode (always <c>"zeros"</c>).</summary>
    public string PaddingMode { get; }
    /// <summary>Weight <c>(in_channels, out_channels/groups, kH, kW)</c>.</summary>
    public Tensor Weight { get; }
    /// <summary>Bias <c>(out_channels)</c>, or null when created with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// Re-initialises like PyTorch's <c>_ConvNd.reset_parameters</c>: weight and bias ~ U(−1/√fan_in, 1/√fan_in) where, for
    /// the transposed layout, fan_in = <c>weight.size(1)·kH·kW</c> = out_channels/groups·kH·kW. Written in place.
    /// </summary>
    /// <param name="generator">Random source (default <see cref="Generator.Default"/>).</param>
    public void ResetParameters(Generator? generator = null) => ConvOpSupport.ResetConv(Weight, Bias, generator);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <summary>
    /// Forward with a requested output size (PyTorch's <c>forward(input, output_size)</c>): picks the output padding, which
    /// resolves the size ambiguity of strided transposed convolutions (e.g. to mirror a strided <see cref="Conv2d"/>).
    /// </summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    /// <param name="outputSize">Requested output height and width.</param>
    /// <exception cref="ArgumentException">The size is outside the reachable range <c>[min, min + stride − 1]</c>.</exception>
    public Tensor Forward(Tensor input, Pair outputSize)
    {
        if (input.Dim is not (3 or 4)) return Forward(input); // reports the rank error
        int h = input.Size(-2), w = input.Size(-1);
        int minH = (h - 1) * Stride.H - 2 * Padding.H + Dilation.H * (KernelSize.H - 1) + 1;
        int minW = (w - 1) * Stride.W - 2 * Padding.W + Dilation.W * (KernelSize.W - 1) + 1;
        int maxH = minH + Stride.H - 1, maxW = minW + Stride.W - 1;
        if (outputSize.H < minH || outputSize.H > maxH || outputSize.W < minW || outputSize.W > maxW)
            throw new ArgumentException(
                $"{nameof(ConvTranspose2d)}: requested an output size of {outputSize.ToTupleString()}, but valid sizes range from " +
                $"({minH}, {minW}) to ({maxH}, {maxW}) for an input of size ({h}, {w}); choose a size in that range.");
        return Functional.ConvTranspose2d(input, Weight, Bias, Stride, Padding, (outputSize.H - minH, outputSize.W - minW), Groups, Dilation);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        ConvOpSupport.ConvRepr(InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, OutputPadding, Groups, Bias is not null);
}
