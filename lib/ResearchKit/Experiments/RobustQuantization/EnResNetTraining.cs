namespace ResearchKit.Experiments.RobustQuantization;

/// <summary>
/// Every setting of one <see cref="RobustEnResNetRecipe"/> run: data, EnResNet, optimizer, training objective (with the PGD
/// of adversarial training) and Binary-Relax quantization. The recipe fills it per preset; each value's source is in
/// <see cref="RobustEnResNetRecipe"/>'s remarks and in the run config.
/// </summary>
public sealed record EnResNetTraining
{
    /// <summary>"fashion-mnist-sample", "fashion-mnist", "cifar10" or "cifar100".</summary>
    public string Dataset { get; init; } = "cifar10";
    /// <summary>Train on the first this many training images (null: all).</summary>
    public int? TrainImages { get; init; }
    /// <summary>Measure clean accuracy on the first this many test images (null: all).</summary>
    public int? TestImages { get; init; }
    /// <summary>Random crop (padding 4) and horizontal flip on training images (the EnResNet code's CIFAR augmentation).</summary>
    public bool Augment { get; init; }

    /// <summary>ResNets in the ensemble.</summary>
    public int Members { get; init; } = 5;
    /// <summary>Depth of each pre-activation ResNet (6n + 2).</summary>
    public int Depth { get; init; } = 20;
    /// <summary>Feynman–Kac noise coefficient σ: each block adds σ·std(out)·N(0, 1), in training and inference.</summary>
    public double NoiseCoef { get; init; } = 0.1;

    /// <summary>Epochs of this run's training (the float run, or the quantized fine-tuning / training).</summary>
    public int Epochs { get; init; } = 200;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Batch size of the clean evaluation.</summary>
    public int EvalBatchSize { get; init; } = 500;
    /// <summary>Initial learning rate (SGD).</summary>
    public double Lr { get; init; } = 0.1;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; init; } = true;
    /// <summary>The learning rate is multiplied by 0.1 at these fractions of training (80, 120, 160 of 200 epochs).</summary>
    public IReadOnlyList<double> LrDecayAt { get; init; } = [0.4, 0.6, 0.8];

    /// <summary>Natural, Madry, trade-off or TRADES.</summary>
    public TrainingObjective Objective { get; init; } = TrainingObjective.Madry;
    /// <summary>a of the trade-off loss a·CE(clean) + (1 − a)·CE(adversarial).</summary>
    public double TradeOffWeight { get; init; } = 0.5;
    /// <summary>β of TRADES.</summary>
    public double TradesBeta { get; init; } = 6;
    /// <summary>L∞ radius of the training PGD.</summary>
    public float Epsilon { get; init; } = 0.031f;
    /// <summary>Steps of the training PGD.</summary>
    public int AttackSteps { get; init; } = 10;
    /// <summary>Step size of the training PGD.</summary>
    public float AttackStepSize { get; init; } = 0.007f;

    /// <summary>Weight bits: 32 (float) or 1 (binary), 2 (ternary), 4 (sign-magnitude 4-bit) by Binary-Relax.</summary>
    public int WeightBits { get; init; } = 32;
    /// <summary>A quantized run starts from the float run of the same objective (true) or from scratch (false, the authors' script).</summary>
    public bool InitFromFloat { get; init; }
    /// <summary>Binary-Relax: relaxation weight η of the first relaxed epoch's schedule.</summary>
    public double BrInitialEta { get; init; } = 1;
    /// <summary>Binary-Relax: η is multiplied by this at every relaxed epoch.</summary>
    public double BrGrowth { get; init; } = 1;
    /// <summary>Binary-Relax: fraction of the epochs in the relaxed phase; the rest is the hard phase.</summary>
    public double BrRelaxedFraction { get; init; } = 0.6;

    /// <summary>Log the training loss every this many steps.</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Relaxed epochs of Binary-Relax: round(fraction × epochs).</summary>
    public int BrRelaxedEpochs => (int)Math.Round(BrRelaxedFraction * Epochs, MidpointRounding.AwayFromZero);
}
