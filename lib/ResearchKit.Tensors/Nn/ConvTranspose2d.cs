namespace ResearchKit.Tensors.Nn;

/// <summary>
/// 2-D transposed convolution layer (<c>torch.nn.ConvTranspose2d</c>): weight <c>(in_channels, out_channels/groups, kH, kW)</c>,
/// optional bias <c>(out_channels)</c>. Output size <c>(H−1)·stride − 2·padding + dilation·(k−1) + output_padding + 1</c>.
/// </summary>
/// <remarks>Initialised like PyTorch (<see cref="ConvNdBase.ResetParameters"/>); pass a <see cref="Generator"/> for reproducible models.</remarks>
public class ConvTranspose2d : ConvNdBase
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
        : base(nameof(ConvTranspose2d), inChannels, outChannels, kernelSize, stride, padding, dilation, transposed: true,
            outputPadding, groups, bias, paddingMode, generator)
    {
    }

    /// <summary>Extra output rows/columns at the bottom/right.</summary>
    public Pair OutputPadding => OutputPaddingValue;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.ConvTranspose2d(input, EffectiveWeight(), EffectiveBias(), Stride, Padding, OutputPadding, Groups, Dilation);

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
        return Functional.ConvTranspose2d(input, EffectiveWeight(), EffectiveBias(), Stride, Padding, (outputSize.H - minH, outputSize.W - minW), Groups, Dilation);
    }
}
