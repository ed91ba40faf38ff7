using ResearchKit.Losses;
using System.Globalization;
using ResearchKit.Data;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Runs;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Experiments.Chapter6;

/// <summary>
/// App. A (§A.2, Table A.1): a DL-QAT model to attack with PGD: SAT (CE), DL-QAT + GML (α = 0.7) or DL-QAT + MMC, at one
/// W/A setting of Table A.1 (32/32, 4/4, 2/2, binary/4, binary/2; binary = W 1, as chapter 5 encodes it). Trains with
/// chapter 5's two-stage procedure (<see cref="TwoStageQat"/>: Training I float with the clamp, shared by every W/A of a loss
/// as its own run; Training II quantized from it); <see cref="Trained"/> returns the network for the attack
/// (<see cref="AppendixAPgd"/>). Registered as "appa-dlqat" (MMC, 2/2).
/// </summary>
/// <remarks>
/// <para>Presets. <b>paper</b>: CIFAR-100, Pang et al.'s ResNet-32 (see <see cref="Chapter6Network"/>), each stage trained as
/// §A.2 says: lr 0.1 cosine 150 epochs (CE, GML), lr 0.01 ×0.1 at epochs 100 and 150 of 200 (MMC); applying the schedule
/// to each of the two stages is our reading (thesis silent on how it maps onto SAT's stages). <b>quick</b>: Fashion-MNIST,
/// ResNet-8, <see cref="QuickSteps"/> steps per stage. <b>smoke</b>: the committed sample, 4 steps per stage.</para>
/// <para>Thesis silent, chosen as <see cref="EhdMemberRecipe"/>: SGD momentum 0.9, weight decay 5e-4, batch 128, augmentation
/// parameters; the 8-bit first/last layers of chapter 5 are kept (App. A does not restate them).</para>
/// </remarks>
public sealed class QuantizedRobustnessRecipe : IRecipe
{
    /// <summary>Steps per stage of the quick preset.</summary>
    public const long QuickSteps = 300;

    /// <summary>Creates the recipe of one method and bit setting.</summary>
    /// <param name="loss">CE (SAT), GML or MMC (DL-QAT).</param>
    /// <param name="weightBits">W: 32, 4, 2 or 1 (binary).</param>
    /// <param name="activationBits">A: 32, 4 or 2.</param>
    /// <param name="dataset">Dataset at quick and paper (null: Fashion-MNIST at quick, CIFAR-100 at paper).</param>
    /// <exception cref="ArgumentException">AMS, a bit width outside [1, 16] ∪ {32}, only one of W and A at 32, or an unknown dataset.</exception>
    public QuantizedRobustnessRecipe(QatLoss loss = QatLoss.Mmc, int weightBits = 2, int activationBits = 2, string? dataset = null)
    {
        if (loss == QatLoss.Ams) throw new ArgumentException("QuantizedRobustnessRecipe: App. A compares SAT (CE), DL-QAT GML and DL-QAT MMC; AMS is not among them.", nameof(loss));
        foreach (var (b, n) in new[] { (weightBits, nameof(weightBits)), (activationBits, nameof(activationBits)) })
            if (b != 32 && (b < 1 || b > 16))
                throw new ArgumentException($"QuantizedRobustnessRecipe: {n} = {b}; use a bit width in [1, 16] (1 = binary), or 32 for float.", n);
        if ((weightBits == 32) != (activationBits == 32))
            throw new ArgumentException($"QuantizedRobustnessRecipe: W{weightBits}/A{activationBits}; 32 means float and applies to both (Table A.1's 32/32).", nameof(weightBits));
        if (dataset is not null) Chapter6Network.CheckDataset(dataset, nameof(QuantizedRobustnessRecipe));
        Loss = loss; WeightBits = weightBits; ActivationBits = activationBits; Dataset = dataset;
    }

    /// <summary>The loss of both stages.</summary>
    public QatLoss Loss { get; }
    /// <summary>W of Training II (1 = binary).</summary>
    public int WeightBits { get; }
    /// <summary>A of Training II.</summary>
    public int ActivationBits { get; }
    /// <summary>Dataset override (null: the preset's).</summary>
    public string? Dataset { get; }
    /// <summary>True for 32/32: Training I alone.</summary>
    public bool IsFloat => WeightBits == 32;

    /// <inheritdoc/>
    public string Name => "appa-dlqat";

    /// <inheritdoc/>
    public string Description => "App. A (Table A.1): SAT / DL-QAT GML (α 0.7) / DL-QAT MMC at W/A, the model PGD attacks";

    /// <summary>The settings of <paramref name="preset"/>.</summary>
    public QatTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = new QatTraining
        {
            Loss = Loss, WeightBits = WeightBits, ActivationBits = ActivationBits, Seed = options.Seed,
            Lr = EhdMemberRecipe.PaperLr(Loss),                      // §A.2: 0.1 (CE, GML), 0.01 (MMC)
            Cosine = Loss != QatLoss.Mmc,                            // §A.2: cosine (CE, GML)
            LrDecayAt = Loss == QatLoss.Mmc ? EhdMemberRecipe.MmcDecayAt : null, // §A.2: ×0.1 at epochs 100, 150 of 200 (MMC)
            GmlAlpha = 0.7f,                                         // §A.2: α = 0.7
            Momentum = 0.9, WeightDecay = 5e-4, BatchSize = 128,     // thesis silent
            Standardize = false,                                     // §A.2: /255, no standardization
            Dataset = preset switch
            {
                Preset.Smoke => "fashion-mnist-sample",
                Preset.Quick => Dataset ?? "fashion-mnist",
                _ => Dataset ?? "cifar100",                          // §A.2: CIFAR-100
            },
        };
        return preset switch
        {
            Preset.Smoke => t with { Steps = 4, BatchSize = 32, EvalBatchSize = 200, LogEvery = 1 },
            Preset.Quick => t with { Steps = QuickSteps, EvalBatchSize = 1000, LogEvery = 20 },
            _ => t with { Epochs = EhdMemberRecipe.PaperEpochs(Loss), EvalBatchSize = 1000, LogEvery = 50 }, // §A.2: 150 / 200 epochs
        };
    }

    /// <summary>Config of the shared Training I run (no W, A).</summary>
    public IReadOnlyDictionary<string, object?> TrainingIConfig(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["stage"] = "training1 (float with the clamp of Eq. 5.2; shared by every W/A)",
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = Chapter6Network.DataName(t.Dataset),
            ["preprocessing"] = "x/255, no standardization (§A.2)",
            ["augmentation"] = preset == Preset.Paper ? "random rescale [0.9, 1.1] + random crop pad 4 + horizontal flip (§A.2; parameters thesis silent)" : "none",
            ["model"] = Chapter6Network.ModelName(preset, t.Dataset),
            ["classes"] = Chapter6Network.Classes(t.Dataset),
            ["loss"] = t.Loss.ToString(),
            ["gml_alpha"] = t.Loss == QatLoss.Gml ? t.GmlAlpha : null,
            ["mmc_cmm"] = t.Loss == QatLoss.Mmc ? (double)MmcLoss.DefaultCmm : null,
            ["training1_clamp"] = t.Clamp.ToString(),
            ["scaled_adjust_last"] = t.ScaledAdjustLast,
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "sgd", ["lr"] = t.Lr, ["momentum"] = t.Momentum, ["weight_decay"] = t.WeightDecay },
            ["scheduler"] = t.LrDecayAt is { } at
                ? $"step x0.1 at fractions [{string.Join(", ", at.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))}] of each stage (§A.2: epochs 100, 150 of 200; per stage our reading)"
                : "cosine to 0 over each stage (§A.2; per stage our reading)",
            ["batch_size"] = t.BatchSize,
            ["epochs_per_stage"] = t.Steps is null ? t.Epochs : null,
            ["steps_per_stage"] = t.Steps,
            ["thesis_silent"] = EhdMemberRecipe.ThesisSilent,
        }.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    /// <remarks>Both stages train on the device; <see cref="Trained"/> returns the network on the CPU, where the robustness
    /// evaluation runs.</remarks>
    public bool RunsOnDevices => true;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        if (IsFloat) return TrainingIConfig(preset, options);
        return new Dictionary<string, object?>(TrainingIConfig(preset, options))
        {
            ["stage"] = "training2 (from the shared training1 weights)",
            ["weight_bits"] = WeightBits,
            ["activation_bits"] = ActivationBits,
            ["first_last_bits"] = 8,
            ["quantizers"] = "DoReFa weights (binary at W = 1), PACT activations, residual adds at A bits (chapter 5's SAT setting)",
        };
    }

    private RunResult RunTrainingI(IRunStore store, Preset preset, RecipeOptions options)
    {
        var cfg = RunConfig.From(TrainingIConfig(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var (trainLoader, testLoader) = Chapter6Network.Loaders(preset, t, options);
            using var _1 = trainLoader;
            using var _2 = testLoader;
            var net = Chapter6Network.Build(preset, t, options.Seed);
            if (!options.Device.IsCpu) net.To(options.Device);   // the stage, its quantizers and evaluation follow it
            var (loss, acc) = TwoStageQat.TrainingIInRun(ctx, net, trainLoader, testLoader, t, options.Progress ?? ProgressSinks.Auto());
            ctx.LogMetric(0, "eval/accuracy", acc);
            return new Dictionary<string, double> { ["accuracy"] = acc, ["float_accuracy"] = acc, ["loss"] = loss };
        }, options.RunOptions);
    }

    /// <inheritdoc/>
    /// <remarks>Final metrics: "accuracy" (clean top-1 of this W/A model, Table A.1's Acc), "float_accuracy" (the shared
    /// Training I's), "loss". The weights are the run's checkpoint (see <see cref="Trained"/>).</remarks>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        if (IsFloat) return RunTrainingI(store, preset, options);
        var cfg = RunConfig.From(Config(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var first = RunTrainingI(store, preset, options);
            var weights = store.StoredWeights(first.RunId, "QuantizedRobustnessRecipe");
            var (trainLoader, testLoader) = Chapter6Network.Loaders(preset, t, options);
            using var _1 = trainLoader;
            using var _2 = testLoader;
            var net = Chapter6Network.Build(preset, t, options.Seed);
            if (!options.Device.IsCpu) net.To(options.Device);
            var (loss, acc) = TwoStageQat.TrainingIIFrom(weights, net, trainLoader, testLoader, t, options.Progress ?? ProgressSinks.Auto(), ctx);
            ctx.LogMetric(0, "eval/accuracy", acc);
            ctx.SaveCheckpoint(new Checkpoint(Math.Max(1, t.Steps ?? t.Epochs), net.StateDict(), new Dictionary<string, string> { [TwoStageQat.StageKey] = "training2" }));
            return new Dictionary<string, double> { ["accuracy"] = acc, ["float_accuracy"] = first.FinalMetrics["float_accuracy"], ["loss"] = loss };
        }, options.RunOptions);
    }

    /// <summary>The trained network (trained first when the store has none), in eval mode, ready for PGD
    /// (<see cref="AppendixAPgd"/>): 32/32 with the Training I clamp applied (as evaluated), otherwise quantized.</summary>
    /// <param name="store">The run store.</param>
    /// <param name="preset">The preset.</param>
    /// <param name="options">Seed and data options.</param>
    /// <param name="run">The run (its config hash identifies the model in cached robustness results).</param>
    /// <exception cref="InvalidOperationException">The run has no stored weights.</exception>
    public QatNetwork Trained(IRunStore store, Preset preset, RecipeOptions options, out RunResult run)
    {
        ArgumentNullException.ThrowIfNull(store);
        run = Run(store, preset, options);
        var weights = store.StoredWeights(run.RunId, "QuantizedRobustnessRecipe.Trained");
        var t = Training(preset, options);
        var net = Chapter6Network.Build(preset, t, options.Seed);
        if (!IsFloat) TwoStageQat.Quantize(net, t);
        net.LoadStateDict(weights.Tensors);
        if (IsFloat) TwoStageQat.ApplyClamp(net, t);
        net.Eval();
        return net;
    }

    /// <summary>The test set through the model's test pipeline (/255), for <see cref="Robustness.RobustnessData.From"/>.</summary>
    public (ImageDataset Test, ImageTransform Transform, string Dataset) TestSet(Preset preset, RecipeOptions options) =>
        Chapter6Network.TestSet(preset, Training(preset, options), options);
}
