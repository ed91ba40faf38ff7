namespace ResearchKit.Quantization.Approximate;

/// <summary>Which n-bit operands <see cref="MultiplierErrorStats"/> enumerates.</summary>
public enum OperandDomain
{
    /// <summary>Two's-complement n-bit operands, [−2^(n−1), 2^(n−1) − 1] (int8 weights × int8 activations).</summary>
    Signed,

    /// <summary>Unsigned n-bit operands, [0, 2^n − 1]: the magnitude core alone (also post-ReLU activations).</summary>
    Unsigned,
}
