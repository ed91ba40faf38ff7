using ResearchKit.Losses;
using System.Globalization;
using ResearchKit.Data;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;

namespace ResearchKit.Experiments.Chapter6;

/// <summary>
/// One member model of an Ensemble Hash Defense (chapter 6, §6.5.1–§6.5.2): a float ResNet trained with CE, GML (α = 0.3)
/// or MMC, from its own initialization seed. Members of a seed-diverse ensemble differ only by that seed (§6.5.2): the data
/// order comes from <see cref="RecipeOptions.Seed"/>, shared by every member. Registered as "ehd-member" (CE, member 0).
/// </summary>
/// <remarks>
/// <para>Presets. <b>paper</b>: CIFAR-100, lr 0.1 with cosine annealing over 150 epochs (CE, GML) or lr 0.01 ×0.1 at epochs 100
/// and 150 of 200 (MMC), inputs /255 without standardization, random rescale / crop / flip (§6.5.1); the network is a
/// Pang et al.'s ResNet-32 (<see cref="Chapter6Network"/>). <b>quick</b>: Fashion-MNIST
/// (60k / 10k), ResNet-8 (1 channel), <see cref="QuickEpochs"/> epochs, the thesis' learning rates and schedules scaled to
/// the run's length, no augmentation. <b>smoke</b>: ResNet-8 on the committed Fashion-MNIST sample, a few steps.</para>
/// <para>Thesis silent (§6.5.1 states none of them; our choices, recorded in the config under "thesis_silent"): SGD with
/// momentum 0.9; weight decay 5e-4 (the usual CIFAR-100 ResNet value and chapter 5's <see cref="QatTraining.WeightDecay"/>, so
/// chapter 6 and App. A train alike; He et al.'s 1e-4 is the other common choice); batch size 128; rescale range 0.9–1.1,
/// crop padding 4 and flip probability 0.5 (chapter 5's pipeline); MMC's centers of norm 10, C_MM = 100 (Pang et al.'s code: unit centers × mean_var = 10).</para>
/// <para>The run is checkpointed (full trainer state) and resumes after an interruption; its final weights are the last
/// checkpoint, loaded by <see cref="Trained(IRunStore, Preset, RecipeOptions)"/>.</para>
/// </remarks>
public sealed class EhdMemberRecipe : IRecipe
{
    /// <summary>Epochs of the quick preset (measured: a CE member trains 4 epochs in 125 s on 2 shared cores, 91.5 % clean, so 7 members ≈ 15 min, within 25).</summary>
    public const int QuickEpochs = 4;

    /// <summary>Creates the recipe of one member.</summary>
    /// <param name="loss">CE, GML or MMC (§6.5.3's three losses).</param>
    /// <param name="memberSeed">Seed of the member's initialization (§6.5.2: the only difference between CE members).</param>
    /// <param name="settings">Options changed from the preset (null: none).</param>
    /// <exception cref="ArgumentException">AMS (not a chapter-6 loss) or an unknown dataset.</exception>
    public EhdMemberRecipe(QatLoss loss = QatLoss.CrossEntropy, long memberSeed = 0, EhdMemberOptions? settings = null)
    {
        if (loss == QatLoss.Ams)
            throw new ArgumentException("EhdMemberRecipe: chapter 6 trains members with CE, GML or MMC (§6.5.3); AMS is chapter 5's.", nameof(loss));
        settings ??= new EhdMemberOptions();
        if (settings.Dataset is { } d) Chapter6Network.CheckDataset(d, nameof(EhdMemberRecipe));
        Loss = loss; MemberSeed = memberSeed; Settings = settings;
    }

    /// <summary>The member's loss.</summary>
    public QatLoss Loss { get; }
    /// <summary>The member's initialization seed.</summary>
    public long MemberSeed { get; }
    /// <summary>Options changed from the preset.</summary>
    public EhdMemberOptions Settings { get; }

    /// <inheritdoc/>
    public string Name => "ehd-member";

    /// <inheritdoc/>
    public string Description => "Ensemble Hash Defense member (ch. 6, §6.5.1): float ResNet trained with CE, GML (α 0.3) or MMC from its own init seed";

    /// <summary>§6.5.1's learning rate: 0.1 for CE and GML, 0.01 for MMC.</summary>
    public static double PaperLr(QatLoss loss) => loss == QatLoss.Mmc ? 0.01 : 0.1;

    /// <summary>§6.5.1's length: 150 epochs for CE and GML, 200 for MMC.</summary>
    public static int PaperEpochs(QatLoss loss) => loss == QatLoss.Mmc ? 200 : 150;

    /// <summary>§6.5.1's MMC step decay as fractions of training: ×0.1 at epochs 100 and 150 of 200.</summary>
    public static IReadOnlyList<double> MmcDecayAt { get; } = [100.0 / 200, 150.0 / 200];

    /// <summary>The settings of <paramref name="preset"/> (what <see cref="Run"/> trains and <see cref="Config"/> records).</summary>
    public QatTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = Settings;
        var t = new QatTraining
        {
            Loss = Loss, WeightBits = 32, ActivationBits = 32, Seed = MemberSeed,
            Lr = s.Lr ?? PaperLr(Loss),                  // §6.5.1: 0.1 (CE, GML), 0.01 (MMC)
            Cosine = Loss != QatLoss.Mmc,                // §6.5.1: cosine annealing (CE, GML)
            LrDecayAt = Loss == QatLoss.Mmc ? MmcDecayAt : null, // §6.5.1: ×0.1 at epochs 100 and 150 (MMC)
            GmlAlpha = s.GmlAlpha ?? 0.3f,               // §6.5.1: α = 0.3
            Momentum = 0.9,                              // thesis silent
            WeightDecay = s.WeightDecay ?? 5e-4,         // thesis silent
            BatchSize = s.BatchSize ?? 128,              // thesis silent
            Standardize = false,                         // §6.5.1: /255, no standardization
            RescaleMin = 0.9, RescaleMax = 1.1,          // thesis silent (augmentation named, not parametrized)
            Dataset = preset switch
            {
                Preset.Smoke => "fashion-mnist-sample",
                Preset.Quick => s.Dataset ?? "fashion-mnist",
                _ => s.Dataset ?? "cifar100",            // §6.5.1: CIFAR-100
            },
        };
        return preset switch
        {
            Preset.Smoke => t with { Steps = 6, BatchSize = 32, EvalBatchSize = 200, LogEvery = 1 },
            Preset.Quick => t with { Epochs = s.QuickEpochs ?? QuickEpochs, EvalBatchSize = 1000, LogEvery = 20 },
            _ => t with { Epochs = PaperEpochs(Loss), EvalBatchSize = 1000, LogEvery = 50 }, // §6.5.1: 150 (CE, GML) / 200 (MMC)
        };
    }

    /// <summary>The settings the thesis does not state, as chosen here (recorded in the config).</summary>
    public static IReadOnlyList<string> ThesisSilent { get; } =
    [
        "optimizer: sgd", "momentum: 0.9", "weight decay: 5e-4 (usual CIFAR-100 ResNet value, as chapter 5)", "batch size: 128",
        "augmentation parameters: rescale 0.9-1.1, crop padding 4, flip p = 0.5", "mmc C_MM: 100, centers of norm 10 (Pang et al.'s mean_var)", "ResNet-32 details: Pang et al.'s Keras resnet_v2 code (thesis: only \"bottleneck-like blocks\")",
    ];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["preset"] = preset.Name(),
            ["member_seed"] = MemberSeed,
            ["data_seed"] = options.Seed,
            ["data"] = Chapter6Network.DataName(t.Dataset),
            ["preprocessing"] = "x/255, no standardization (§6.5.1)",
            ["augmentation"] = preset == Preset.Paper
                ? $"random rescale [{F(t.RescaleMin)}, {F(t.RescaleMax)}] + random crop pad 4 + horizontal flip (§6.5.1; parameters thesis silent)"
                : "none",
            ["model"] = Chapter6Network.ModelName(preset, t.Dataset),
            ["classes"] = Chapter6Network.Classes(t.Dataset),
            ["loss"] = t.Loss.ToString(),
            ["gml_alpha"] = t.Loss == QatLoss.Gml ? t.GmlAlpha : null,
            ["gml_init_std"] = t.Loss == QatLoss.Gml ? t.GmlInitStd : null,
            ["mmc_cmm"] = t.Loss == QatLoss.Mmc ? (double)MmcLoss.DefaultCmm : null,
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = "sgd", ["lr"] = t.Lr, ["momentum"] = t.Momentum, ["weight_decay"] = t.WeightDecay,
                ["lr_source"] = Settings.Lr is null ? "§6.5.1" : "explicit override" },
            ["scheduler"] = t.LrDecayAt is { } at
                ? $"step x0.1 at fractions [{string.Join(", ", at.Select(F))}] of training, per step (§6.5.1: epochs 100 and 150 of 200)"
                : "cosine to 0 over training, per step (§6.5.1)",
            ["batch_size"] = t.BatchSize,
            ["epochs"] = t.Steps is null ? t.Epochs : null,
            ["steps"] = t.Steps,
            ["thesis_silent"] = ThesisSilent,
        }.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    public bool RunsOnDevices => true;

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    /// <remarks>Final metrics: "accuracy" (top-1 on the test set, fraction) and "loss" (the head's training loss, last window).</remarks>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var cfg = RunConfig.From(Config(preset, options));
        var t = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var (trainLoader, testLoader) = Chapter6Network.Loaders(preset, t, options);
            using var _1 = trainLoader;
            using var _2 = testLoader;
            var net = Chapter6Network.Build(preset, t, MemberSeed);
            var opt = new Sgd(net.Parameters(), lr: t.Lr, momentum: t.Momentum, weightDecay: t.WeightDecay);
            long total = t.Steps ?? (long)t.Epochs * trainLoader.BatchesPerEpoch;
            // §6.5.1: cosine for CE and GML (Cosine = true), ×0.1 steps for MMC (LrDecayAt).
            var sched = TwoStageQat.Scheduler(opt, t, total);
            var trainer = new Trainer(net, opt, (x, y) => (net.Loss(x, y), null), new TrainerOptions
            {
                MaxSteps = t.Steps,
                MaxEpochs = t.Steps is null ? t.Epochs : null,
                Scheduler = sched,
                SchedulerInterval = SchedulerInterval.PerStep,
                CheckpointEvery = options.CheckpointEvery > 0 ? options.CheckpointEvery : preset == Preset.Smoke ? 2 : preset == Preset.Quick ? 200 : 2000,
                EvalAtEnd = true,
                Evaluate = () => new Dictionary<string, double> { ["accuracy"] = TwoStageQat.Evaluate(net, testLoader) },
                TrackAccuracy = false,
                LogEvery = t.LogEvery,
                Progress = options.Progress ?? ProgressSinks.Auto(),
                Description = $"{Name} [{preset.Name()}] {t.Loss} seed {MemberSeed}",
                Device = options.Device,   // the model moves when the trainer is built; evaluation follows it
            });
            var loss = new LastLossCallback();
            trainer.Callbacks.Add(loss);
            ctx.Attach(trainer);
            var result = trainer.Fit((e, s) => trainLoader.Epoch(e, s).Select(b => (b.Images, b.Labels)), trainLoader.BatchesPerEpoch);
            // The trainer checkpoints only before its last step: store the final weights for Trained().
            ctx.SaveCheckpoint(TrainerCheckpoint.Capture(trainer));
            double acc = result.FinalMetrics.TryGetValue("accuracy", out var a) ? a : TwoStageQat.Evaluate(net, testLoader);
            return new Dictionary<string, double> { ["accuracy"] = acc, ["loss"] = loss.Value };
        }, options.RunOptions);
    }

    /// <summary>The trained member (trained first when the store has none), in eval mode: <c>Forward</c> gives its scores
    /// (CE: logits; GML: −d_j; MMC: −½‖f − μ*_j‖²), for attacks and for the Ensemble Hash Defense.</summary>
    /// <exception cref="InvalidOperationException">The run has no stored weights.</exception>
    public QatNetwork Trained(IRunStore store, Preset preset, RecipeOptions options) => Trained(store, preset, options, out _);

    /// <summary>As <see cref="Trained(IRunStore, Preset, RecipeOptions)"/>, also giving the run (its config hash identifies the
    /// member in cached robustness results, see <see cref="Robustness.RobustnessTarget.FromRun"/>).</summary>
    public QatNetwork Trained(IRunStore store, Preset preset, RecipeOptions options, out RunResult run)
    {
        ArgumentNullException.ThrowIfNull(store);
        run = Run(store, preset, options);
        var ckpt = store.StoredWeights(run.RunId, "EhdMemberRecipe.Trained");
        var net = Chapter6Network.Build(preset, Training(preset, options), MemberSeed);
        net.LoadStateDict(TrainerCheckpoint.ModelState(ckpt));
        net.Eval();
        return net;
    }

    /// <summary>The test set through the member's test pipeline (/255), for <see cref="Robustness.RobustnessData.From"/>.</summary>
    public (ImageDataset Test, ImageTransform Transform, string Dataset) TestSet(Preset preset, RecipeOptions options) =>
        Chapter6Network.TestSet(preset, Training(preset, options), options);
}
