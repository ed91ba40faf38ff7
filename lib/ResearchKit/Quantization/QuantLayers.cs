using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>Registration and printing of a quant layer's quantizers, shared by <see cref="QuantLinear"/>, <see cref="QuantConv2d"/> and the shared-weight layers.</summary>
internal static class QuantLayers
{
    public static void Register(IQuantizer? q, string role, Action<string, Tensor> register)
    {
        if (q is ILearnedQuantizer learned)
            foreach (var (name, p) in learned.LearnedParameters) register($"{role}_quant_{name}", p);
    }

    // A null weight quantizer is a float weight (the shared-weight layers allow it).
    public static string Repr(IQuantizer? weight, IQuantizer? input) =>
        $", weight_quant={(weight is null ? "float" : $"{weight.GetType().Name}({weight.BitWidth} bits)")}" +
        (input is null ? "" : $", input_quant={input.GetType().Name}({input.BitWidth} bits)");
}
