using System.Globalization;
using ResearchKit.Data;
using DataTransforms = ResearchKit.Data.Transforms;
using ResearchKit.Defenses;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Models;
using ResearchKit.Pruning;
using ResearchKit.Quantization;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;

namespace ResearchKit.Experiments.RobustQuantization;

/// <summary>
/// Li, Wang and Xin (2020; seed 002): an EnResNet (<see cref="EnResNet"/>: pre-activation ResNets with Feynman–Kac noise,
/// logits averaged), trained naturally, adversarially (Madry), with the trade-off loss or with TRADES, in float or with its
/// convolution weights quantized by Binary-Relax (<see cref="BinaryRelax"/>: binary, ternary, 4-bit). One run is one
/// (objective, bits) cell of the paper's comparison; <see cref="Trained"/> gives the network to attack and to measure
/// (<see cref="ChannelSparsity"/>). Registered as "br-enresnet" (Madry, float).
/// </summary>
/// <remarks>
/// <para>Only the paper's abstract is readable here (seed 002). The settings come from the authors' public code, cited in the
/// config: the EnResNet code (Wang et al. 2019, github BaoWangMath/EnResNet: pre-activation ResNet-20, 5 members, noise 0.1;
/// PGD training ε 0.031, 10 steps of 0.007 from a random start; SGD 0.1 Nesterov, momentum 0.9, weight decay 5e-4, ×0.1 at
/// epochs 80, 120, 160 of 200, batch 128, crop + flip) and the Binary-Relax code (Yin et al. 2018, and Z. Li's EnResNet
/// script: every convolution weight quantized, η = 1, hard phase from epoch 120 of 200, from scratch).</para>
/// <para>Not readable here, chosen and recorded in the config (<see cref="NotStated"/>): the trade-off loss' exact form and
/// weight (a·CE(clean) + (1 − a)·CE(PGD), a = 0.5), the number of members and the noise of the paper's EnResNet (the EnResNet
/// code's defaults), the dataset (CIFAR-10, the EnResNet code's).</para>
/// <para>Presets. <b>paper</b>: the settings above on CIFAR-10. <b>quick</b>: Fashion-MNIST (first
/// <see cref="QuickTrainImages"/> training images), 2 members of depth 8, PGD training with 3 steps of 0.01, float runs
/// <see cref="QuickFloatEpochs"/> epochs, quantized runs fine-tuned from the float run of the same objective for
/// <see cref="QuickBrEpochs"/> epochs (2 relaxed, 1 hard) at lr 0.02. <b>smoke</b>: the committed 1,000-image sample, 1 member,
/// a few steps.</para>
/// </remarks>
public sealed class RobustEnResNetRecipe : IRecipe
{
    /// <summary>Training images of the quick preset.</summary>
    public const int QuickTrainImages = 15_000;
    /// <summary>Epochs of a float run at quick.</summary>
    public const int QuickFloatEpochs = 4;
    /// <summary>Epochs of a Binary-Relax fine-tuning at quick.</summary>
    public const int QuickBrEpochs = 3;

    /// <summary>Creates the recipe of one objective and weight precision.</summary>
    /// <param name="objective">Natural, Madry, trade-off or TRADES.</param>
    /// <param name="weightBits">32 (float), 1 (binary), 2 (ternary) or 4.</param>
    /// <param name="dataset">Dataset at quick and paper (null: Fashion-MNIST at quick, CIFAR-10 at paper).</param>
    /// <param name="overrides">Settings changed on top of every preset (null: none).</param>
    /// <exception cref="ArgumentException">Another bit width, or an unknown dataset.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An override is out of range.</exception>
    public RobustEnResNetRecipe(TrainingObjective objective = TrainingObjective.Madry, int weightBits = 32, string? dataset = null,
        EnResNetOverrides? overrides = null)
    {
        overrides?.Validate();
        Overrides = overrides;
        if (weightBits is not (32 or 1 or 2 or 4))
            throw new ArgumentException($"RobustEnResNetRecipe: weightBits = {weightBits}; the paper compares float (32), binary (1), ternary (2) and 4-bit weights.", nameof(weightBits));
        if (dataset is not null && dataset is not ("fashion-mnist" or "cifar10" or "cifar100"))
            throw new ArgumentException($"RobustEnResNetRecipe: unknown dataset '{dataset}'; use cifar10 (the EnResNet code's), cifar100 or fashion-mnist.", nameof(dataset));
        Objective = objective; WeightBits = weightBits; Dataset = dataset;
    }

    /// <summary>The training objective.</summary>
    public TrainingObjective Objective { get; }
    /// <summary>Weight bits (32 = float).</summary>
    public int WeightBits { get; }
    /// <summary>Dataset override (null: the preset's).</summary>
    public string? Dataset { get; }
    /// <summary>Settings changed on top of every preset (null: none).</summary>
    public EnResNetOverrides? Overrides { get; }
    /// <summary>True for float weights.</summary>
    public bool IsFloat => WeightBits == 32;

    /// <inheritdoc/>
    public string Name => "br-enresnet";

    /// <inheritdoc/>
    public string Description => "Li, Wang, Xin 2020: EnResNet, natural / Madry / trade-off / TRADES training, float or Binary-Relax binary, ternary, 4-bit";

    /// <summary>What neither the abstract nor the authors' code states, as chosen here (recorded in every config).</summary>
    public static IReadOnlyList<string> NotStated { get; } =
    [
        "trade-off loss form: a*CE(clean) + (1-a)*CE(PGD) (the paper's text is not readable here; Goodfellow et al. 2015's mixed objective)",
        "trade-off weight a = 0.5",
        "EnResNet of the paper: members and noise of the EnResNet code (5 members of pre-activation ResNet-20, noise 0.1)",
        "dataset: CIFAR-10 (the EnResNet code's)",
        "ternary scale: mean |w| of the kept weights (TWN); the Binary-Relax code divides by all weights (same zeros)",
        "PGD crafting mode during training: eval mode with frozen parameters (the EnResNet code crafts in train mode)",
    ];

    /// <summary>The settings of <paramref name="preset"/>.</summary>
    public EnResNetTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = new EnResNetTraining { Objective = Objective, WeightBits = WeightBits };
        t = preset switch
        {
            Preset.Smoke => t with
            {
                Dataset = "fashion-mnist-sample", TrainImages = 256, TestImages = 200, Members = 1, Depth = 8,
                Epochs = IsFloat ? 1 : 2, BatchSize = 64, EvalBatchSize = 200, AttackSteps = 2, AttackStepSize = 0.02f,
                InitFromFloat = true, Lr = IsFloat ? 0.1 : 0.02, LrDecayAt = [], LogEvery = 1,
            },
            Preset.Quick => t with
            {
                Dataset = Dataset ?? "fashion-mnist", TrainImages = QuickTrainImages, TestImages = 2000, Members = 2, Depth = 8,
                Epochs = IsFloat ? QuickFloatEpochs : QuickBrEpochs, EvalBatchSize = 500, AttackSteps = 3, AttackStepSize = 0.01f,
                InitFromFloat = true, Lr = IsFloat ? 0.1 : 0.02, LrDecayAt = IsFloat ? [0.5, 0.75] : [2.0 / 3], LogEvery = 20,
            },
            _ => t with { Dataset = Dataset ?? "cifar10", Augment = true, InitFromFloat = false, EvalBatchSize = 500, LogEvery = 50 },
        };
        if (Overrides?.WeightDecay is double wd) t = t with { WeightDecay = wd };
        if (Overrides?.Members is int members) t = t with { Members = members };
        return t;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = DataName(t),
            ["preprocessing"] = "x/255, no normalization (EnResNet code)",
            ["augmentation"] = t.Augment ? "random crop 32 pad 4 + horizontal flip (EnResNet code)" : "none",
            ["model"] = $"EnResNet: {t.Members} x pre-activation ResNet-{t.Depth}, Feynman-Kac noise {F(t.NoiseCoef)} x std(out) in every block, in training and inference, logits averaged (EnResNet code)",
            ["objective"] = t.Objective.ToString(),
            ["trade_off_weight"] = t.Objective == TrainingObjective.TradeOff ? t.TradeOffWeight : null,
            ["trades_beta"] = t.Objective == TrainingObjective.Trades ? t.TradesBeta : null,
            ["adversarial_training"] = AdversarialOptions(t, options.Seed)?.Config,
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "sgd", ["lr"] = t.Lr, ["momentum"] = t.Momentum, ["weight_decay"] = t.WeightDecay, ["nesterov"] = t.Nesterov },
            ["scheduler"] = t.LrDecayAt.Count == 0 ? "constant" : $"x0.1 at fractions [{string.Join(", ", t.LrDecayAt.Select(F))}] of training, per step",
            ["batch_size"] = t.BatchSize,
            ["epochs"] = t.Epochs,
            ["weight_bits"] = t.WeightBits,
            ["quantization"] = IsFloat ? null : new Dictionary<string, object?>
            {
                ["method"] = "Binary-Relax (Yin et al. 2018): forward with (eta*P(w) + w)/(1 + eta), then P(w); gradient applied to w",
                ["projection"] = BinaryRelax.Projection(t.WeightBits).Name,
                ["layers"] = "every convolution weight; fc, biases and batch norms float (Binary-Relax code)",
                ["eta"] = t.BrInitialEta, ["eta_growth"] = t.BrGrowth, ["relaxed_epochs"] = t.BrRelaxedEpochs,
                ["init"] = t.InitFromFloat ? "the float run of the same objective" : "from scratch (authors' script)",
            },
            ["overrides"] = Overrides is null ? null : new Dictionary<string, object?>
            {
                ["weight_decay"] = Overrides.WeightDecay, ["members"] = Overrides.Members,
            },
            ["not_stated"] = NotStated,
        }.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    public bool RunsOnDevices => true;

    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>The dataset description recorded in run configs.</summary>
    public static string DataName(EnResNetTraining t)
    {
        ArgumentNullException.ThrowIfNull(t);
        string name = t.Dataset switch
        {
            "fashion-mnist-sample" => "fashion-mnist-sample-1000 (800 train / 200 test)",
            "fashion-mnist" => "fashion-mnist (stand-in for CIFAR-10)",
            "cifar100" => "cifar-100",
            _ => "cifar-10",
        };
        return t.TrainImages is int n ? $"{name}; first {n} training images" : name;
    }

    /// <summary>The untrained EnResNet of <paramref name="t"/>, initialized (and its noise seeded) from <paramref name="seed"/>.</summary>
    public static EnResNet Build(EnResNetTraining t, long seed)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new EnResNet(t.Members, t.Depth, Classes(t.Dataset), Channels(t.Dataset), (float)t.NoiseCoef, new Generator(seed));
    }

    private static int Classes(string dataset) => dataset == "cifar100" ? 100 : 10;
    private static int Channels(string dataset) => dataset.StartsWith("cifar", StringComparison.Ordinal) ? 3 : 1;

    /// <summary>Train and test loaders (test: the first <see cref="EnResNetTraining.TestImages"/> images).</summary>
    public static (DataLoader Train, DataLoader Test) Loaders(EnResNetTraining t, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(options);
        var (train, test) = LoadData(t, options);
        if (t.TrainImages is int n) train = train.Take(n);
        if (t.TestImages is int m) test = test.Take(m);
        var (trainTf, testTf) = Pipelines(t);
        return (new DataLoader(train, t.BatchSize, shuffle: true, options.Seed, trainTf, dropLast: true),
                new DataLoader(test, t.EvalBatchSize, shuffle: false, options.Seed, testTf));
    }

    /// <summary>The test set, its pipeline (x/255) and the dataset name, for <see cref="Robustness.RobustnessData.From"/>.</summary>
    public (ImageDataset Test, ImageTransform Transform, string Dataset) TestSet(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        var (_, test) = LoadData(t, options);
        return (test, Pipelines(t).Test, t.Dataset);
    }

    private static (ImageDataset Train, ImageDataset Test) LoadData(EnResNetTraining t, RecipeOptions options)
    {
        try { return DlQatRecipe.LoadData(t.Dataset, options.Data); }
        catch (DataNotFoundException e)
        {
            throw new DataNotFoundException($"RobustEnResNetRecipe: dataset '{t.Dataset}' is not available here ({e.Message}). The paper preset needs CIFAR-10; " +
                "run the quick preset (Fashion-MNIST), or make the dataset available as the message says.", inner: e);
        }
    }

    private static (ImageTransform Train, ImageTransform Test) Pipelines(EnResNetTraining t)
    {
        var test = DataTransforms.ToFloat();
        if (!t.Augment) return (test, test);
        int size = t.Dataset.StartsWith("cifar", StringComparison.Ordinal) ? 32 : 28;
        return (DataTransforms.Compose(DataTransforms.RandomCrop(size, 4), DataTransforms.RandomHorizontalFlip(), DataTransforms.ToFloat()), test);
    }

    /// <inheritdoc/>
    /// <remarks>Final metrics: "accuracy" (clean top-1 with the noise on, one pass), "sparsity" (zero fraction of the
    /// convolution weights as the network uses them: quantized for Binary-Relax runs), "channel_sparsity" (fraction of
    /// convolution filters whose weights are all zero), "loss" (last training loss). The weights are the run's checkpoint.</remarks>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var cfg = RunConfig.From(Config(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            Checkpoint? init = null;
            if (!IsFloat && t.InitFromFloat)
            {
                var floatRun = new RobustEnResNetRecipe(Objective, 32, Dataset, Overrides).Run(store, preset, options);
                init = store.StoredWeights(floatRun.RunId, "RobustEnResNetRecipe");
            }
            var (trainLoader, testLoader) = Loaders(t, options);
            using var _1 = trainLoader;
            using var _2 = testLoader;
            var net = Build(t, options.Seed);
            if (init is not null) net.LoadStateDict(TrainerCheckpoint.ModelState(init));
            BinaryRelaxModel? br = IsFloat ? null
                : BinaryRelax.Apply(net, BinaryRelax.Projection(t.WeightBits), new BinaryRelaxSchedule(t.BrRelaxedEpochs, t.BrInitialEta, t.BrGrowth));
            var opt = new Sgd(net.Parameters(), lr: t.Lr, momentum: t.Momentum, weightDecay: t.WeightDecay, nesterov: t.Nesterov);
            long total = (long)t.Epochs * trainLoader.BatchesPerEpoch;
            LrScheduler? sched = t.LrDecayAt.Count == 0 ? null : new MultiStepLR(opt, t.LrDecayAt.Select(f => (int)Math.Round(f * total)), 0.1);
            var (forward, generators) = ForwardOf(net, t, options.Seed);
            var trainer = new Trainer(net, opt, forward, new TrainerOptions
            {
                Generators = generators,
                MaxEpochs = t.Epochs,
                Scheduler = sched,
                SchedulerInterval = SchedulerInterval.PerStep,
                CheckpointEvery = options.CheckpointEvery > 0 ? options.CheckpointEvery : preset == Preset.Smoke ? 2 : preset == Preset.Quick ? 50 : 1000,
                EvalAtEnd = false,
                TrackAccuracy = false,
                LogEvery = t.LogEvery,
                Progress = options.Progress ?? ProgressSinks.Auto(),
                Description = $"{Name} [{preset.Name()}] {t.Objective} W{t.WeightBits}",
                Device = options.Device,   // the model moves when the trainer is built; attacks and the noise follow it
            });
            var last = new LastLossCallback();
            trainer.Callbacks.Add(last);
            if (br is not null) trainer.Callbacks.Add(br.Callback);
            ctx.Attach(trainer);
            br?.Callback.SetEpoch(trainer.State.Epoch);
            trainer.Fit((e, s) => trainLoader.Epoch(e, s).Select(b => (b.Images, b.Labels)), trainLoader.BatchesPerEpoch);
            ctx.SaveCheckpoint(TrainerCheckpoint.Capture(trainer));
            var sparsity = ChannelSparsity.Of(net).Total;
            double acc = Accuracy(net, testLoader);
            ctx.LogMetric(trainer.State.Step, "eval/accuracy", acc);
            return new Dictionary<string, double>
            {
                ["accuracy"] = acc, ["loss"] = last.Value,
                ["sparsity"] = sparsity.UnstructuredSparsity, ["channel_sparsity"] = sparsity.ChannelSparsity,
            };
        }, options.RunOptions);
    }

    /// <summary>
    /// The trained network (trained first when the store has none) in eval mode, its noise on (the EnResNet is randomized in
    /// inference): float, or quantized in Binary-Relax's hard phase (the weights it forwards are P(w)).
    /// </summary>
    /// <exception cref="InvalidOperationException">The run has no stored weights.</exception>
    public EnResNet Trained(IRunStore store, Preset preset, RecipeOptions options, out RunResult run)
    {
        ArgumentNullException.ThrowIfNull(store);
        run = Run(store, preset, options);
        var ckpt = store.StoredWeights(run.RunId, "RobustEnResNetRecipe.Trained");
        var t = Training(preset, options);
        var net = Build(t, options.Seed);
        if (!IsFloat)
        {
            var br = BinaryRelax.Apply(net, BinaryRelax.Projection(t.WeightBits), new BinaryRelaxSchedule(t.BrRelaxedEpochs, t.BrInitialEta, t.BrGrowth));
            br.Callback.SetEpoch(t.Epochs);   // the hard phase: the network forwards P(w)
        }
        net.LoadStateDict(TrainerCheckpoint.ModelState(ckpt));
        net.Eval();
        return net;
    }

    /// <summary>The trainer's forward pass for <paramref name="t"/>'s objective, and the generator a resumed run must restore.</summary>
    private static (ForwardLoss Forward, IReadOnlyDictionary<string, Generator> Generators) ForwardOf(EnResNet net, EnResNetTraining t, long seed)
    {
        // The members' noise streams are training state too: a resumed run continues them.
        var generators = net.NoiseGenerators.Select((g, i) => (Key: $"enresnet_noise_{i}", g)).ToDictionary(e => e.Key, e => e.g);
        if (t.Objective == TrainingObjective.Natural)
            return ((x, y) => { var logits = net.Forward(x); return (Tensors.Nn.Functional.CrossEntropy(logits, y), logits); }, generators);
        var at = new AdversarialTraining(net, AdversarialOptions(t, seed));
        generators[AdversarialTraining.GeneratorName] = at.Generator;
        return (at.ForwardLoss, generators);
    }

    /// <summary>The adversarial-training settings of <paramref name="t"/> (null for natural training).</summary>
    public static AdversarialTrainingOptions? AdversarialOptions(EnResNetTraining t, long seed)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.Objective switch
        {
            TrainingObjective.Natural => null,
            _ => new AdversarialTrainingOptions
            {
                Objective = t.Objective switch { TrainingObjective.Madry => AdversarialObjective.Madry, TrainingObjective.TradeOff => AdversarialObjective.TradeOff, _ => AdversarialObjective.Trades },
                Epsilon = t.Epsilon, Steps = t.AttackSteps, StepSize = t.AttackStepSize, RandomStart = true,
                NaturalWeight = t.TradeOffWeight, Beta = t.TradesBeta, Seed = seed + 7919,
            },
        };
    }

    /// <summary>Clean top-1 (fraction) in eval mode, noise on, one forward pass per image.</summary>
    public static double Accuracy(Module<Tensor, Tensor> net, DataLoader test)
    {
        ArgumentNullException.ThrowIfNull(test);
        return Metrics.Evaluate(net, test.Epoch(0).Select(b => (b.Images, b.Labels)))["accuracy"];
    }
}
