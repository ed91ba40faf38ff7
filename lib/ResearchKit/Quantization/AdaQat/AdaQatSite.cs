namespace ResearchKit.Quantization.AdaQat;

/// <summary>One quantizer whose width AdaQAT learns: the module path, whether it quantizes weights, and its learned width.</summary>
/// <param name="Path">Dotted module path, e.g. <c>layer1.0.conv1</c> or <c>layer1.0.relu1</c>.</param>
/// <param name="IsWeight">True for a weight quantizer, false for an activation (or layer-input) quantizer.</param>
/// <param name="Quantizer">The adaptive quantizer at that site.</param>
public sealed record AdaQatSite(string Path, bool IsWeight, AdaptiveQuantizer Quantizer)
{
    /// <summary>The learned width the quantizer follows (shared by every site under per-network AdaQAT).</summary>
    public LearnedBitWidth BitWidth => Quantizer.BitWidthParameter;
}
