namespace ResearchKit.Tensors.Nn;

/// <summary>
/// 2-D convolution layer (<c>torch.nn.Conv2d</c>): weight <c>(out_channels, in_channels/groups, kH, kW)</c>, optional
/// bias <c>(out_channels)</c>, zero padding. Input <c>(N, C, H, W)</c> or unbatched <c>(C, H, W)</c>.
/// </summary>
/// <remarks>
/// Initialised like PyTorch (<see cref="ConvNdBase.ResetParameters"/>); pass a <see cref="Generator"/> for reproducible models.
/// Not sealed, so variants can change the computation: override <see cref="ConvNdBase.EffectiveWeight"/> (e.g. fake-quantize
/// the weight for quantization-aware training) or <see cref="ForwardCore"/>. Such a subclass keeps the <c>weight</c>/<c>bias</c>
/// names, so it can replace a <see cref="Conv2d"/> in a model (<see cref="Module.Replace{T}"/>) without changing the state dict.
/// </remarks>
public class Conv2d : ConvNdBase
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
        : base(nameof(Conv2d), inChannels, outChannels, kernelSize, stride, padding, dilation, transposed: false,
            outputPadding: null, groups, bias, paddingMode, generator)
    {
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.Conv2d(input, EffectiveWeight(), EffectiveBias(), Stride, Padding, Dilation, Groups);
}
