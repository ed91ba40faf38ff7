using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization;

/// <summary>
/// A fake-quantized activation (§2.5.3, Fig. 2.17): applies an activation quantizer (e.g. <see cref="PactActivationQuantizer"/>
/// or unsigned <see cref="LsqQuantizer.ForActivations"/>) to its input, for the A-bit activations of §5.4.1 and §2.7 of the
/// protocols.
/// </summary>
/// <remarks>
/// The quantizer's learned tensors are registered as <c>quant_{name}</c> (e.g. <c>layer1.0.relu1.quant_alpha</c>), as
/// <see cref="QuantLinear"/> registers <c>input_quant_alpha</c>, so an optimizer over <see cref="Module.Parameters"/> trains them.
/// </remarks>
public class QuantAct : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="quantizer"/> (§2.5.3).</summary>
    /// <param name="quantizer">The activation quantizer.</param>
    /// <exception cref="ArgumentNullException"><paramref name="quantizer"/> is null.</exception>
    public QuantAct(IQuantizer quantizer)
    {
        Quantizer = quantizer ?? throw new ArgumentNullException(nameof(quantizer));
        QuantLayers.Register(Quantizer, "", (n, p) => RegisterParameter(n.TrimStart('_'), p));
    }

    /// <summary>The activation quantizer (§2.5.3).</summary>
    public IQuantizer Quantizer { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Quantizer.Quantize(input);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"quant={Quantizer.GetType().Name}({Quantizer.BitWidth} bits)";
}

/// <summary>
/// A quantized ReLU (§5.4.1: every activation of the network at A bits): <c>q(relu(x))</c>, or just <c>q(x)</c> when the
/// quantizer clips at 0 by itself.
/// </summary>
/// <remarks>
/// Choice: <see cref="PactActivationQuantizer"/> computes round(clamp(x, 0, α)·a/α)·α/a, which already is 0 for x &lt; 0, so a
/// QuantReLU over PACT is PACT alone (no separate ReLU: PACT replaces the ReLU, as in the PACT paper); the same holds for an
/// unsigned LSQ quantizer (clamp to [0, Qp]), but the ReLU is kept there because it changes nothing in the forward pass and
/// only zeroes LSQ's gradient for x &lt; 0, which LSQ's clamp also does. Any other quantizer gets the ReLU first.
/// </remarks>
public sealed class QuantReLU : QuantAct
{
    /// <summary>Wraps <paramref name="quantizer"/> as a quantized ReLU.</summary>
    /// <param name="quantizer">The activation quantizer (PACT, unsigned LSQ, …).</param>
    /// <exception cref="ArgumentNullException"><paramref name="quantizer"/> is null.</exception>
    public QuantReLU(IQuantizer quantizer) : base(quantizer) => AppliesRelu = quantizer is not PactActivationQuantizer;

    /// <summary>Whether a ReLU runs before the quantizer (false for PACT, which clips at 0 itself).</summary>
    public bool AppliesRelu { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Quantizer.Quantize(AppliesRelu ? input.Relu() : input);

    /// <inheritdoc/>
    public override string ExtraRepr() => base.ExtraRepr() + (AppliesRelu ? ", relu=True" : ", relu=False (clips at 0)");
}
