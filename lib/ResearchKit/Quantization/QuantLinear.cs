using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// A <see cref="Linear"/> with fake-quantized weights and optionally fake-quantized input (§2.5.3 "fake quantization",
/// Fig. 2.17): y = q_in(x)·q_w(W)ᵀ + b. The full-precision <c>weight</c> is the trained and saved parameter; the bias is
/// not quantized (§2.7: "the bias of the linear layer" stays FP32).
/// </summary>
/// <remarks>
/// Keeps PyTorch's <c>weight</c>/<c>bias</c> names, so it can replace a <see cref="Linear"/> without changing those
/// state-dict keys; learned quantizer tensors are added as <c>weight_quant_step</c>, <c>input_quant_alpha</c>, …
/// (Brevitas' QuantLinear is the model: the float layer plus weight and input quantizers).
/// </remarks>
public class QuantLinear : Linear
{
    /// <summary>Creates the layer with PyTorch's initialization.</summary>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="weightQuant">Quantizer of the weight (e.g. <see cref="DoReFaWeightQuantizer"/> with Scaled-Adjust for the last layer).</param>
    /// <param name="inputQuant">Quantizer of the input activation, or null (default) to leave it in float.</param>
    /// <param name="bias">Whether to learn an additive bias (AMS runs use none, §5.4.1).</param>
    /// <param name="generator">Random source for the initialization.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weightQuant"/> is null.</exception>
    public QuantLinear(int inFeatures, int outFeatures, IQuantizer weightQuant, IQuantizer? inputQuant = null, bool bias = true, Generator? generator = null)
        : base(inFeatures, outFeatures, bias, generator)
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

    /// <summary>q_w(<see cref="Linear.Weight"/>).</summary>
    protected override Tensor EffectiveWeight() => WeightQuant.Quantize(Weight);

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => base.ForwardCore(InputQuant?.Quantize(input) ?? input);

    /// <inheritdoc/>
    public override string ExtraRepr() => base.ExtraRepr() + QuantLayers.Repr(WeightQuant, InputQuant);
}
