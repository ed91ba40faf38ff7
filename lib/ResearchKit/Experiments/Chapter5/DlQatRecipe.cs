using System.Globalization;
using ResearchKit.Data;
using ResearchKit.Models;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// DL-QAT (chapter 5): the two-stage procedure of Alg. 5 (<see cref="TwoStageQat"/>) with one loss (CE = SAT, AMS or GML) at
/// one W/A setting; records the float and quantized test accuracies and ΔP (Eq. 5.10). Registered as "dlqat" (GML, 2/2);
/// other runs: <c>new DlQatRecipe(QatLoss.Ams, 2, 2)</c>, or with <see cref="DlQatOptions"/> (α, m, lr, GML init, method).
/// </summary>
/// <remarks>
/// <para>Presets: <b>paper</b>: CIFAR-10, ResNet-18 CIFAR variant, §5.4.1 hyper-parameters (see <see cref="Training"/>).
/// <b>quick</b>: a Fashion-MNIST stand-in for CIFAR-10 (CIFAR cannot be downloaded here), ResNet-20 (1 input channel),
/// batch 128, <see cref="QuickSteps"/> steps per stage, lr <see cref="QatTraining.QuickLr"/> for every loss, test on the
/// 10,000 test images. <b>smoke</b>: ResNet-8 on the committed Fashion-MNIST sample (800 train / 200 test), 4 steps per stage.</para>
/// <para>Preprocessing (§5.4.1): the 8-bit images are divided by 255, no standardization (<see cref="DlQatOptions.Standardize"/>
/// adds it). The paper preset augments with random rescaling (range NS: 0.9–1.1 by default), random crop (padding 4) and
/// horizontal flip; smoke and quick do not augment.</para>
/// <para>Training I is shared (Alg. 5): it is its own run in the store (<see cref="RunTrainingI"/>, config
/// <see cref="TrainingIConfig"/>: no W, A or method), its float weights saved as the run's checkpoint; every Training II run
/// of the same loss, margins, lr, seed and preset loads them. A W = A = 32 recipe is Training I alone.</para>
/// </remarks>
public sealed class DlQatRecipe : IRecipe
{
    /// <summary>Steps per stage of the quick preset.</summary>
    public const long QuickSteps = 300;

    /// <summary>Creates the recipe for one loss and bit setting.</summary>
    /// <param name="loss">CE (SAT), AMS or GML (DL-QAT).</param>
    /// <param name="weightBits">W (1–16, or 32 for float).</param>
    /// <param name="activationBits">A (1–16, or 32 for float).</param>
    /// <param name="settings">Options changed from the preset's settings (null: none).</param>
    /// <exception cref="ArgumentException">A bit width is neither in [1, 16] nor 32, only one of W and A is 32, or the dataset is unknown.</exception>
    public DlQatRecipe(QatLoss loss = QatLoss.Gml, int weightBits = 2, int activationBits = 2, DlQatOptions? settings = null)
    {
        foreach (var (b, n) in new[] { (weightBits, nameof(weightBits)), (activationBits, nameof(activationBits)) })
            if (b != 32 && (b < 1 || b > 16))
                throw new ArgumentException($"DlQatRecipe: {n} = {b}; use a bit width in [1, 16], or 32 for float.", n);
        settings ??= new DlQatOptions();
        if (settings.Dataset is { } d && !Classes.ContainsKey(d))
            throw new ArgumentException($"DlQatRecipe: unknown dataset '{d}'; use fashion-mnist, cifar10 or cifar100.", nameof(settings));
        if (settings.RescaleRange is { } r && !(r.Min > 0 && r.Min <= r.Max))
            throw new ArgumentException($"DlQatRecipe: rescale range ({r.Min}, {r.Max}) must satisfy 0 < min ≤ max.", nameof(settings));
        Loss = loss; WeightBits = weightBits; ActivationBits = activationBits; Settings = settings;
    }

    /// <summary>The loss of both stages.</summary>
    public QatLoss Loss { get; }
    /// <summary>W of Training II.</summary>
    public int WeightBits { get; }
    /// <summary>A of Training II.</summary>
    public int ActivationBits { get; }
    /// <summary>The options changed from the preset's settings.</summary>
    public DlQatOptions Settings { get; }
    /// <summary>True for W = A = 32: the recipe is Training I alone.</summary>
    public bool IsFloat => WeightBits == 32 && ActivationBits == 32;

    /// <inheritdoc/>
    public string Name => "dlqat";

    /// <inheritdoc/>
    public string Description => "DL-QAT (ch. 5, Alg. 5): Training I float + clamp (shared), Training II DoReFa/PACT (or LSQ) W/A; CE, AMS or GML; reports ΔP (Eq. 5.10)";

    private static readonly Dictionary<string, int> Classes = new() { ["fashion-mnist"] = 10, ["cifar10"] = 10, ["cifar100"] = 100 };

    /// <summary>The settings of <paramref name="preset"/> for this loss, W/A and options (what <see cref="Run"/> trains and <see cref="Config"/> records).</summary>
    public QatTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = Settings;
        var t = new QatTraining
        {
            Loss = Loss, WeightBits = WeightBits, ActivationBits = ActivationBits, Seed = options.Seed,
            // §5.4.1: 0.01 for CEL and AMS, 0.2 for GML (CIFAR); smoke/quick: 0.01 for every loss (QatTraining.QuickLr).
            Lr = s.Lr ?? (preset == Preset.Paper ? QatTraining.PaperLr(Loss) : QatTraining.QuickLr),
            AmsScale = 30f,                        // §5.4.1, from [114]
            AmsMargin = s.AmsMargin ?? 0.35f,      // Table 5.2, best FP32
            GmlAlpha = s.GmlAlpha ?? 0.7f,         // Table 5.1, best FP32 on CIFAR
            GmlInitStd = s.GmlInitStd ?? 1f,       // NS: N(0, 1) as the L-GM ports
            Method = s.Method,
            Standardize = s.Standardize,           // §5.4.1: none
            RescaleMin = s.RescaleRange?.Min ?? 0.9, // §5.4.1: range NS
            RescaleMax = s.RescaleRange?.Max ?? 1.1,
            Dataset = preset switch
            {
                Preset.Smoke => "fashion-mnist-sample",
                Preset.Quick => s.Dataset ?? "fashion-mnist",
                _ => s.Dataset ?? "cifar10",
            },
        };
        return preset switch
        {
            Preset.Smoke => t with { Steps = 4, BatchSize = 32, EvalBatchSize = 200, LogEvery = 1 },
            Preset.Quick => t with { Steps = QuickSteps, BatchSize = 128, EvalBatchSize = 1000, LogEvery = 20 },
            _ => t with
            {
                Epochs = 150,                      // §5.4.1 "150 epochs" (per stage: our reading, NS)
                BatchSize = 768,                   // §5.4.1, CIFAR
                Cosine = true,                     // schedule of [48] not stated: cosine (our choice)
                LogEvery = 20,
            },
        };
    }

    /// <summary>ResNet depth of the smoke (8) and quick (20) presets; paper uses <see cref="ResNet18Cifar"/>.</summary>
    public static int Depth(Preset preset) => preset == Preset.Smoke ? 8 : 20;

    /// <summary>The config of this recipe's Training I run: everything that shapes the float training (loss, margins, GML init,
    /// lr, data, preprocessing, seed…), not W, A or the quantization method, so every Training II of these settings shares it.</summary>
    public IReadOnlyDictionary<string, object?> TrainingIConfig(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["stage"] = "training1 (float with the clamp of Eq. 5.2; shared by every W/A and method)",
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = t.Dataset switch
            {
                "fashion-mnist-sample" => "fashion-mnist-sample-1000 (800 train / 200 test)",
                "fashion-mnist" => "fashion-mnist (60k train / 10k test; stand-in for CIFAR-10, which cannot be downloaded here)",
                "cifar100" => "cifar-100 (50k train / 10k test)",
                _ => "cifar-10 (50k train / 10k test)",
            },
            ["preprocessing"] = t.Standardize
                ? "x/255, then per-channel standardization (Standardize = true; §5.4.1 applies none)"
                : "x/255, no standardization (§5.4.1)",
            ["augmentation"] = preset == Preset.Paper
                ? $"random rescale [{F(t.RescaleMin)}, {F(t.RescaleMax)}] (range NS) + random crop {ImageSize(t.Dataset)} pad 4 + horizontal flip (§5.4.1; parameters NS)"
                : "none",
            ["model"] = preset == Preset.Paper
                ? $"resnet18-cifar (3x3 stem, no max-pool, post-activation; {Channels(t.Dataset)} input channel(s))"
                : $"resnet{Depth(preset)}-cifar ({Channels(t.Dataset)} input channel(s))",
            ["classes"] = ClassCount(t.Dataset),
            ["loss"] = t.Loss.ToString(),
            ["ams_s"] = t.AmsScale,
            ["ams_m"] = t.AmsMargin,
            ["gml_alpha"] = t.GmlAlpha,
            ["gml_init_std"] = t.GmlInitStd,
            ["classifier"] = t.Loss switch
            {
                QatLoss.CrossEntropy => "model fc (with bias; bias stays float)",
                QatLoss.Ams => "AMS bias-free cosine weight owned by the loss (model fc unused), float",
                QatLoss.Mmc => "MMC preset Max-Mahalanobis centers (C_MM = 10, fixed) owned by the loss (model fc unused)",
                _ => "GML learned means ~ N(0, gml_init_std^2) owned by the loss (model fc unused), float",
            },
            ["training1_clamp"] = t.Clamp.ToString(),
            ["scaled_adjust_last"] = t.ScaledAdjustLast,
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "sgd", ["lr"] = t.Lr, ["momentum"] = t.Momentum, ["weight_decay"] = t.WeightDecay,
                ["lr_source"] = Settings.Lr is not null ? "explicit override" : preset == Preset.Paper ? "§5.4.1" : "quick/smoke preset choice (0.01 for every loss)",
                ["assumption"] = "momentum, weight decay: NS in the thesis" },
            ["scheduler"] = t.Cosine ? "cosine to 0 over each stage, per step (schedule of [48] NS)" : "constant",
            ["batch_size"] = t.BatchSize,
            ["epochs_per_stage"] = t.Steps is null ? t.Epochs : null,
            ["steps_per_stage"] = t.Steps,
        }.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    public bool RunsOnDevices => true;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        if (IsFloat) return TrainingIConfig(preset, options);
        var t = Training(preset, options);
        var c = new Dictionary<string, object?>(TrainingIConfig(preset, options))
        {
            ["stage"] = "training2 (from the shared training1 weights)",
            ["weight_bits"] = t.WeightBits,
            ["activation_bits"] = t.ActivationBits,
            ["first_last_bits"] = 8,
            ["quant_method"] = t.Method.ToString(),
            ["quantizers"] = t.Method switch
            {
                QatMethod.Lsq => "LSQ weights (signed, per tensor) and unsigned LSQ activations",
                _ => "DoReFa weights (round to nearest, per tensor; binary at W = 1), PACT activations",
            },
            ["residual_bits"] = t.Method == QatMethod.Sat ? "A (residual adds quantized)" : "32 (float residual adds, Table 5.4's *)",
            ["eval"] = "top-1 test accuracy after each stage; delta_p = 100 (float - quant)",
        };
        return c;
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
    private static int ClassCount(string dataset) => dataset == "cifar100" ? 100 : 10;
    private static int Channels(string dataset) => dataset.StartsWith("cifar", StringComparison.Ordinal) ? 3 : 1;
    private static int ImageSize(string dataset) => dataset.StartsWith("cifar", StringComparison.Ordinal) ? 32 : 28;

    /// <summary>Train and test sets of <paramref name="preset"/> with the default dataset (see the remarks).</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadData(Preset preset, DataOptions? data = null) =>
        LoadData(preset == Preset.Smoke ? "fashion-mnist-sample" : preset == Preset.Quick ? "fashion-mnist" : "cifar10", data);

    /// <summary>Train and test sets of <paramref name="dataset"/> (<see cref="QatTraining.Dataset"/>).</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadData(string dataset, DataOptions? data = null)
    {
        switch (dataset)
        {
            case "cifar10": return (Datasets.Cifar10(train: true, data), Datasets.Cifar10(train: false, data));
            case "cifar100": return (Datasets.Cifar100(train: true, data), Datasets.Cifar100(train: false, data));
            case "fashion-mnist": return (Datasets.FashionMnist(train: true, data), Datasets.FashionMnist(train: false, data));
            default:
                var sample = Samples.FashionMnist();
                return (sample.Subset(Enumerable.Range(0, 800).ToArray(), "Fashion-MNIST sample (800 train)"),
                        sample.Subset(Enumerable.Range(800, 200).ToArray(), "Fashion-MNIST sample (200 test)"));
        }
    }

    /// <summary>
    /// The train and test input pipelines of <paramref name="settings"/> (§5.4.1): /255 (<see cref="Transforms.ToFloat"/>), per-channel
    /// standardization only when <see cref="QatTraining.Standardize"/>; at paper, the train pipeline first applies random rescale,
    /// random crop (padding 4) and horizontal flip.
    /// </summary>
    public static (ImageTransform Train, ImageTransform Test) InputTransforms(Preset preset, QatTraining settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var steps = new List<ImageTransform> { Transforms.ToFloat() };
        if (settings.Standardize)
            steps.Add(settings.Dataset switch
            {
                "cifar10" => Transforms.Normalize([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]),
                "cifar100" => Transforms.Normalize([0.5071, 0.4865, 0.4409], [0.2673, 0.2564, 0.2762]),
                _ => Transforms.Normalize([0.2860], [0.3530]),
            });
        var test = Transforms.Compose([.. steps]);
        if (preset != Preset.Paper) return (Transforms.Compose([.. steps]), test);
        var train = new List<ImageTransform>
        {
            Transforms.RandomRescale(settings.RescaleMin, settings.RescaleMax),
            Transforms.RandomCrop(ImageSize(settings.Dataset), 4),
            Transforms.RandomHorizontalFlip(),
        };
        train.AddRange(steps);
        return (Transforms.Compose([.. train]), test);
    }

    /// <summary>The float network of <paramref name="preset"/> with this recipe's head, initialized from <paramref name="seed"/>.</summary>
    public static QatNetwork Network(Preset preset, QatTraining settings, long seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var g = new Generator(seed);
        int classes = ClassCount(settings.Dataset), channels = Channels(settings.Dataset);
        Module<Tensor, Tensor> model = preset == Preset.Paper
            ? new ResNet18Cifar(classes, fcBias: settings.Loss == QatLoss.CrossEntropy, inChannels: channels, generator: g)
            : new ResNetCifar(Depth(preset), classes, inChannels: channels, generator: g);
        return new QatNetwork(model, settings.Loss, settings, classes, g);
    }

    /// <summary>The train (shuffled by the seed, last partial batch dropped) and test loaders of <paramref name="t"/>, with the
    /// input pipelines of <see cref="InputTransforms"/>: what both stages train and evaluate on.</summary>
    public static (DataLoader Train, DataLoader Test) Loaders(Preset preset, QatTraining t, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(options);
        var (train, test) = LoadData(t.Dataset, options.Data);
        var (trainTf, testTf) = InputTransforms(preset, t);
        return (new DataLoader(train, t.BatchSize, shuffle: true, options.Seed, trainTf, dropLast: true),
                new DataLoader(test, t.EvalBatchSize, shuffle: false, options.Seed, testTf));
    }

    private const string StageKey = TwoStageQat.StageKey;

    /// <summary>
    /// Training I of this recipe's settings as its own run (or its stored result): clamp, train, evaluate Acc^float32, and save
    /// the float (unclamped) weights as the run's checkpoint, which every Training II of these settings loads. Final metrics
    /// "float_accuracy" and "float_loss".
    /// </summary>
    public RunResult RunTrainingI(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var cfg = RunConfig.From(TrainingIConfig(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var (trainLoader, testLoader) = Loaders(preset, t, options);
            using var _1 = trainLoader;
            using var _2 = testLoader;
            var net = Network(preset, t, options.Seed);
            if (!options.Device.IsCpu) net.To(options.Device);   // both stages, the quantizers and evaluation follow it
            var (loss, acc) = TwoStageQat.TrainingIInRun(ctx, net, trainLoader, testLoader, t, options.Progress ?? ProgressSinks.Auto());
            ctx.LogMetric(0, "eval/float_accuracy", acc);
            return new Dictionary<string, double> { ["float_accuracy"] = acc, ["float_loss"] = loss };
        }, options.RunOptions);
    }

    /// <summary>
    /// The float weights of this recipe's shared Training I (trained first when the store has none): the checkpoint every
    /// Training II of these settings starts from, also the start of other fine-tuning recipes (e.g. AdaQAT) that must begin
    /// from exactly the same weights. Load its tensors into a <see cref="Network"/> of the same preset and settings.
    /// </summary>
    /// <param name="store">The run store.</param>
    /// <param name="preset">The preset.</param>
    /// <param name="options">Seed, data and progress.</param>
    /// <param name="trainingI">The Training I run (its final metrics hold "float_accuracy" and "float_loss").</param>
    /// <exception cref="InvalidOperationException">The Training I run has no stored weights.</exception>
    public Checkpoint TrainingIWeights(IRunStore store, Preset preset, RecipeOptions options, out RunResult trainingI)
    {
        trainingI = RunTrainingI(store, preset, options);
        return store.StoredWeights(trainingI.RunId, "DlQatRecipe");
    }

    /// <inheritdoc/>
    /// <remarks>W = A = 32: <see cref="RunTrainingI"/>. Otherwise Training II from the shared Training I weights (trained first
    /// when the store has none); final metrics "float_accuracy" (of the shared Training I), "quant_accuracy", "delta_p",
    /// "float_loss", "quant_loss"; the quantized weights are saved as the run's checkpoint (see <see cref="Trained"/>).</remarks>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        if (IsFloat) return RunTrainingI(store, preset, options);
        var cfg = RunConfig.From(Config(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var weights = TrainingIWeights(store, preset, options, out var first);
            var (trainLoader, testLoader) = Loaders(preset, t, options);
            using var _1 = trainLoader;
            using var _2 = testLoader;
            var net = Network(preset, t, options.Seed);
            if (!options.Device.IsCpu) net.To(options.Device);   // both stages, the quantizers and evaluation follow it
            var (loss2, acc2) = TwoStageQat.TrainingIIFrom(weights, net, trainLoader, testLoader, t, options.Progress ?? ProgressSinks.Auto(), ctx);
            var r = new QatResult(first.FinalMetrics["float_accuracy"], acc2, first.FinalMetrics["float_loss"], loss2);
            ctx.LogMetric(0, "eval/float_accuracy", r.FloatAccuracy);
            ctx.LogMetric(0, "eval/quant_accuracy", r.QuantAccuracy);
            ctx.LogMetric(0, "eval/delta_p", r.DeltaP);
            ctx.SaveCheckpoint(new Checkpoint(Math.Max(1, t.Steps ?? t.Epochs), net.StateDict(), new Dictionary<string, string>
            {
                [StageKey] = "training2",
                ["training1_run"] = first.RunId.ToString(CultureInfo.InvariantCulture),
            }));
            return new Dictionary<string, double>
            {
                ["float_accuracy"] = r.FloatAccuracy,
                ["quant_accuracy"] = r.QuantAccuracy,
                ["delta_p"] = r.DeltaP,
                ["float_loss"] = r.FloatLoss,
                ["quant_loss"] = r.QuantLoss,
            };
        }, options.RunOptions);
    }

    /// <summary>
    /// The trained network of this recipe (trained first when the store has no run): W = A = 32 gives the Training I network
    /// with its clamp applied (as it was evaluated); otherwise the Training II network, quantized as <see cref="TwoStageQat.Spec"/>
    /// says. In eval mode; for features (<see cref="QatNetwork.Features"/>, t-SNE) and integer export.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run has no stored weights.</exception>
    public QatNetwork Trained(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        var run = Run(store, preset, options);
        var weights = store.StoredWeights(run.RunId, "DlQatRecipe.Trained");
        var t = Training(preset, options);
        var net = Network(preset, t, options.Seed);
        if (!IsFloat) TwoStageQat.Quantize(net, t);
        net.LoadStateDict(weights.Tensors);
        if (IsFloat) TwoStageQat.ApplyClamp(net, t);
        net.Eval();
        return net;
    }

    /// <summary>The test loader of this recipe's settings (no shuffling), for evaluating <see cref="Trained"/> networks.</summary>
    public DataLoader TestLoader(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        var (_, test) = LoadData(t.Dataset, options.Data);
        return new DataLoader(test, t.EvalBatchSize, shuffle: false, options.Seed, InputTransforms(preset, t).Test);
    }
}
