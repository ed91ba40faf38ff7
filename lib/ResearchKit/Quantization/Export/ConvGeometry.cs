using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>The geometry of an exported convolution (zero padding only).</summary>
/// <param name="Stride">Stride.</param>
/// <param name="Padding">Zero padding.</param>
/// <param name="Dilation">Dilation.</param>
/// <param name="Groups">Groups.</param>
public sealed record ConvGeometry(Pair Stride, Pair Padding, Pair Dilation, int Groups);
