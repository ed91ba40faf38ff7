namespace ResearchKit.Quantization.Analysis;

/// <summary>One number format tried by <see cref="FormatComparison"/> and its error on the data.</summary>
/// <param name="Family">Fixed point, minifloat or uniform integer.</param>
/// <param name="Name">"Q3.4" (m may be negative: the binary point lies left of the stored bits), "E4M3", "INT8" or "UINT8".</param>
/// <param name="BitWidth">Bits stored per value (the sign bit counted only for signed data).</param>
/// <param name="Signed">Whether the format has negative values (it does exactly when the data does).</param>
/// <param name="IntegerBits">Fixed point: m, integer bits without the sign (0 otherwise).</param>
/// <param name="FractionBits">Fixed point: n, fraction bits; the step is 2^−n (0 otherwise).</param>
/// <param name="ExponentBits">Minifloat: E (0 otherwise).</param>
/// <param name="MantissaBits">Minifloat: M (0 otherwise).</param>
/// <param name="Scale">The scale of the format on this data: the step 2^−n (fixed point), the power-of-two scale (minifloat),
/// or max|x| / q_max (uniform integer).</param>
/// <param name="Error">MSE, SQNR and max error against the data.</param>
public sealed record FormatCandidate(NumberFamily Family, string Name, int BitWidth, bool Signed, int IntegerBits, int FractionBits,
    int ExponentBits, int MantissaBits, double Scale, QuantizationError Error);
