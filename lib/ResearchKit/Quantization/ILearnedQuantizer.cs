using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>A quantizer with trained tensors (PACT's α, LSQ's step) that the layer holding it must register as parameters.</summary>
public interface ILearnedQuantizer : IQuantizer
{
    /// <summary>The learned tensors with a short name (e.g. <c>alpha</c>, <c>step</c>); a quant layer registers them as <c>{role}_quant_{name}</c>.</summary>
    IReadOnlyList<(string Name, Tensor Parameter)> LearnedParameters { get; }
}
