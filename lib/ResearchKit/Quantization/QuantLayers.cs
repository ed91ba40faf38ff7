using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>Registration of a quant layer's learned quantizer tensors, shared by <see cref="QuantLinear"/> and <see cref="QuantConv2d"/>.</summary>
internal static class QuantLayers
{
    public static void Register(IQuantizer? q, string role, Action<string, Tensor> register)
    {
        if (q is ILearnedQuantizer learned)
            foreach (var (name, p) in learned.LearnedParameters) register($"{role}_quant_{name}", p);
    }

    public static string Repr(IQuantizer weight, IQuantizer? input) =>
        $", weight_quant={weight.GetType().Name}({weight.BitWidth} bits)" + (input is null ? "" : $", input_quant={input.GetType().Name}({input.BitWidth} bits)");
}
