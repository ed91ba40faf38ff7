using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// A fake-quantized layer over the <em>same tensor instances</em> as an existing float layer (§2.5.3, Fig. 2.17): a model
/// trained in float converts for quantization-aware training without copying (Training I → II, §5.4.1 Alg. 5), and an
/// optimizer built on the float model keeps updating them.
/// </summary>
/// <remarks>
/// Why not <see cref="QuantConv2d"/>/<see cref="QuantLinear"/>: they derive from <see cref="Conv2d"/>/<see cref="Linear"/>,
/// whose constructors create a fresh <c>weight</c> that cannot be rebound without changing the engine. These layers
/// register the float layer's tensors under the same names (<c>weight</c>, <c>bias</c>), so state-dict keys are
/// unchanged; learned quantizer tensors are added as <c>weight_quant_step</c>, <c>input_quant_alpha</c>, … A null weight
/// quantizer keeps the weight in float (32 bits); the bias always stays in float (§5.4.1, protocols §2.7).
/// </remarks>
/// <typeparam name="TSource">The float layer type.</typeparam>
public abstract class SharedQuantLayer<TSource> : Module<Tensor, Tensor> where TSource : Module
{
    private protected SharedQuantLayer(TSource source, Tensor weight, Tensor? bias, IQuantizer? weightQuant, IQuantizer? inputQuant)
    {
        Source = source; Weight = weight; Bias = bias; WeightQuant = weightQuant; InputQuant = inputQuant;
        RegisterParameter("weight", weight);
        if (bias is null) RegisterParameter("bias"); else RegisterParameter("bias", bias);
        QuantLayers.Register(WeightQuant, "weight", (n, p) => RegisterParameter(n, p));
        QuantLayers.Register(InputQuant, "input", (n, p) => RegisterParameter(n, p));
    }

    /// <summary>The float layer this one was made from (its tensors are this layer's <c>weight</c> and <c>bias</c>).</summary>
    public TSource Source { get; }
    /// <summary>The full-precision weight (the instance of <see cref="Source"/>).</summary>
    public Tensor Weight { get; }
    /// <summary>The float bias (§2.7: biases stay in float), or null.</summary>
    public Tensor? Bias { get; }
    /// <summary>The weight quantizer, or null for a float weight.</summary>
    public IQuantizer? WeightQuant { get; }
    /// <summary>The input quantizer, or null.</summary>
    public IQuantizer? InputQuant { get; }

    /// <summary>q_in(x): the input as the layer's op sees it.</summary>
    protected Tensor QuantizedInput(Tensor input) => InputQuant?.Quantize(input) ?? input;

    /// <summary>q_w(W): the weight as the layer's op sees it.</summary>
    protected Tensor QuantizedWeight() => WeightQuant?.Quantize(Weight) ?? Weight;

    /// <inheritdoc/>
    public override string ExtraRepr() => Source.ExtraRepr() + QuantLayers.Repr(WeightQuant, InputQuant);
}

/// <summary>The fake-quantized form of an existing <see cref="Conv2d"/>: conv(q_in(x), q_w(W)) + b over its tensors (see <see cref="SharedQuantLayer{TSource}"/>).</summary>
public sealed class SharedQuantConv2d : SharedQuantLayer<Conv2d>
{
    /// <summary>Wraps <paramref name="source"/>'s tensors (§2.5.3).</summary>
    /// <param name="source">The float convolution whose weight and bias are shared.</param>
    /// <param name="weightQuant">Weight quantizer, or null to keep the weight in float.</param>
    /// <param name="inputQuant">Input quantizer, or null to leave the input as it comes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public SharedQuantConv2d(Conv2d source, IQuantizer? weightQuant, IQuantizer? inputQuant = null)
        : base(source ?? throw new ArgumentNullException(nameof(source)), source.Weight, source.Bias, weightQuant, inputQuant) { }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.Conv2d(QuantizedInput(input), QuantizedWeight(), Bias, Source.Stride, Source.Padding, Source.Dilation, Source.Groups);
}

/// <summary>The fake-quantized form of an existing <see cref="Linear"/>: q_in(x)·q_w(W)ᵀ + b over its tensors (see <see cref="SharedQuantLayer{TSource}"/>).</summary>
public sealed class SharedQuantLinear : SharedQuantLayer<Linear>
{
    /// <summary>Wraps <paramref name="source"/>'s tensors (§2.5.3).</summary>
    /// <param name="source">The float linear layer whose weight and bias are shared.</param>
    /// <param name="weightQuant">Weight quantizer, or null to keep the weight in float.</param>
    /// <param name="inputQuant">Input quantizer, or null to leave the input as it comes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public SharedQuantLinear(Linear source, IQuantizer? weightQuant, IQuantizer? inputQuant = null)
        : base(source ?? throw new ArgumentNullException(nameof(source)), source.Weight, source.Bias, weightQuant, inputQuant) { }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Linear(QuantizedInput(input), QuantizedWeight(), Bias);
}
