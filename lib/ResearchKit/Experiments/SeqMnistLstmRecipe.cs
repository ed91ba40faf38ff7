using ResearchKit.Data;
using ResearchKit.Models;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Experiments;

/// <summary>
/// Sequential (pixel-by-pixel) MNIST with the thesis' LSTM (<see cref="SeqMnistLstm"/>, 1×128, 68k parameters):
/// RMSprop lr 1e-3, batch 100, cross-entropy, per-image standardization, 120,000 iterations; the sub-sampled variant
/// trains 36,000 iterations with R = (8, 6, 4, 2), S = (3k, 6k, 9k, 12k) (Algorithm 4). Logs "train/loss" (Figs 4.3/4.5)
/// and the test accuracy ("eval/accuracy") at the end.
/// </summary>
/// <remarks>
/// Presets: <b>paper</b> is the thesis protocol verbatim. <b>quick</b> trains <see cref="QuickIterations"/> iterations on the
/// full training set with the sub-sampling step targets divided by <see cref="QuickScheduleScale"/> (the relative
/// position of the switches in the run is kept: S/iterations is 12k/36k in both), and tests on the 10,000 test images
/// (≈ 5 min sub-sampled, ≈ 6–10 min without on 2 cores; measured test accuracy 42% with sub-sampling vs 11% without).
/// <b>smoke</b> trains 24 iterations of batch 20 on 800 of the committed 1,000 sample images (S divided by 750) and
/// tests on the other 200. Registered twice in <see cref="Recipes.All"/>: "seqmnist-lstm" and "seqmnist-lstm-subsampled".
/// </remarks>
public sealed class SeqMnistLstmRecipe : IRecipe
{
    /// <summary>Iterations of the thesis without sub-sampling.</summary>
    public const long PaperIterations = 120_000;

    /// <summary>Iterations of the thesis with sub-sampling.</summary>
    public const long PaperSubsampledIterations = 36_000;

    /// <summary>Iterations of the quick preset (both variants, so their loss curves compare step for step).</summary>
    public const long QuickIterations = 1_200;

    /// <summary>The quick preset divides the thesis' step targets S by this (12k → 400, a third of <see cref="QuickIterations"/> as 12k is of 36k).</summary>
    public const int QuickScheduleScale = 30;

    /// <summary>Creates the recipe, with or without the sub-sampling schedule.</summary>
    public SeqMnistLstmRecipe(bool subsampling = false) => Subsampling = subsampling;

    /// <summary>Whether the recipe trains with the sub-sampling schedule.</summary>
    public bool Subsampling { get; }

    /// <inheritdoc/>
    public string Name => Subsampling ? "seqmnist-lstm-subsampled" : "seqmnist-lstm";

    /// <inheritdoc/>
    public string Description => Subsampling
        ? "LSTM 1x128 on sequential MNIST with the sub-sampling schedule R=(8,6,4,2), S=(3k,6k,9k,12k); paper: 36k iterations"
        : "LSTM 1x128 on sequential MNIST (784 steps), RMSprop 1e-3, batch 100; paper: 120k iterations";

    /// <summary>The thesis' schedule with its step targets divided by <paramref name="scale"/>.</summary>
    public static SubsamplingSchedule Schedule(int scale = 1)
    {
        var d = SubsamplingSchedule.Default();
        var targets = new long[d.StepTargets.Count];
        for (int i = 0; i < targets.Length; i++) targets[i] = d.StepTargets[i] / scale;
        return new SubsamplingSchedule(d.Rates.ToArray(), targets);
    }

    /// <summary>The divisor of the thesis' step targets at <paramref name="preset"/>.</summary>
    public static int ScheduleScale(Preset preset) => preset switch
    {
        Preset.Smoke => 750,
        Preset.Quick => QuickScheduleScale,
        _ => 1,
    };

    /// <summary>The training settings of <paramref name="preset"/> for this variant (what <see cref="Run"/> trains, and what <see cref="Config"/> records).</summary>
    public SeqMnistTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var schedule = Subsampling ? Schedule(ScheduleScale(preset)) : null;
        var t = preset switch
        {
            Preset.Smoke => new SeqMnistTraining { Iterations = 24, BatchSize = 20, LogEvery = 2, CheckpointEvery = 8, EvalBatchSize = 100 },
            Preset.Quick => new SeqMnistTraining { Iterations = QuickIterations, LogEvery = 20, CheckpointEvery = 100 },
            _ => new SeqMnistTraining { Iterations = Subsampling ? PaperSubsampledIterations : PaperIterations, LogEvery = 100, CheckpointEvery = 1000 },
        };
        return t with
        {
            Subsampling = schedule,
            DataSeed = options.Seed,
            CheckpointEvery = options.CheckpointEvery > 0 ? options.CheckpointEvery : t.CheckpointEvery,
        };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        var s = t.Subsampling;
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = preset == Preset.Smoke ? "mnist-sample-1000 (800 train / 200 test)" : "mnist (60k train / 10k test)",
            ["preprocessing"] = t.Standardization == MnistStandardization.PerImage
                ? "per-image standardization, row-major pixel sequences (N, 784, 1)"
                : "dataset standardization (x - 0.1307) / 0.3081, row-major pixel sequences (N, 784, 1)",
            ["model"] = new Dictionary<string, object?>
            {
                ["name"] = "lstm-fc-last-step", ["input_size"] = SeqMnistLstm.InputSize, ["hidden"] = 128, ["layers"] = 1,
                ["classes"] = 10, ["parameters"] = 68_362, ["init"] = "pytorch-default",
            },
            ["optimizer"] = new Dictionary<string, object?>
            {
                ["name"] = "rmsprop", ["lr"] = t.Lr, ["alpha"] = t.Alpha, ["eps"] = t.Eps, ["momentum"] = 0.0, ["weight_decay"] = 0.0, ["centered"] = false,
                ["assumption"] = "alpha, eps: PyTorch defaults (the thesis states only lr)",
            },
            ["scheduler"] = "none",
            ["loss"] = "cross_entropy",
            ["grad_clip"] = "none",
            ["batch_size"] = t.BatchSize,
            ["iterations"] = t.Iterations,
            ["subsampling"] = s is not null,
            ["subsampling_rates"] = s?.Rates.ToArray(),
            ["subsampling_step_targets"] = s?.StepTargets.ToArray(),
            ["subsampling_scale"] = s is null ? null : ScheduleScale(preset),
            ["log_every"] = t.LogEvery,
            ["eval"] = "test accuracy at the end, full-length sequences",
            ["eval_batch_size"] = t.EvalBatchSize,
            ["checkpoint_every"] = t.CheckpointEvery,
        }.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    public bool RunsOnDevices => true;

    /// <summary>Train and test sets of <paramref name="preset"/>: the committed sample split 800/200 for smoke, MNIST otherwise.</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadData(Preset preset, DataOptions? data = null)
    {
        if (preset != Preset.Smoke) return (Datasets.Mnist(train: true, data), Datasets.Mnist(train: false, data));
        var sample = Samples.Mnist();
        return (sample.Subset(Enumerable.Range(0, 800).ToArray(), "MNIST sample (800 train)"),
                sample.Subset(Enumerable.Range(800, 200).ToArray(), "MNIST sample (200 test)"));
    }

    /// <inheritdoc/>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cfg = RunConfig.From(Config(preset, options));
        var training = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var (train, test) = LoadData(preset, options.Data);
            var model = new SeqMnistLstm(generator: new Generator(options.Seed));
            if (!options.Device.IsCpu) model.To(options.Device);   // TrainRound trains and evaluates where the model is
            return TrainRound(model, train, test, training, progress: options.Progress ?? ProgressSinks.Auto(), context: ctx,
                description: $"{Name} [{preset.Name()}]").FinalMetrics;
        }, options.RunOptions);
    }

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> as <paramref name="settings"/> says and evaluates it on
    /// <paramref name="test"/> at the end (full-length sequences): the building block of the recipe and of the winning-ticket
    /// search (one call per pruning round).
    /// </summary>
    /// <param name="model">The model, trained in place (e.g. rewound and masked by the caller).</param>
    /// <param name="train">Training images (standardized per image and read as 784-step sequences here).</param>
    /// <param name="test">Test images.</param>
    /// <param name="settings">Iterations, batch, learning rate, sub-sampling schedule, logging.</param>
    /// <param name="callbacks">Extra trainer callbacks (e.g. capturing θ at t_save, recording the loss curve), called after the run's own.</param>
    /// <param name="afterStep">Called with the model after every optimizer step, e.g. to re-apply pruning masks.</param>
    /// <param name="optimizer">Builds the optimizer from the parameters (default: RMSprop with the settings' lr, α, ε).</param>
    /// <param name="progress">Progress display (default silent).</param>
    /// <param name="context">When given, the run records "train/*" and "eval/*" metrics and checkpoints there, and resumes from its latest checkpoint.</param>
    /// <param name="description">Label of the progress display.</param>
    /// <returns>The trainer's result; <see cref="TrainingResult.FinalMetrics"/> holds the test "accuracy", "loss" and "top5".</returns>
    /// <remarks>Trains on the model's device (<c>model.To(device)</c> first to train on a GPU).</remarks>
    public static TrainingResult TrainRound(SeqMnistLstm model, ImageDataset train, ImageDataset test, SeqMnistTraining settings,
        IEnumerable<ITrainerCallback>? callbacks = null, Action<Module>? afterStep = null,
        Func<IEnumerable<Tensor>, Optimizer>? optimizer = null, IProgressSink? progress = null,
        ExperimentContext? context = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.BatchSize > train.Count)
            throw new ArgumentException($"SeqMnistLstmRecipe.TrainRound: batch size {settings.BatchSize} exceeds the {train.Count} training images; lower SeqMnistTraining.BatchSize.");
        int k = settings.PixelsPerStep;
        if (k != model.PixelsPerStep)
            throw new ArgumentException($"SeqMnistLstmRecipe.TrainRound: the settings read {k} pixel(s) per step but the model was built for {model.PixelsPerStep}; build it with new SeqMnistLstm(pixelsPerStep: {k}).");
        var opt = optimizer?.Invoke(model.Parameters()) ?? new RmsProp(model.Parameters(), lr: settings.Lr, alpha: settings.Alpha, eps: settings.Eps);
        using var trainLoader = SequentialMnist.Loader(train, settings.BatchSize, shuffle: true, settings.DataSeed, dropLast: true, standardization: settings.Standardization);
        using var testLoader = SequentialMnist.Loader(test, settings.EvalBatchSize, shuffle: false, settings.DataSeed, standardization: settings.Standardization);
        var schedule = settings.Subsampling;
        Trainer? trainer = null;
        ForwardLoss forward = (x, y) =>
        {
            // The trainer's step counter is the index of the step being computed: Algorithm 4 picks its rate from it.
            var seqs = SequentialMnist.ToSequences(x, k);
            if (schedule is not null) seqs = schedule.Apply(seqs, trainer!.State.Step);
            var logits = model.Forward(seqs);
            return (F.CrossEntropy(logits, y), logits);
        };
        trainer = new Trainer(model, opt, forward, new TrainerOptions
        {
            MaxSteps = settings.Iterations,
            LogEvery = settings.LogEvery,
            EvalEvery = settings.EvalEvery,
            CheckpointEvery = context is null ? 0 : settings.CheckpointEvery,
            Evaluate = () => Metrics.Evaluate(model, testLoader.Epoch(0).Select(b => (SequentialMnist.ToSequences(b.Images, k), b.Labels))),
            Progress = progress ?? SilentProgressSink.Instance,
            Description = description ?? $"seq-MNIST LSTM ({train.Name})",
            Device = model.DeviceOf(),   // where the caller put the model; each batch follows
        });
        context?.Attach(trainer);
        if (afterStep is not null) trainer.Callbacks.Add(new StepHook(afterStep));
        if (callbacks is not null) trainer.Callbacks.AddRange(callbacks);
        return trainer.Fit((e, s) => trainLoader.Epoch(e, s).Select(b => (b.Images, b.Labels)), trainLoader.BatchesPerEpoch);
    }
}
