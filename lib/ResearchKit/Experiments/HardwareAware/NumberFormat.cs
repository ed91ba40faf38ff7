namespace ResearchKit.Experiments.HardwareAware;

/// <summary>How <see cref="MinifloatSegmentationRecipe"/> represents weights and activations.</summary>
public enum NumberFormat
{
    /// <summary>Float32 everywhere: the shared float run every quantized run fine-tunes from.</summary>
    Float,

    /// <summary>b-bit minifloat weights and activations (<see cref="Quantization.Minifloat.MinifloatSpecs"/>).</summary>
    Minifloat,

    /// <summary>b-bit integer (uniform) weights and activations (<see cref="IntegerQuantizers"/>).</summary>
    Integer,
}
