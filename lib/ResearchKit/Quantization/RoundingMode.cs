namespace ResearchKit.Quantization;

/// <summary>How a uniform quantizer maps a scaled value to an integer level (Eq. 5.3).</summary>
public enum RoundingMode
{
    /// <summary>Round to nearest, ties to even: what DoReFa and SAT do (default).</summary>
    Nearest,

    /// <summary>Floor, as the extracted Eq. 5.3 prints ⌊a·x⌋ (ambiguous in the source, PROTOCOLS §2.2).</summary>
    Floor,
}
