namespace ResearchKit.Quantization.Minifloat;

/// <summary>How <see cref="MinifloatQuantizer"/> scales a tensor before rounding it to the format.</summary>
public enum MinifloatScaling
{
    /// <summary>No scale: values are rounded as they are (their range must suit the format's).</summary>
    None,

    /// <summary>
    /// Per tensor, s = 2^k with the smallest k such that max|x| ≤ s·MaxFinite, so max|x|/s lies in (MaxFinite/2, MaxFinite]:
    /// the largest value uses the top binade and nothing saturates. Being a power of two, s only shifts the exponent.
    /// </summary>
    PowerOfTwoFromMax,
}
