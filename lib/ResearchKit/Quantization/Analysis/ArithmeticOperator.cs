namespace ResearchKit.Quantization.Analysis;

/// <summary>The operators <see cref="ArithmeticCost"/> prices.</summary>
public enum ArithmeticOperator
{
    /// <summary>Fixed-point (integer) n-bit adder.</summary>
    IntegerAdd,

    /// <summary>Fixed-point (integer) n×n-bit multiplier.</summary>
    IntegerMultiply,

    /// <summary>Floating-point ExMy adder.</summary>
    FloatAdd,

    /// <summary>Floating-point ExMy multiplier.</summary>
    FloatMultiply,
}
