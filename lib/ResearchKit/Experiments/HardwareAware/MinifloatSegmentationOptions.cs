using ResearchKit.Quantization.Minifloat;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>Settings of <see cref="MinifloatSegmentationRecipe"/> changed from the preset's (every member optional).</summary>
public sealed record MinifloatSegmentationOptions
{
    /// <summary>The minifloat of a minifloat run (null: <see cref="MinifloatSplits.Default"/> of the run's bits); its width must be the run's bits.</summary>
    public MinifloatFormat? Minifloat { get; init; }
    /// <summary>First conv weights and the output conv's input at b bits (default, the seed's "both weights and activations") or at 8 (the kit's rule).</summary>
    public FirstLastPrecision FirstLast { get; init; } = FirstLastPrecision.SameAsBody;
    /// <summary>Quantizers of integer runs (default DoReFa + PACT, the kit's).</summary>
    public IntegerQuantizers Integer { get; init; } = IntegerQuantizers.DoReFaPact;
    /// <summary>Training loss of both stages (default BCE + Dice).</summary>
    public SegmentationLossKind Loss { get; init; } = SegmentationLossKind.BceDice;
    /// <summary>U-Net layout (null: the preset's, <see cref="UNetLayout.ConstantWidth"/> at quick and paper).</summary>
    public UNetLayout? Layout { get; init; }
}
