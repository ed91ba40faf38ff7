using ResearchKit.Experiments.Chapter5;
using ResearchKit.Quantization.AdaQat;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>
/// AdaQAT (Gernigon et al. 2024, arXiv 2404.16876): learned mixed-precision widths (<see cref="AdaQatCallback"/>) on chapter 5's
/// pipeline, so that its accuracy and average widths compare directly with the fixed-precision runs
/// <c>new DlQatRecipe(QatLoss.CrossEntropy, b, b)</c>: same data, network, DoReFa weights and PACT activations, 8-bit
/// first/last layers (§5.4.1), Scaled-Adjust on the last layer, SGD, batch, lr and schedule, and, in the fine-tuning scenario,
/// the same start (the CE Training I run's float weights, loaded through the store as Training II loads them) and the same number
/// of steps as Training II. Registered as "adaqat" (fine-tuning, one width per network).
/// </summary>
/// <remarks>
/// <para>Presets. <b>quick</b>: Fashion-MNIST, ResNet-20, batch 128, lr 0.01 with chapter 5's cosine decay over the run, <see cref="QuickSteps"/>
/// steps in either granularity (per layer, each width that is not frozen costs one extra forward per step, so a per-layer run
/// takes several times a network-wide one; the same length keeps its accuracy comparable with the fixed runs'). <b>smoke</b>: ResNet-8 on the committed sample, 4 steps. <b>paper</b>: chapter 5's paper settings (CIFAR-10, its
/// ResNet-18, 150 epochs per stage, batch 768, cosine): the AdaQAT paper's ResNet-20/CIFAR-10 protocol was not readable here.
/// From scratch trains as long as Training II too (the time budget; the fixed runs also had Training I's float steps).</para>
/// <para>The freeze rule of the authors' code stops an oscillating width just after it rose, so a network-wide search that
/// settles on the boundary between k and k + 1 bits ends at k + 1 (notebook 08 shows the trajectories).</para>
/// <para>Logged every LogEvery steps (and at step 1): "adaqat/weight_bits" and "adaqat/activation_bits" (mean relaxed N over the
/// learned widths), "adaqat/weight_bits_int" and "adaqat/activation_bits_int" (mean ⌈N⌉), "bitwidth/{name}" (each width's N),
/// "train/loss". Final metrics: "accuracy", "loss", "avg_wbits_int", "avg_abits_int" (plain means over the learned sites),
/// "avg_wbits_int_param_weighted" (by each layer's number of weights), "avg_abits_int_element_weighted" (by each site's
/// activation values per image), "wbits/{path}" and "abits/{path}" per learned site, "extra_forward_passes", and in the
/// fine-tuning scenario "float_accuracy" (of the shared Training I).</para>
/// <para>Resumable: checkpoints hold the trainer state and, as metadata "extra.adaqat", the widths' values, freeze counters and the
/// extra-forward count (<see cref="AdaQatState"/>), so an interrupted run resumes to the same numbers.</para>
/// </remarks>
public sealed class AdaQatRecipe : IRecipe
{
    /// <summary>Steps of a fine-tuning run at quick: chapter 5's quick Training II (<see cref="DlQatRecipe.QuickSteps"/>).</summary>
    public const long QuickSteps = DlQatRecipe.QuickSteps;


    /// <summary>Checkpoint metadata key (under <see cref="TrainerCheckpoint.ExtraPrefix"/>) of the AdaQAT state.</summary>
    public const string StateKey = "adaqat";

    /// <summary>Creates the recipe.</summary>
    /// <param name="scenario">Fine-tuning (default) or from scratch.</param>
    /// <param name="granularity">One width per network (default) or per layer.</param>
    /// <param name="overrides">Values changed from the preset's settings (null: none).</param>
    /// <exception cref="ArgumentException">An override is out of range (the message names it).</exception>
    public AdaQatRecipe(AdaQatScenario scenario = AdaQatScenario.FineTune, BitWidthGranularity granularity = BitWidthGranularity.PerNetwork, AdaQatOverrides? overrides = null)
    {
        if (!Enum.IsDefined(scenario)) throw new ArgumentException($"AdaQatRecipe: unknown scenario {scenario}; use FineTune or FromScratch.", nameof(scenario));
        if (!Enum.IsDefined(granularity)) throw new ArgumentException($"AdaQatRecipe: unknown granularity {granularity}; use PerNetwork or PerLayer.", nameof(granularity));
        Scenario = scenario; Granularity = granularity; Overrides = overrides ?? new AdaQatOverrides();
        if (Overrides.Steps is < 1) throw new ArgumentException($"AdaQatRecipe: Steps = {Overrides.Steps}; a run needs at least one step.", nameof(overrides));
        _ = Training(Preset.Smoke, new RecipeOptions()).Options; // validates the AdaQAT values now, not at the first run
    }

    /// <summary>Fine-tuning or from scratch.</summary>
    public AdaQatScenario Scenario { get; }
    /// <summary>Per network or per layer.</summary>
    public BitWidthGranularity Granularity { get; }
    /// <summary>The values changed from the preset's settings.</summary>
    public AdaQatOverrides Overrides { get; }

    /// <inheritdoc/>
    public string Name => "adaqat";

    /// <inheritdoc/>
    public string Description => "AdaQAT (Gernigon et al. 2024): learned mixed-precision W/A widths on chapter 5's DoReFa/PACT pipeline, fine-tuning or from scratch";

    /// <summary>The fixed-precision recipe whose pipeline (and, when fine-tuning, Training I weights) this one shares: CE, W/A unused.</summary>
    public static DlQatRecipe Pipeline { get; } = new(QatLoss.CrossEntropy, 4, 4);

    /// <summary>What neither the abstract nor the authors' (BERT) code states for this setting, as chosen here (in every config).</summary>
    public static IReadOnlyList<string> NotStated { get; } =
    [
        "the paper's ResNet-20/CIFAR-10 values of lambda, bit-width lr and initial widths (the authors' BERT code's values are used)",
        "quantizers: DoReFa weights and PACT activations (chapter 5's; the authors' BERT code uses symmetric LSQ), one PACT alpha shared across widths",
        "first conv, last layer and its input activation fixed at 8 bits (the kit's section 5.4.1 rule), not learned",
        "per-layer mode: simultaneous finite differences for every layer (the code searches one layer at a time by a sensitivity order)",
        "which width an oscillation between k and k + 1 bits freezes at (the code keeps k + 1; FreezeSide = AtBoundary keeps k)",
        "maximum width 8 (the code has no bound but counts widths up to 8)",
        "batch-norm running statistics restored after the probe forwards (the code does not restore them)",
        "the fine-tuning protocol: start from chapter 5's Training I float weights, train as long as Training II with its SGD, batch and lr",
        "the from-scratch protocol: the seed's initialization, trained as long as Training II (half the fixed runs' Training I + II) with its SGD, batch and lr",
        "the cost gradient is evaluated at the integer widths (as the code reads them); the task loss the weights train on has no cost term",
    ];

    /// <summary>The settings of <paramref name="preset"/> (what <see cref="Run(IRunStore, Preset, RecipeOptions)"/> trains and <see cref="Config"/> records).</summary>
    public AdaQatTraining Training(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var qat = Pipeline.Training(preset, options);
        // Training II's length in both scenarios (from scratch thus trains half the fixed runs' Training I + II budget).
        long? stageSteps = qat.Steps;
        var o = Overrides;
        return new AdaQatTraining
        {
            Qat = qat,
            Scenario = Scenario,
            Granularity = Granularity,
            Steps = o.Steps ?? stageSteps,
            Epochs = qat.Epochs,
            Lambda = o.Lambda ?? 0.02,                         // authors' code (quant_task_squad.py: 0.02 first)
            BitLearningRate = o.BitLearningRate ?? 0.1,        // authors' code (lr_W_width = lr_A_width = 0.1)
            InitialWeightBits = o.InitialWeightBits ?? 4,      // authors' code (float_W_width = 4 per layer)
            InitialActivationBits = o.InitialActivationBits ?? 4, // authors' code (float_A_width = 4)
            MinBits = o.MinBits ?? 2,                          // authors' code (N reset above 1.5: 2 bits at least)
            MaxBits = o.MaxBits ?? 8,                          // not stated (our choice; the code counts widths up to 8)
            CostKind = o.CostKind ?? AdaQatCostKind.BitProduct, // authors' code (gradient lambda*mean(A) for W, lambda*mean(W) for A)
            FreezeAfterIncreases = 10,                         // authors' code (a counter above 10 freezes)
            FreezeAtMinimum = true,                            // authors' code (N below 1.5 marks the width converged)
            FreezeSide = o.FreezeSide ?? OscillationFreeze.AfterRise, // authors' code (freezes on the rise: k + 1)
            LearnActivations = o.LearnActivations ?? true,     // the paper learns both (abstract)
            FirstLastBits = 8,                                 // §5.4.1 rule of the fixed-precision runs (not stated for AdaQAT)
            QuantizeResidualAdds = qat.Method == QatMethod.Sat, // chapter 5's SAT method: residuals at A bits
            PactInitialAlpha = 10f,                            // the kit's PACT default, as the fixed-precision runs
        };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        var t = Training(preset, options);
        var c = new Dictionary<string, object?>(Pipeline.TrainingIConfig(preset, options))
        {
            ["recipe"] = Name,
            ["scenario"] = t.Scenario == AdaQatScenario.FineTune
                ? "fine-tune from the shared chapter-5 Training I float weights (CE, same preset and seed)"
                : "from scratch (seed initialization)",
            ["steps"] = t.Steps,
            ["epochs"] = t.Steps is null ? t.Epochs : null,
            ["quantizers"] = "DoReFa weights (per tensor, round to nearest), PACT activations, at the learned widths (chapter 5's Training II quantizers)",
            ["scaled_adjust_last"] = t.Qat.ScaledAdjustLast,
            ["adaqat"] = new Dictionary<string, object?>
            {
                ["granularity"] = V(t.Granularity.ToString(), t.Granularity == BitWidthGranularity.PerNetwork
                    ? "authors' code (network-wide phase)" : "not stated (our choice: simultaneous per-layer finite differences)"),
                ["lambda"] = V(t.Lambda, Overrides.Lambda is null ? "authors' code (BERT/SQuAD: 0.02)" : "explicit override"),
                ["bit_lr"] = V(t.BitLearningRate, Overrides.BitLearningRate is null ? "authors' code (0.1)" : "explicit override"),
                ["initial_weight_bits"] = V(t.InitialWeightBits, Overrides.InitialWeightBits is null ? "authors' code (4)" : "explicit override"),
                ["initial_activation_bits"] = V(t.InitialActivationBits, Overrides.InitialActivationBits is null ? "authors' code (4)" : "explicit override"),
                ["min_bits"] = V(t.MinBits, Overrides.MinBits is null ? "authors' code (N reset above 1.5, so 2)" : "explicit override"),
                ["max_bits"] = V(t.MaxBits, Overrides.MaxBits is null ? "not stated (our choice)" : "explicit override"),
                ["cost"] = V(t.CostKind.ToString(), Overrides.CostKind is null ? "authors' code (gradient of lambda*N_w*N_a)" : "explicit override"),
                ["gradient"] = V("L(ceil N) - L(ceil N - 1) + d(lambda C)/dN, extra no-grad forwards in train mode", "authors' code"),
                ["discretization"] = V("ceil(N)", "authors' code"),
                ["learn_activations"] = V(t.LearnActivations, Overrides.LearnActivations is null ? "the abstract (weights and activations learned)" : "explicit override (false: activations fixed at the initial width)"),
                ["freeze_after_increases"] = V(t.FreezeAfterIncreases, "authors' code (10)"),
                ["freeze_at_minimum"] = V(t.FreezeAtMinimum, "authors' code"),
                ["freeze_side"] = V(t.FreezeSide.ToString(), Overrides.FreezeSide is null
                    ? "authors' code (freezes on the rise: an oscillation between k and k + 1 keeps k + 1)" : "explicit override (AtBoundary keeps k, the relaxed objective's minimizer)"),
                ["first_last_bits"] = V(t.FirstLastBits, "not stated (our choice: the section 5.4.1 rule of the fixed-precision runs)"),
                ["quantize_residual_adds"] = V(t.QuantizeResidualAdds, "chapter 5's SAT method"),
                ["pact_initial_alpha"] = V((double)t.PactInitialAlpha, "not stated (our choice: the kit's PACT default)"),
                ["steps"] = V(t.Steps, Overrides.Steps is not null ? "explicit override"
                    : "not stated (our choice: Training II's length, in both scenarios and granularities)"),
            },
            ["not_stated"] = NotStated,
        };
        // Training I's stage keys describe the shared float run, not this one.
        foreach (var k in new[] { "stage", "steps_per_stage", "epochs_per_stage" }) c.Remove(k);
        return c.WithDevice(options.Device);
    }

    /// <inheritdoc/>
    public bool RunsOnDevices => true;

    private static Dictionary<string, object?> V(object? value, string source) => new() { ["value"] = value, ["source"] = source };

    /// <inheritdoc/>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options) => Run(store, preset, options, callbacks: null);

    /// <summary>As <see cref="Run(IRunStore, Preset, RecipeOptions)"/>, with extra trainer callbacks (run after the recipe's own:
    /// e.g. one that stops or interrupts the run).</summary>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options, IEnumerable<ITrainerCallback>? callbacks)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var cfg = RunConfig.From(Config(preset, options));
        var t = Training(preset, options);
        var adaOptions = t.Options;
        return ExperimentRunner.Run(store, cfg.Json, cfg.Hash, ctx =>
        {
            RunResult? trainingI = null;
            Checkpoint? start = t.Scenario == AdaQatScenario.FineTune ? Pipeline.TrainingIWeights(store, preset, options, out trainingI) : null;
            var (trainLoader, testLoader) = DlQatRecipe.Loaders(preset, t.Qat, options);
            using var _1 = trainLoader;
            using var _2 = testLoader;
            var (net, model) = Build(preset, t, options.Seed, start);
            var driver = new AdaQatCallback(model, net, (logits, y) => Tensors.Nn.Functional.CrossEntropy(logits, y));
            var stage = t.StageSettings;
            var opt = new Sgd(net.Parameters(), lr: stage.Lr, momentum: stage.Momentum, weightDecay: stage.WeightDecay);
            long total = stage.Steps ?? (long)stage.Epochs * trainLoader.BatchesPerEpoch;
            var trainer = new Trainer(net, opt, driver.Forward, new TrainerOptions
            {
                MaxSteps = stage.Steps,
                MaxEpochs = stage.Steps is null ? stage.Epochs : null,
                Scheduler = TwoStageQat.Scheduler(opt, stage, total),
                SchedulerInterval = SchedulerInterval.PerStep,
                CheckpointEvery = options.CheckpointEvery > 0 ? options.CheckpointEvery : preset == Preset.Smoke ? 2 : preset == Preset.Quick ? 50 : 1000,
                EvalAtEnd = false,
                TrackAccuracy = false,
                LogEvery = stage.LogEvery,
                Progress = options.Progress ?? ProgressSinks.Auto(),
                Description = $"{Name} [{preset.Name()}] {t.Scenario} {t.Granularity}",
                Device = options.Device,   // the network, its quantizers and the probes' forwards follow; evaluation too
            });
            // The driver updates the widths first, so the logger and the checkpoint see the step's widths.
            trainer.Callbacks.Add(driver);
            trainer.Callbacks.Add(new WidthLogger(driver.Model, ctx));
            var last = new LastLossCallback();
            trainer.Callbacks.Add(last);
            if (ctx.Attach(trainer, new ExperimentCallback(ctx) { AddExtras = (meta, _) => meta[StateKey] = AdaQatState.Capture(driver) }))
                AdaQatState.Restore(driver, TrainerCheckpoint.ExtraMetadata(ctx.LatestCheckpoint()!, StateKey)
                    ?? throw new InvalidOperationException($"AdaQatRecipe: the checkpoint of run {ctx.RunId} has no AdaQAT state ('{TrainerCheckpoint.ExtraPrefix}{StateKey}'); delete the run to train it again."));
            if (callbacks is not null) trainer.Callbacks.AddRange(callbacks);
            trainer.Fit((e, s) => trainLoader.Epoch(e, s).Select(b => (b.Images, b.Labels)), trainLoader.BatchesPerEpoch);
            ctx.SaveCheckpoint(TrainerCheckpoint.Capture(trainer, new Dictionary<string, string> { [StateKey] = AdaQatState.Capture(driver) }));

            double acc = TwoStageQat.Evaluate(net, testLoader);
            ctx.LogMetric(trainer.State.Step, "eval/accuracy", acc);
            var final = new Dictionary<string, double>(FinalBits(model, net, testLoader))
            {
                ["accuracy"] = acc,
                ["loss"] = last.Value,
                ["extra_forward_passes"] = driver.ExtraForwardPasses,
            };
            if (trainingI is not null) final["float_accuracy"] = trainingI.FinalMetrics["float_accuracy"];
            return final;
        }, options.RunOptions);
    }

    /// <summary>
    /// The trained AdaQAT network (trained first when the store has none), quantized at its learned widths, in eval mode, with
    /// those widths (for memory and per-layer plots).
    /// </summary>
    /// <exception cref="InvalidOperationException">The run has no stored weights or AdaQAT state.</exception>
    public AdaQatNetwork Trained(IRunStore store, Preset preset, RecipeOptions options, out RunResult run)
    {
        ArgumentNullException.ThrowIfNull(store);
        run = Run(store, preset, options);
        var ckpt = store.StoredWeights(run.RunId, "AdaQatRecipe.Trained");
        var t = Training(preset, options);
        var (net, model) = Build(preset, t, options.Seed, start: null);
        net.LoadStateDict(TrainerCheckpoint.ModelState(ckpt));
        var driver = new AdaQatCallback(model, net, (logits, y) => Tensors.Nn.Functional.CrossEntropy(logits, y));
        AdaQatState.Restore(driver, TrainerCheckpoint.ExtraMetadata(ckpt, StateKey)
            ?? throw new InvalidOperationException($"AdaQatRecipe.Trained: run {run.RunId}'s checkpoint has no AdaQAT state; delete it from the store to train it again."));
        net.Eval();
        return new AdaQatNetwork(net, model);
    }

    /// <summary>The chapter-5 network of <paramref name="t"/> (from <paramref name="start"/>'s float weights when given), converted for AdaQAT.</summary>
    internal static (QatNetwork Net, AdaQatModel Model) Build(Preset preset, AdaQatTraining t, long seed, Checkpoint? start)
    {
        var net = DlQatRecipe.Network(preset, t.Qat, seed);
        // As TwoStageQat.TrainingIIFrom: the float weights go into the float network, then it is converted.
        if (start is not null) net.LoadStateDict(start.Tensors);
        var lastWeight = t.Qat.ScaledAdjustLast ? FloatWeight(net.Classifier) : null;
        return (net, AdaQatModel.Convert(net.Model, t.Options, lastWeight));
    }

    private static Tensor FloatWeight(Tensors.Nn.Module<Tensor, Tensor> classifier) => classifier switch
    {
        Tensors.Nn.Linear l => l.Weight,
        var m => throw new InvalidOperationException($"AdaQatRecipe: the final layer is a {m.GetType().Name}, not a float Linear; build the network with the standard layers."),
    };

    private static Dictionary<string, double> FinalBits(AdaQatModel model, QatNetwork net, Data.DataLoader test)
    {
        var sample = test.Epoch(0).First().Images.To(net.DeviceOf());   // where the network is
        var s = AdaQatBitSummary.Of(model, net.Model, sample);
        var d = new Dictionary<string, double>
        {
            ["avg_wbits_int"] = s.WeightBits,
            ["avg_abits_int"] = s.ActivationBits,
            ["avg_wbits_int_param_weighted"] = s.WeightBitsParameterWeighted,
            ["avg_abits_int_element_weighted"] = s.ActivationBitsElementWeighted,
        };
        foreach (var site in s.Sites) d[(site.IsWeight ? "wbits/" : "abits/") + site.Path] = site.Bits;
        return d;
    }

    /// <summary>Logs the widths' trajectories every LogEvery steps and at step 1.</summary>
    private sealed class WidthLogger(AdaQatModel model, ExperimentContext ctx) : ITrainerCallback
    {
        public void OnStepEnd(Trainer trainer, in StepInfo info)
        {
            if (info.Step != 1 && info.Step % trainer.Options.LogEvery != 0) return;
            Log(info.Step, "weight", model.WeightBitWidths);
            Log(info.Step, "activation", model.ActivationBitWidths);
            foreach (var w in model.BitWidths) ctx.LogMetric(info.Step, "bitwidth/" + w.Name, w.Value);
        }

        private void Log(long step, string role, IReadOnlyList<LearnedBitWidth> widths)
        {
            if (widths.Count == 0) return;
            ctx.LogMetric(step, $"adaqat/{role}_bits", widths.Average(w => w.Value));
            ctx.LogMetric(step, $"adaqat/{role}_bits_int", widths.Average(w => (double)w.Bits));
        }
    }
}
