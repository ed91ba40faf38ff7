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
/// The thesis' WikiText-2 language model (Chapter 4): the medium tied LSTM of Inan et al. (<see cref="MediumLstmLm"/>,
/// embedding/hidden 650, 2 layers, dropout 0.4) trained with Adam lr 1e-3 and cosine annealing over the run, batch 64,
/// BPTT 35, hidden state carried with p = 0.99, for 200 epochs; reports validation and test perplexity.
/// </summary>
/// <remarks>
/// Presets: <b>paper</b> is the thesis protocol (≈ 4 s per step here, ≈ 930 steps per epoch: ≈ 200 h on 2 cores).
/// <b>quick</b> keeps the optimizer, schedule, BPTT, carry policy, dropout and two tied layers, and trains to
/// convergence at a CPU budget: the first <see cref="QuickTrainTokens"/> training tokens with the
/// <see cref="QuickVocabulary"/> most frequent words (others &lt;unk&gt;, <see cref="TextCorpus.Reduced"/>), width
/// <see cref="QuickWidth"/>, batch <see cref="QuickBatchSize"/>, <see cref="QuickEpochs"/> epochs of
/// <see cref="QuickStepsPerEpoch"/> steps (measured ≈ 7 min on 2 cores; valid/test perplexity ≈ 145/137 over the
/// 10,000-word vocabulary). Perplexities of quick and paper are not comparable (different vocabularies).
/// <b>smoke</b> trains a width-16 model for 20 steps on the committed WikiText-2 excerpt (batch 8) and evaluates on
/// 2,000 tokens. Gradient clipping by norm 0.25 is word_language_model's default and an assumption (see the config).
/// </remarks>
public sealed class WikiText2LstmRecipe : IRecipe
{
    /// <summary>Model width (embedding = hidden) of the quick preset.</summary>
    public const int QuickWidth = 256;

    /// <summary>Words kept by the quick preset (<c>&lt;unk&gt;</c> included).</summary>
    public const int QuickVocabulary = 10_000;

    /// <summary>Leading training tokens kept by the quick preset (a fifth of WikiText-2's).</summary>
    public const int QuickTrainTokens = 400_000;

    /// <summary>Token streams per batch at quick.</summary>
    public const int QuickBatchSize = 20;

    /// <summary>Epochs of the quick preset.</summary>
    public const int QuickEpochs = 8;

    /// <summary>Steps per epoch at quick: ⌈(400,000 / 20 − 1) / 35⌉ windows of 35 tokens.</summary>
    public const long QuickStepsPerEpoch = 572;

    /// <summary>The quick preset's data, as recorded in run configs.</summary>
    public const string QuickDataDescription = "wikitext-2: first 400,000 train tokens, the 10,000 most frequent words (others <unk>), full valid/test";

    /// <summary>Training steps of the quick preset (<see cref="QuickEpochs"/> × <see cref="QuickStepsPerEpoch"/>).</summary>
    public const long QuickSteps = QuickEpochs * QuickStepsPerEpoch;

    /// <inheritdoc/>
    public string Name => "wikitext2-lstm";

    /// <inheritdoc/>
    public string Description => "Medium tied LSTM LM (Inan et al.) on WikiText-2, Adam 1e-3 + cosine, batch 64, BPTT 35; paper: 200 epochs";

    /// <summary>Model size of <paramref name="preset"/>: (embedding, hidden, layers, dropout).</summary>
    public static (int Embed, int Hidden, int Layers, double Dropout) ModelSize(Preset preset) => preset switch
    {
        Preset.Smoke => (16, 16, 2, MediumLstmLm.MediumDropout),
        Preset.Quick => (QuickWidth, QuickWidth, 2, MediumLstmLm.MediumDropout),
        _ => (MediumLstmLm.MediumWidth, MediumLstmLm.MediumWidth, MediumLstmLm.MediumLayers, MediumLstmLm.MediumDropout),
    };

    /// <summary>The model of <paramref name="preset"/> for a vocabulary of <paramref name="vocabSize"/> words, initialized from
    /// <c>new Generator(seed)</c> with dropout masks from <c>new Generator(seed + 1)</c>.</summary>
    public static MediumLstmLm Model(Preset preset, int vocabSize, long seed)
    {
        var (e, h, l, d) = ModelSize(preset);
        return new MediumLstmLm(vocabSize, e, h, l, d, new Generator(seed), new Generator(seed + 1));
    }

    /// <summary>The training settings of <paramref name="preset"/> (what <see cref="Run"/> trains and <see cref="Config"/> records).</summary>
    public static LmTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var t = preset switch
        {
            Preset.Smoke => new LmTraining { Epochs = null, MaxSteps = 20, BatchSize = 8, EvalTokens = 2_000, EvalEachEpoch = false, LogEvery = 2, CheckpointEvery = 5 },
            Preset.Quick => new LmTraining { Epochs = QuickEpochs, BatchSize = QuickBatchSize, EvalEachEpoch = false, LogEvery = 50, CheckpointEvery = 500 },
            _ => new LmTraining { Epochs = 200, LogEvery = 100, CheckpointEvery = 200 },
        };
        return t with
        {
            DataSeed = options.Seed,
            CheckpointEvery = options.CheckpointEvery > 0 ? options.CheckpointEvery : t.CheckpointEvery,
        };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        var (e, h, l, d) = ModelSize(preset);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = preset switch { Preset.Smoke => "wikitext-2-sample (excerpt: 2000/300/300 lines)", Preset.Quick => WikiText2LstmRecipe.QuickDataDescription, _ => "wikitext-2" },
            ["model"] = new Dictionary<string, object?>
            {
                ["name"] = "medium-lstm-lm (Inan et al. 2016)", ["embed"] = e, ["hidden"] = h, ["layers"] = l, ["dropout"] = d,
                ["dropout_sites"] = "embedding output, between LSTM layers, last LSTM output", ["tied"] = true,
                ["init"] = "word vectors U(-0.1, 0.1), decoder bias 0, LSTM U(+-1/sqrt(hidden))",
            },
            ["optimizer"] = new Dictionary<string, object?>
            {
                ["name"] = "adam", ["lr"] = t.Lr, ["betas"] = new[] { 0.9, 0.999 }, ["eps"] = 1e-8, ["weight_decay"] = 0.0,
            },
            ["scheduler"] = new Dictionary<string, object?>
            {
                ["name"] = "cosine", ["t_max"] = "total steps of the run", ["interval"] = "step", ["eta_min"] = t.EtaMin,
                ["assumption"] = "stepped per iteration over the whole run, eta_min 0 (the thesis states cosine annealing only)",
            },
            ["loss"] = "cross_entropy (mean over tokens)",
            ["grad_clip_norm"] = t.ClipGradNorm,
            ["grad_clip_assumption"] = "0.25 is word_language_model's default; the thesis does not state a value",
            ["batch_size"] = t.BatchSize,
            ["bptt"] = t.Bptt,
            ["hidden_carry_p"] = t.KeepProbability,
            ["hidden_reset_at_epoch_start"] = true,
            ["epochs"] = t.Epochs,
            ["max_steps"] = t.MaxSteps,
            ["eval"] = "perplexity = exp(mean token NLL) on valid and test, hidden carried across windows",
            ["eval_batch_size"] = t.EvalBatchSize,
            ["eval_tokens"] = t.EvalTokens,
            ["eval_each_epoch"] = t.EvalEachEpoch,
            ["log_every"] = t.LogEvery,
            ["checkpoint_every"] = t.CheckpointEvery,
        }.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    public bool RunsOnDevices => true;

    /// <summary>The corpus of <paramref name="preset"/>: the committed excerpt for smoke, WikiText-2 otherwise.</summary>
    public static TextCorpus LoadData(Preset preset, DataOptions? data = null) => preset switch
    {
        Preset.Smoke => Samples.WikiText2(),
        Preset.Quick => Datasets.WikiText2(data).Reduced(QuickVocabulary, QuickTrainTokens),
        _ => Datasets.WikiText2(data),
    };

    /// <inheritdoc/>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cfg = RunConfig.From(Config(preset, options));
        var training = Training(preset, options);
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            var corpus = LoadData(preset, options.Data);
            var model = Model(preset, corpus.Vocab.Count, options.Seed);
            if (!options.Device.IsCpu) model.To(options.Device);   // TrainRound trains and evaluates where the model is
            return TrainRound(model, corpus, training, progress: options.Progress ?? ProgressSinks.Auto(), context: ctx,
                description: $"{Name} [{preset.Name()}]").FinalMetrics;
        }, options.RunOptions);
    }

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="corpus"/>'s training tokens as <paramref name="settings"/> says and
    /// evaluates validation and test perplexity ("valid_ppl", "valid_loss", "test_ppl", "test_loss"): the building block of
    /// the recipe and of the winning-ticket search (one call per pruning round).
    /// </summary>
    /// <param name="model">The model, trained in place (e.g. rewound and masked by the caller).</param>
    /// <param name="corpus">Token ids; the vocabulary must fit the model.</param>
    /// <param name="settings">Epochs/steps, batch, BPTT, learning rate, carry policy, clipping, evaluation.</param>
    /// <param name="callbacks">Extra trainer callbacks, called after the run's own.</param>
    /// <param name="afterStep">Called with the model after every optimizer step, e.g. to re-apply pruning masks.</param>
    /// <param name="optimizer">Builds the optimizer from the parameters (default: Adam with the settings' lr). The cosine
    /// schedule is attached to it either way.</param>
    /// <param name="progress">Progress display (default silent).</param>
    /// <param name="context">When given, the run records metrics and checkpoints (including the carried hidden state) there and resumes from its latest checkpoint.</param>
    /// <param name="description">Label of the progress display.</param>
    /// <returns>The trainer's result with the final perplexities in <see cref="TrainingResult.FinalMetrics"/>.</returns>
    /// <remarks>Trains on the model's device (<c>model.To(device)</c> first to train on a GPU).</remarks>
    /// <exception cref="ArgumentException">The vocabulary is larger than the model's, or the settings do not fit the corpus.</exception>
    public static TrainingResult TrainRound(MediumLstmLm model, TextCorpus corpus, LmTraining settings,
        IEnumerable<ITrainerCallback>? callbacks = null, Action<Module>? afterStep = null,
        Func<IEnumerable<Tensor>, Optimizer>? optimizer = null, IProgressSink? progress = null,
        ExperimentContext? context = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(settings);
        if (corpus.Vocab.Count > model.VocabSize)
            throw new ArgumentException($"WikiText2LstmRecipe.TrainRound: the corpus '{corpus.Name}' has {corpus.Vocab.Count} words but the model's vocabulary is {model.VocabSize}; build the model with vocabSize: corpus.Vocab.Count.");
        if (settings.Epochs is null && settings.MaxSteps is null)
            throw new ArgumentException("WikiText2LstmRecipe.TrainRound: set LmTraining.Epochs or MaxSteps.");
        var batcher = new LmBatcher(corpus.Train, settings.BatchSize, settings.Bptt);
        long total = Math.Min(settings.MaxSteps ?? long.MaxValue, settings.Epochs is int ep ? (long)ep * batcher.BatchesPerEpoch : long.MaxValue);
        long scheduleSteps = settings.ScheduleSteps ?? total;
        if (scheduleSteps > int.MaxValue) throw new ArgumentException($"WikiText2LstmRecipe.TrainRound: {scheduleSteps} steps exceed the cosine schedule's range.");
        if (settings.ScheduleStart < 0 || settings.ScheduleStart >= Math.Max(1, scheduleSteps))
            throw new ArgumentException($"WikiText2LstmRecipe.TrainRound: LmTraining.ScheduleStart = {settings.ScheduleStart} must lie in [0, {Math.Max(1, scheduleSteps)}) (the cosine's length); set ScheduleSteps to the whole schedule.");
        var opt = optimizer?.Invoke(model.Parameters()) ?? new Adam(model.Parameters(), lr: settings.Lr);
        var schedule = new CosineAnnealingLR(opt, tMax: (int)Math.Max(1, scheduleSteps), etaMin: settings.EtaMin);
        for (long i = 0; i < settings.ScheduleStart; i++) schedule.Step(); // resume the cosine where a rewound run left it
        var policy = new HiddenCarryPolicy(settings.KeepProbability, settings.DataSeed);
        int vocab = model.VocabSize;

        // The carried state is detached at once: it only seeds the next window, never extends this window's graph.
        (Tensor H, Tensor C)? hidden = null;
        Trainer? trainer = null;
        ForwardLoss forward = (x, y) =>
        {
            var state = trainer!.State;
            if (state.BatchInEpoch == 0 || !policy.Keep(state.Step)) hidden = null; // a new pass over the streams, or the 1 − p reset
            var (logits, h) = model.Forward(x, hidden);
            hidden = MediumLstmLm.Detach(h);
            return (F.CrossEntropy(logits.Reshape(-1, vocab), y.Reshape(-1)), null);
        };
        IReadOnlyDictionary<string, double> Evaluate()
        {
            var (vl, vp, _) = LmEvaluation.Evaluate(model, corpus.Valid, settings.EvalBatchSize, settings.Bptt, settings.EvalTokens);
            var (tl, tp, _) = LmEvaluation.Evaluate(model, corpus.Test, settings.EvalBatchSize, settings.Bptt, settings.EvalTokens);
            return new Dictionary<string, double> { ["valid_loss"] = vl, ["valid_ppl"] = vp, ["test_loss"] = tl, ["test_ppl"] = tp };
        }
        trainer = new Trainer(model, opt, forward, new TrainerOptions
        {
            MaxSteps = settings.MaxSteps,
            MaxEpochs = settings.Epochs,
            Scheduler = schedule,
            SchedulerInterval = SchedulerInterval.PerStep,
            ClipGradNorm = settings.ClipGradNorm,
            LogEvery = settings.LogEvery,
            EvalEvery = settings.EvalEvery,
            EvalEachEpoch = settings.EvalEachEpoch,
            CheckpointEvery = context is null ? 0 : settings.CheckpointEvery,
            TrackAccuracy = false,
            Evaluate = Evaluate,
            Progress = progress ?? SilentProgressSink.Instance,
            Description = description ?? $"LSTM LM ({corpus.Name})",
            Generators = new Dictionary<string, Generator> { ["dropout"] = model.DropoutGenerator ?? Generator.Default },
            Device = model.DeviceOf(),   // where the caller put the model; each window follows
        });
        if (context is not null)
        {
            context.Attach(trainer, new ExperimentCallback(context)
            {
                AddExtras = (_, tensors) =>
                {
                    if (hidden is { } hc) { tensors[HiddenH] = hc.H; tensors[HiddenC] = hc.C; }
                },
            });
            var cp = context.LatestCheckpoint();
            if (context.Resumed && cp is not null && cp.Tensors.TryGetValue(TrainerCheckpoint.ExtraPrefix + HiddenH, out var hh)
                && cp.Tensors.TryGetValue(TrainerCheckpoint.ExtraPrefix + HiddenC, out var cc))
                hidden = (hh.Clone().To(model.DeviceOf()), cc.Clone().To(model.DeviceOf()));
        }
        if (afterStep is not null) trainer.Callbacks.Add(new StepHook(afterStep));
        if (callbacks is not null) trainer.Callbacks.AddRange(callbacks);
        return trainer.Fit((e, s) => batcher.Windows(s).Select(w => (w.Inputs, w.Targets)), batcher.BatchesPerEpoch);
    }

    private const string HiddenH = "hidden_h";
    private const string HiddenC = "hidden_c";
}
