namespace ResearchKit.Experiments.HardwareAware;

/// <summary>The precision of the first convolution's weights and of the activation feeding the output 1×1 convolution.</summary>
public enum FirstLastPrecision
{
    /// <summary>The run's b bits and format everywhere: "both weights and activations" at b, as the seed's abstract says (default).</summary>
    SameAsBody,

    /// <summary>The kit's rule (§5.4.1): 8 bits there (E4M3 for minifloat runs, 8-bit integers for integer runs).</summary>
    EightBit,
}
