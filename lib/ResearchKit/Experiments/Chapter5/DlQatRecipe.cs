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
/// other runs: <c>new DlQatRecipe(QatLoss.Ams, 2, 2)</c>.
/// </summary>
/// <remarks>
/// Presets: <b>paper</b>: CIFAR-10, ResNet-18 CIFAR variant, §5.4.1 hyper-parameters (see <see cref="Training"/>).
/// <b>quick</b>: a Fashion-MNIST stand-in for CIFAR-10 (CIFAR cannot be downloaded here), ResNet-20 (1 input channel),
/// batch 128, <see cref="QuickSteps"/> steps per stage, test on the 10,000 test images; a budget of minutes per stage on CPU.
/// <b>smoke</b>: ResNet-8 on the committed Fashion-MNIST sample (800 train / 200 test), 4 steps per stage at batch 32.
/// Inputs are scaled to [0, 1] and normalized per channel; the paper preset adds random crop (padding 4) and horizontal
/// flip (standard CIFAR augmentation; the thesis does not state its augmentation).
/// </remarks>
public sealed class DlQatRecipe : IRecipe
{
    /// <summary>Steps per stage of the quick preset.</summary>
    public const long QuickSteps = 300;

    /// <summary>Creates the recipe for one loss and bit setting.</summary>
    /// <param name="loss">CE (SAT), AMS or GML (DL-QAT).</param>
    /// <param name="weightBits">W (1–16, or 32 for float).</param>
    /// <param name="activationBits">A (1–16, or 32 for float).</param>
    /// <exception cref="ArgumentException">A bit width is neither in [1, 16] nor 32.</exception>
    public DlQatRecipe(QatLoss loss = QatLoss.Gml, int weightBits = 2, int activationBits = 2)
    {
        foreach (var (b, n) in new[] { (weightBits, nameof(weightBits)), (activationBits, nameof(activationBits)) })
            if (b != 32 && (b < 1 || b > 16))
                throw new ArgumentException($"DlQatRecipe: {n} = {b}; use a bit width in [1, 16], or 32 for float.", n);
        Loss = loss; WeightBits = weightBits; ActivationBits = activationBits;
    }

    /// <summary>The loss of both stages.</summary>
    public QatLoss Loss { get; }
    /// <summary>W of Training II.</summary>
    public int WeightBits { get; }
    /// <summary>A of Training II.</summary>
    public int ActivationBits { get; }

    /// <inheritdoc/>
    public string Name => "dlqat";

    /// <inheritdoc/>
    public string Description => "DL-QAT (ch. 5, Alg. 5): Training I float + clamp, Training II DoReFa/PACT W/A; CE, AMS or GML; reports ΔP (Eq. 5.10)";

    /// <summary>The settings of <paramref name="preset"/> for this loss and W/A (what <see cref="Run"/> trains and <see cref="Config"/> records).</summary>
    public QatTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = new QatTraining
        {
            Loss = Loss, WeightBits = WeightBits, ActivationBits = ActivationBits, Seed = options.Seed,
            Lr = QatTraining.PaperLr(Loss),        // §5.4.1: 0.01 for CEL and AMS, 0.2 for GML (CIFAR)
            AmsScale = 30f,                        // §5.4.1, from [114]
            AmsMargin = 0.35f,                     // Table 5.2, best FP32
            GmlAlpha = 0.7f,                       // Table 5.1, best FP32 on CIFAR
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

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = preset switch
            {
                Preset.Smoke => "fashion-mnist-sample-1000 (800 train / 200 test)",
                Preset.Quick => "fashion-mnist (60k train / 10k test; stand-in for CIFAR-10, which cannot be downloaded here)",
                _ => "cifar-10 (50k train / 10k test)",
            },
            ["augmentation"] = preset == Preset.Paper ? "random crop 32 pad 4 + horizontal flip (NS in the thesis)" : "none",
            ["model"] = preset == Preset.Paper ? "resnet18-cifar (3x3 stem, no max-pool, post-activation)" : $"resnet{Depth(preset)}-cifar (1 input channel)",
            ["loss"] = t.Loss.ToString(),
            ["ams_s"] = t.AmsScale,
            ["ams_m"] = t.AmsMargin,
            ["gml_alpha"] = t.GmlAlpha,
            ["classifier"] = t.Loss switch
            {
                QatLoss.CrossEntropy => "model fc (with bias; bias stays float)",
                QatLoss.Ams => "AMS bias-free cosine weight owned by the loss (model fc unused), float",
                _ => "GML learned means owned by the loss (model fc unused), float",
            },
            ["weight_bits"] = t.WeightBits,
            ["activation_bits"] = t.ActivationBits,
            ["first_last_bits"] = 8,
            ["quantizers"] = "DoReFa weights (round to nearest, per tensor), PACT activations, residuals at A bits",
            ["training1_clamp"] = t.Clamp.ToString(),
            ["scaled_adjust_last"] = t.ScaledAdjustLast,
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "sgd", ["lr"] = t.Lr, ["momentum"] = t.Momentum, ["weight_decay"] = t.WeightDecay,
                ["assumption"] = "momentum, weight decay: NS in the thesis" },
            ["scheduler"] = t.Cosine ? "cosine to 0 over each stage, per step (schedule of [48] NS)" : "constant",
            ["batch_size"] = t.BatchSize,
            ["epochs_per_stage"] = t.Steps is null ? t.Epochs : null,
            ["steps_per_stage"] = t.Steps,
            ["eval"] = "top-1 test accuracy after each stage; delta_p = 100 (float - quant)",
        };
    }

    /// <summary>Train and test sets of <paramref name="preset"/> (see the remarks).</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadData(Preset preset, DataOptions? data = null)
    {
        if (preset == Preset.Paper) return (Datasets.Cifar10(train: true, data), Datasets.Cifar10(train: false, data));
        if (preset == Preset.Quick) return (Datasets.FashionMnist(train: true, data), Datasets.FashionMnist(train: false, data));
        var sample = Samples.FashionMnist();
        return (sample.Subset(Enumerable.Range(0, 800).ToArray(), "Fashion-MNIST sample (800 train)"),
                sample.Subset(Enumerable.Range(800, 200).ToArray(), "Fashion-MNIST sample (200 test)"));
    }

    /// <summary>The float network of <paramref name="preset"/> with this recipe's head, initialized from <paramref name="seed"/>.</summary>
    public static QatNetwork Network(Preset preset, QatTraining settings, long seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var g = new Generator(seed);
        Module<Tensor, Tensor> model = preset == Preset.Paper
            ? new ResNet18Cifar(10, fcBias: settings.Loss == QatLoss.CrossEntropy, generator: g)
            : new ResNetCifar(Depth(preset), 10, inChannels: 1, generator: g);
        return new QatNetwork(model, settings.Loss, settings, 10, g);
    }

    /// <inheritdoc/>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cfg = RunConfig.From(Config(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var (train, test) = LoadData(preset, options.Data);
            var norm = preset == Preset.Paper
                ? Transforms.Normalize([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])
                : Transforms.Normalize([0.2860], [0.3530]);
            var trainTf = preset == Preset.Paper
                ? Transforms.Compose(Transforms.RandomCrop(32, 4), Transforms.RandomHorizontalFlip(), Transforms.ToFloat(), norm)
                : Transforms.Compose(Transforms.ToFloat(), norm);
            var testTf = Transforms.Compose(Transforms.ToFloat(), norm);
            using var trainLoader = new DataLoader(train, t.BatchSize, shuffle: true, options.Seed, trainTf, dropLast: true);
            using var testLoader = new DataLoader(test, t.EvalBatchSize, shuffle: false, options.Seed, testTf);
            var net = Network(preset, t, options.Seed);
            var r = TwoStageQat.Run(net, trainLoader, testLoader, t, options.Progress ?? ProgressSinks.Auto(), ctx);
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
}
