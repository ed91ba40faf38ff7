using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class QuantLayerTests
{
    [Fact]
    public void QuantLinear_UsesQuantizedWeightAndInput_KeepsNames()
    {
        var layer = new QuantLinear(2, 2, new DoReFaWeightQuantizer(1), new PactActivationQuantizer(2, initialAlpha: 3f), generator: new Generator(0));
        layer.Weight.AsSpan()[0] = 0.5f; layer.Weight.AsSpan()[1] = -1f; layer.Weight.AsSpan()[2] = 0.2f; layer.Weight.AsSpan()[3] = 2f;
        layer.Bias!.AsSpan().Fill(0.25f);
        // Binary DoReFa of [[0.5, −1], [0.2, 2]] is [[1, −1], [1, 1]] (see DoReFaWeightQuantizerTests);
        // PACT(α = 3, 3 steps of 1) maps x = [1.2, 5] to [1, 3]. y = [1 − 3, 1 + 3] + 0.25.
        var x = Tensor.FromArray([1.2f, 5f], 1, 2);
        Close([-1.75f, 4.25f], layer.Forward(x).ToArray());
        Assert.Equal(["weight", "bias", "input_quant_alpha"], layer.NamedParameters().Select(p => p.Name));

        layer.Forward(x).Sum().Backward();
        Assert.NotNull(layer.Weight.Grad);
        // Σ_o y_o depends on α through x₂ = 5 ≥ α: ∂/∂α = Σ_o q_w[o, 1] = −1 + 1 = 0; the weight still gets a gradient.
        Assert.Equal(0f, layer.Parameters().Last().Grad!.Item());
    }

    [Fact]
    public void QuantConv2d_RegistersLsqStep_AndQuantizesWeights()
    {
        var wq = LsqQuantizer.ForWeights(2, initialStep: 0.5f);
        var conv = new QuantConv2d(1, 1, 1, wq, bias: false, generator: new Generator(0));
        conv.Weight.AsSpan()[0] = 0.3f;   // 0.3/0.5 = 0.6 → round 1 → 0.5
        var y = conv.Forward(Tensor.Ones(1, 1, 2, 2));
        Close([0.5f, 0.5f, 0.5f, 0.5f], y.ToArray());
        Assert.Contains("weight_quant_step", conv.StateDict().Keys);
        y.Sum().Backward();
        Assert.NotNull(wq.Step.Grad);
    }
}
