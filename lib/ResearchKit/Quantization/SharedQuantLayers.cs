using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// The fake-quantized form of an existing <see cref="Conv2d"/> (§2.5.3, Fig. 2.17): conv(q_in(x), q_w(W)) + b, where W and b
/// are the <em>same tensor instances</em> as the float layer's, so a model trained in float converts for quantization-aware
/// training without copying (Training I → II, §5.4.1 Alg. 5) and an optimizer built on the float model keeps updating them.
/// </summary>
/// <remarks>
/// Why not <see cref="QuantConv2d"/>: that class is a <see cref="Conv2d"/>, whose constructor creates a fresh
/// <c>weight</c> that cannot be rebound without changing the engine. This module registers the float layer's tensors under
/// the same names (<c>weight</c>, <c>bias</c>), so state-dict keys are unchanged; learned quantizer tensors are added as
/// <c>weight_quant_step</c>, <c>input_quant_alpha</c>, … A null weight quantizer keeps the weight in float (32 bits).
/// </remarks>
public sealed class SharedQuantConv2d : Module<Tensor, Tensor>
{
    private readonly Pair _stride, _padding, _dilation;
    private readonly int _groups;

    /// <summary>Wraps <paramref name="source"/>'s tensors (§2.5.3).</summary>
    /// <param name="source">The float convolution whose weight and bias are shared.</param>
    /// <param name="weightQuant">Weight quantizer, or null to keep the weight in float.</param>
    /// <param name="inputQuant">Input quantizer, or null to leave the input as it comes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public SharedQuantConv2d(Conv2d source, IQuantizer? weightQuant, IQuantizer? inputQuant = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source; WeightQuant = weightQuant; InputQuant = inputQuant;
        _stride = source.Stride; _padding = source.Padding; _dilation = source.Dilation; _groups = source.Groups;
        RegisterParameter("weight", source.Weight);
        if (source.Bias is null) RegisterParameter("bias"); else RegisterParameter("bias", source.Bias);
        QuantLayers.Register(WeightQuant, "weight", (n, p) => RegisterParameter(n, p));
        QuantLayers.Register(InputQuant, "input", (n, p) => RegisterParameter(n, p));
    }

    /// <summary>The float layer this one was made from (its tensors are this layer's <c>weight</c> and <c>bias</c>).</summary>
    public Conv2d Source { get; }
    /// <summary>The full-precision weight (the instance of <see cref="Source"/>).</summary>
    public Tensor Weight => Source.Weight;
    /// <summary>The float bias (§2.7: biases stay in float), or null.</summary>
    public Tensor? Bias => Source.Bias;
    /// <summary>The weight quantizer, or null for a float weight.</summary>
    public IQuantizer? WeightQuant { get; }
    /// <summary>The input quantizer, or null.</summary>
    public IQuantizer? InputQuant { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.Conv2d(InputQuant?.Quantize(input) ?? input, WeightQuant?.Quantize(Weight) ?? Weight, Bias, _stride, _padding, _dilation, _groups);

    /// <inheritdoc/>
    public override string ExtraRepr() => Source.ExtraRepr() + SharedRepr.Of(WeightQuant, InputQuant);
}

/// <summary>
/// The fake-quantized form of an existing <see cref="Linear"/> (§2.5.3): q_in(x)·q_w(W)ᵀ + b sharing the float layer's
/// tensor instances (see <see cref="SharedQuantConv2d"/> for why); the bias stays in float (§5.4.1, protocols §2.7).
/// </summary>
public sealed class SharedQuantLinear : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="source"/>'s tensors (§2.5.3).</summary>
    /// <param name="source">The float linear layer whose weight and bias are shared.</param>
    /// <param name="weightQuant">Weight quantizer, or null to keep the weight in float.</param>
    /// <param name="inputQuant">Input quantizer, or null to leave the input as it comes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public SharedQuantLinear(Linear source, IQuantizer? weightQuant, IQuantizer? inputQuant = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source; WeightQuant = weightQuant; InputQuant = inputQuant;
        RegisterParameter("weight", source.Weight);
        if (source.Bias is null) RegisterParameter("bias"); else RegisterParameter("bias", source.Bias);
        QuantLayers.Register(WeightQuant, "weight", (n, p) => RegisterParameter(n, p));
        QuantLayers.Register(InputQuant, "input", (n, p) => RegisterParameter(n, p));
    }

    /// <summary>The float layer this one was made from.</summary>
    public Linear Source { get; }
    /// <summary>The full-precision weight (the instance of <see cref="Source"/>).</summary>
    public Tensor Weight => Source.Weight;
    /// <summary>The float bias (§2.7), or null.</summary>
    public Tensor? Bias => Source.Bias;
    /// <summary>The weight quantizer, or null for a float weight.</summary>
    public IQuantizer? WeightQuant { get; }
    /// <summary>The input quantizer, or null.</summary>
    public IQuantizer? InputQuant { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.Linear(InputQuant?.Quantize(input) ?? input, WeightQuant?.Quantize(Weight) ?? Weight, Bias);

    /// <inheritdoc/>
    public override string ExtraRepr() => Source.ExtraRepr() + SharedRepr.Of(WeightQuant, InputQuant);
}

internal static class SharedRepr
{
    public static string Of(IQuantizer? w, IQuantizer? i) =>
        $", weight_quant={(w is null ? "float" : $"{w.GetType().Name}({w.BitWidth} bits)")}" +
        (i is null ? "" : $", input_quant={i.GetType().Name}({i.BitWidth} bits)");
}
