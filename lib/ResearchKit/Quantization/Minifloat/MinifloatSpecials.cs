namespace ResearchKit.Quantization.Minifloat;

/// <summary>Which codes of a <see cref="MinifloatFormat"/> are infinities or NaN rather than numbers.</summary>
public enum MinifloatSpecials
{
    /// <summary>IEEE 754-like: the all-ones exponent is reserved, mantissa 0 for ±∞ and any other mantissa for NaN (OCP E5M2).</summary>
    Ieee,

    /// <summary>No infinities; only the all-ones exponent with the all-ones mantissa (S.1…1.1…1) is NaN, the rest of the top binade is finite (OCP E4M3).</summary>
    FiniteOnlyNanAllOnes,

    /// <summary>No infinities and no NaN: every code is a number (OCP MX FP6 E2M3 and E3M2).</summary>
    FiniteOnly,
}
