using ResearchKit.Experiments.Chapter5;
using ResearchKit.Quantization.AdaQat;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// Every setting of one <see cref="AdaQatRecipe"/> run: the chapter-5 pipeline it shares with the fixed-precision runs
/// (<see cref="Qat"/>: data, network, SGD, batch, schedule) and AdaQAT's own values. The recipe fills it per preset; each value's
/// source is in the run config (<see cref="AdaQatRecipe.Config"/>) and in FACTS-adaqat.md.
/// </summary>
public sealed record AdaQatTraining
{
    /// <summary>The chapter-5 settings of the comparison runs (CE loss; <c>DlQatRecipe.Training</c>): dataset, batch, lr, momentum,
    /// weight decay, schedule, Scaled-Adjust on the last layer, logging. Its W/A are unused.</summary>
    public required QatTraining Qat { get; init; }
    /// <summary>Fine-tuning from the shared Training I weights, or training from scratch.</summary>
    public AdaQatScenario Scenario { get; init; } = AdaQatScenario.FineTune;
    /// <summary>Training steps (null: <see cref="Epochs"/> epochs).</summary>
    public long? Steps { get; init; }
    /// <summary>Epochs when <see cref="Steps"/> is null.</summary>
    public int Epochs { get; init; } = 150;
    /// <summary>One width for the network's weights and one for its activations, or one per layer.</summary>
    public BitWidthGranularity Granularity { get; init; } = BitWidthGranularity.PerNetwork;
    /// <summary>λ.</summary>
    public double Lambda { get; init; } = 0.02;
    /// <summary>Learning rate of the relaxed widths.</summary>
    public double BitLearningRate { get; init; } = 0.1;
    /// <summary>Initial N_w.</summary>
    public double InitialWeightBits { get; init; } = 4;
    /// <summary>Initial N_a.</summary>
    public double InitialActivationBits { get; init; } = 4;
    /// <summary>Smallest integer width.</summary>
    public int MinBits { get; init; } = 2;
    /// <summary>Largest integer width.</summary>
    public int MaxBits { get; init; } = 8;
    /// <summary>The hardware cost.</summary>
    public AdaQatCostKind CostKind { get; init; } = AdaQatCostKind.BitProduct;
    /// <summary>Freeze a width after more than this many rises from one integer value; null: never.</summary>
    public int? FreezeAfterIncreases { get; init; } = 10;
    /// <summary>Freeze a width that an update pushes below MinBits − 0.5.</summary>
    public bool FreezeAtMinimum { get; init; } = true;
    /// <summary>The width an oscillation freezes at (authors' code: the upper one).</summary>
    public OscillationFreeze FreezeSide { get; init; } = OscillationFreeze.AfterRise;
    /// <summary>Whether the weight widths are learned.</summary>
    public bool LearnWeights { get; init; } = true;
    /// <summary>Whether the activation widths are learned (false: fixed at the initial width).</summary>
    public bool LearnActivations { get; init; } = true;
    /// <summary>Fixed bits of the first conv, the last layer and its input activation (§5.4.1, as the fixed-precision runs).</summary>
    public int FirstLastBits { get; init; } = 8;
    /// <summary>Residual additions at the activation width (chapter 5's SAT method: true).</summary>
    public bool QuantizeResidualAdds { get; init; } = true;
    /// <summary>PACT's initial α (the kit's default 10, as the fixed-precision runs).</summary>
    public float PactInitialAlpha { get; init; } = 10f;

    /// <summary>The AdaQAT options these settings define (validated).</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public AdaQatOptions Options => new AdaQatOptions(Lambda, BitLearningRate, InitialWeightBits, InitialActivationBits, MinBits, MaxBits,
        Granularity, CostKind, FreezeAfterIncreases, FreezeAtMinimum, FirstLastBits, QuantizeResidualAdds, PactInitialAlpha, FreezeSide, LearnWeights, LearnActivations).Validated();

    /// <summary>The chapter-5 settings with this run's step/epoch count (what the optimizer's schedule spans).</summary>
    public QatTraining StageSettings => Qat with { Steps = Steps, Epochs = Epochs };
}
