namespace ResearchKit.Quantization.Minifloat;

/// <summary>How a real value is rounded to one of its two neighbouring representable values.</summary>
public enum MinifloatRounding
{
    /// <summary>To the nearer neighbour; a tie goes to the one with an even mantissa (IEEE 754 roundTiesToEven).</summary>
    NearestEven,

    /// <summary>Up (away from zero) with probability equal to the distance to the lower neighbour over the gap, so the expected result is the input.</summary>
    Stochastic,
}
