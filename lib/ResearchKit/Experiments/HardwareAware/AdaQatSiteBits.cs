namespace ResearchKit.Experiments.HardwareAware;

/// <summary>One learned site's integer width and what it weighs in the weighted means.</summary>
/// <param name="Path">Module path (e.g. <c>layer1.0.conv1</c>).</param>
/// <param name="IsWeight">Weight (true) or activation (false) site.</param>
/// <param name="Bits">Integer width ⌈N⌉.</param>
/// <param name="Size">Weights of the layer (weight site), or activation values per image (activation site).</param>
public sealed record AdaQatSiteBits(string Path, bool IsWeight, int Bits, long Size);
