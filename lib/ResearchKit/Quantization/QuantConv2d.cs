using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// A <see cref="Conv2d"/> with fake-quantized weights and optionally fake-quantized input (§2.5.3, Fig. 2.17):
/// conv(q_in(x), q_w(W)) + b. The full-precision <c>weight</c> is trained and saved; the bias stays in float.
/// </summary>
/// <remarks>
/// Keeps <c>weight</c>/<c>bias</c>, so it can replace a <see cref="Conv2d"/> without changing those state-dict keys;
/// learned quantizer tensors are added as <c>weight_quant_step</c>, <c>input_quant_alpha</c>, …
/// The thesis keeps the first convolution at 8 bits (§5.4.1); which quantizer to give it is the caller's choice.
/// </remarks>
public class QuantConv2d : Conv2d
{
    /// <summary>Creates the layer with PyTorch's initialization.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels produced by the convolution.</param>
    /// <param name="kernelSize">Kernel size.</param>
    /// <param name="weightQuant">Quantizer of the weight.</param>
    /// <param name="inputQuant">Quantizer of the input activation, or null (default) to leave it in float.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Zero padding (default 0).</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="generator">Random source for the initialization.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weightQuant"/> is null.</exception>
    /// <exception cref="ArgumentException">A size is out of range (see <see cref="Conv2d"/>).</exception>
    public QuantConv2d(int inChannels, int outChannels, Pair kernelSize, IQuantizer weightQuant, IQuantizer? inputQuant = null,
        Pair? stride = null, Pair? padding = null, bool bias = true, Generator? generator = null)
        : base(inChannels, outChannels, kernelSize, stride, padding, bias: bias, generator: generator)
    {
        WeightQuant = weightQuant ?? throw new ArgumentNullException(nameof(weightQuant));
        InputQuant = inputQuant;
        QuantLayers.Register(WeightQuant, "weight", (n, p) => RegisterParameter(n, p));
        QuantLayers.Register(InputQuant, "input", (n, p) => RegisterParameter(n, p));
    }

    /// <summary>The weight quantizer.</summary>
    public IQuantizer WeightQuant { get; }

    /// <summary>The input quantizer, or null.</summary>
    public IQuantizer? InputQuant { get; }

    /// <summary>q_w(<see cref="ConvNdBase.Weight"/>).</summary>
    protected override Tensor EffectiveWeight() => WeightQuant.Quantize(Weight);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => base.ForwardCore(InputQuant?.Quantize(input) ?? input);

    /// <inheritdoc/>
    public override string ExtraRepr() => base.ExtraRepr() + QuantLayers.Repr(WeightQuant, InputQuant);
}
