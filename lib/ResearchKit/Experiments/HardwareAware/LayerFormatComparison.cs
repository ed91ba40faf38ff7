using ResearchKit.Quantization.Analysis;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>The fixed- vs floating-point comparison of one layer's weights or activations at one bit width.</summary>
/// <param name="Layer">The layer's module path.</param>
/// <param name="Kind">"Conv2d" or "Linear".</param>
/// <param name="Tensor">"weights" or "activations" (the layer's inputs).</param>
/// <param name="Comparison">The best fixed point, best minifloat and uniform integer, with their errors.</param>
public sealed record LayerFormatComparison(string Layer, string Kind, string Tensor, FormatComparison Comparison);
