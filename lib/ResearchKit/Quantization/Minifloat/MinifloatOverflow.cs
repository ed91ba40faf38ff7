namespace ResearchKit.Quantization.Minifloat;

/// <summary>What encoding does with a value whose rounded magnitude exceeds <see cref="MinifloatFormat.MaxFinite"/>.</summary>
public enum MinifloatOverflow
{
    /// <summary>Clamp to ±MaxFinite (the OCP "saturation mode"; ±∞ inputs saturate too).</summary>
    Saturate,

    /// <summary>Go to ±∞, as IEEE 754 does; only for <see cref="MinifloatSpecials.Ieee"/> formats, the only ones with an infinity.</summary>
    Infinity,
}
