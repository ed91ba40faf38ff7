namespace ResearchKit.Quantization.Analysis;

/// <summary>A measured operator cost that <see cref="ArithmeticCost"/> reproduces exactly.</summary>
/// <param name="Operator">Which operator.</param>
/// <param name="Label">How the source names it, e.g. "16b FP Mult".</param>
/// <param name="ExponentBits">E for floating point (0 for integers).</param>
/// <param name="Bits">The integer width n, or the mantissa bits M for floating point.</param>
/// <param name="Cost">The measured energy and area.</param>
public sealed record CostAnchor(ArithmeticOperator Operator, string Label, int ExponentBits, int Bits, OperatorCost Cost);
