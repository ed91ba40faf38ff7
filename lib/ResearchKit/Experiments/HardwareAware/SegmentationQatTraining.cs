using ResearchKit.Quantization.Minifloat;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// Every setting of one <see cref="MinifloatSegmentationRecipe"/> run: the stand-in data, the U-Net, both training stages
/// (float, then QAT fine-tuning from the float weights) and the quantization. The recipe fills it per preset; sources are in
/// the recipe's remarks and in the run config.
/// </summary>
public sealed record SegmentationQatTraining
{
    /// <summary>"mnist-sample" (the committed 1,000 test images: 800 train / 200 test) or "mnist".</summary>
    public string Dataset { get; init; } = "mnist";
    /// <summary>Training images (the first ones of the source's training split; null: all).</summary>
    public int? TrainImages { get; init; }
    /// <summary>Test images (the first ones of the source's test split; null: all).</summary>
    public int? TestImages { get; init; }
    /// <summary>Clutter seed of the training images (<see cref="Data.ForegroundSegmentationOptions.Seed"/>).</summary>
    public long TrainClutterSeed { get; init; }
    /// <summary>Clutter seed of the test images (another stream, so test image i does not share training image i's clutter).</summary>
    public long TestClutterSeed { get; init; } = 1;

    /// <summary>U-Net layout.</summary>
    public UNetLayout Layout { get; init; } = UNetLayout.ConstantWidth;
    /// <summary>Channels of the first level ("32").</summary>
    public int BaseWidth { get; init; } = 32;
    /// <summary>Pooling steps.</summary>
    public int Depth { get; init; } = 4;

    /// <summary>Loss of both stages.</summary>
    public SegmentationLossKind Loss { get; init; } = SegmentationLossKind.BceDice;
    /// <summary>Optimizer steps of the float run.</summary>
    public long FloatSteps { get; init; } = 1000;
    /// <summary>Optimizer steps of each QAT fine-tuning.</summary>
    public long QatSteps { get; init; } = 500;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Evaluation batch size (no effect on results).</summary>
    public int EvalBatchSize { get; init; } = 200;
    /// <summary>Adam learning rate of the float run (cosine to 0 over the run).</summary>
    public double FloatLr { get; init; } = 1e-3;
    /// <summary>Adam learning rate of the QAT fine-tuning (cosine to 0 over the run).</summary>
    public double QatLr { get; init; } = 1e-4;

    /// <summary>Float, minifloat or integer.</summary>
    public NumberFormat Format { get; init; } = NumberFormat.Float;
    /// <summary>b: bits of weights and activations (32 for float).</summary>
    public int Bits { get; init; } = 32;
    /// <summary>The minifloat of a minifloat run (null otherwise).</summary>
    public MinifloatFormat? Minifloat { get; init; }
    /// <summary>Precision of the first conv's weights and of the output conv's input.</summary>
    public FirstLastPrecision FirstLast { get; init; } = FirstLastPrecision.SameAsBody;
    /// <summary>Quantizers of an integer run.</summary>
    public IntegerQuantizers Integer { get; init; } = IntegerQuantizers.DoReFaPact;

    /// <summary>Unsigned minifloat activations (sign bit not stored).</summary>
    public bool UnsignedActivations { get; init; } = true;
    /// <summary>The unsigned activation minifloat ((b+1)-bit format, sign bit not stored) of a minifloat run with unsigned activations.</summary>
    public MinifloatFormat? ActivationMinifloat { get; init; }
    /// <summary>Start PACT's α from the float model's activations (<see cref="ActivationClipCalibration"/>).</summary>
    public bool CalibrateClip { get; init; } = true;
    /// <summary>Percentile of <see cref="ActivationClipCalibration"/>.</summary>
    public double ClipPercentile { get; init; } = 99.9;
    /// <summary>Seed of the QAT fine-tuning's batch order.</summary>
    public long QatSeed { get; init; }
    /// <summary>The harder stand-in task (<see cref="Data.ForegroundSegmentationOptions.Hard"/>) rather than the plain one.</summary>
    public bool HardTask { get; init; } = true;

    /// <summary>Log the training loss every this many steps.</summary>
    public int LogEvery { get; init; } = 20;
}
