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
    /// <summary>Minifloat activations (all post-ReLU) unsigned (default true: b bits for exponent and mantissa, as PACT's
    /// integers use all 2^b codes for non-negative values) or signed (the sign bit wasted, the first version's setting).</summary>
    public bool UnsignedActivations { get; init; } = true;
    /// <summary>The unsigned activation minifloat: a (b+1)-bit format whose sign bit is not stored (null:
    /// <see cref="MinifloatSplits.DefaultUnsigned"/> of b); only with <see cref="UnsignedActivations"/>.</summary>
    public MinifloatFormat? ActivationMinifloat { get; init; }
    /// <summary>Start PACT's α at a high percentile of each site's float activations on the first training batch (default
    /// true, our choice) rather than at PACT's 10.</summary>
    public bool CalibrateClip { get; init; } = true;
    /// <summary>Seed of the QAT fine-tuning (its batch order); null: the run options' seed. The float run always uses the run
    /// options' seed, so the QAT seeds of one float run share its weights.</summary>
    public long? QatSeed { get; init; }
    /// <summary>The harder stand-in task (<see cref="Data.ForegroundSegmentationOptions.Hard"/>: stronger noise, dim digit
    /// fragments as distractors; default true) or the plain one (the first version's).</summary>
    public bool HardTask { get; init; } = true;
}
