using ResearchKit.Data;
using ResearchKit.Models;
using ResearchKit.Pruning;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;

namespace ResearchKit.Experiments.Chapter4;

/// <summary>
/// Winning tickets of the seq-MNIST LSTM (Chapter 4): Algorithm 2 with the thesis' columns, without sub-sampling
/// (§4.5.3, Table 4.3: Rand_init, WT, WT_1200, WT_30k, IMP) or with it (§4.5.4, Table 4.6: Rand_init, WT, WT_13.2k,
/// IMP). Each column is one run in the store (<see cref="RunColumn"/>); the columns of one experiment share the dense
/// round 0 through round checkpoints under <c>&lt;runs&gt;/tickets/&lt;hash&gt;/</c>, which captures θ at every t_save.
/// </summary>
/// <remarks>
/// <para>Presets: <b>paper</b> is the thesis protocol (<see cref="Protocol"/>). <b>smoke</b> trains 12 pixel-level
/// iterations of batch 10 per round on 200 of the committed sample images, tests on 50 others, with P = (0.5, 0.8) and
/// the sub-sampling targets divided by 3,000 (seconds). <b>quick</b> reads the images row by row (28 steps of 28 pixels) on full MNIST, 1,000 iterations per round, the
/// six objectives; with sub-sampling the thesis' rates thin the 28 rows (S divided by 36 as T); t_save keeps its ratio
/// to T.</para>
/// <para>Registered in <see cref="Recipes.All"/> as "seqmnist-lstm-tickets" and "seqmnist-lstm-subsampled-tickets"
/// with the default scope <see cref="SeqMnistPruningScope.AllParameters"/>.</para>
/// </remarks>
public sealed class SeqMnistTicketsRecipe : IRecipe
{
    /// <summary>T without sub-sampling: 120,000 iterations (§4.5.3, Table 4.3).</summary>
    public const long PaperIterations = 120_000;

    /// <summary>T with sub-sampling: 36,000 iterations, the dense sub-sampled training of Table 4.5 (§4.5.4 does not restate T for the ticket runs).</summary>
    public const long PaperSubsampledIterations = 36_000;

    /// <summary>Iterations per round of the smoke preset.</summary>
    public const long SmokeIterations = 12;

    /// <summary>Iterations per round at quick (rows of 28 pixels).</summary>
    public const long QuickIterations = 1_000;

    /// <summary>The quick preset divides the thesis' step targets S by this (36k / 1,000), as it divides T.</summary>
    public const int QuickScheduleScale = (int)(PaperSubsampledIterations / QuickIterations);

    /// <summary>The smoke preset divides the thesis' sub-sampling targets by this (3k … 12k → 1 … 4 of 12 iterations).</summary>
    public const int SmokeScheduleScale = 3_000;

    /// <summary>Creates the recipe.</summary>
    /// <param name="subsampling">The sub-sampled experiment (§4.5.4) instead of the plain one (§4.5.3).</param>
    /// <param name="scope">Which parameters are pruned (default: all, which reproduces Table 4.4).</param>
    /// <param name="standardization">Per-image (default) or dataset standardization; §4.5.1 does not say which.</param>
    /// <param name="choices">Mask enforcement and optimizer state between rounds, where the thesis is silent (default: <see cref="TicketProtocolChoices.Default"/>).</param>
    public SeqMnistTicketsRecipe(bool subsampling = false, SeqMnistPruningScope scope = SeqMnistPruningScope.AllParameters,
        MnistStandardization standardization = MnistStandardization.PerImage, TicketProtocolChoices? choices = null)
    {
        Choices = (choices ?? TicketProtocolChoices.Default).Validated() with { ConstantLearningRate = true }; // §4.5.3: RMSprop, no schedule
        Subsampling = subsampling;
        Scope = scope;
        Standardization = standardization;
    }

    /// <summary>The choices where the thesis is silent.</summary>
    public TicketProtocolChoices Choices { get; }

    /// <summary>How the pixels are standardized.</summary>
    public MnistStandardization Standardization { get; }

    /// <summary>Whether this is the sub-sampled experiment (§4.5.4, Table 4.6).</summary>
    public bool Subsampling { get; }

    /// <summary>Which parameters are pruned.</summary>
    public SeqMnistPruningScope Scope { get; }

    /// <inheritdoc/>
    public string Name => (Subsampling ? "seqmnist-lstm-subsampled-tickets" : "seqmnist-lstm-tickets")
        + (Scope == SeqMnistPruningScope.AllParameters ? "" : "-weights-only")
        + (Standardization == MnistStandardization.PerImage ? "" : "-dataset-std");

    /// <inheritdoc/>
    public string Description => Subsampling
        ? "Winning tickets of the seq-MNIST LSTM with sub-sampling (Table 4.6): Rand_init, WT, WT_13.2k, IMP; paper: T = 36k"
        : "Winning tickets of the seq-MNIST LSTM (Table 4.3): Rand_init, WT, WT_1200, WT_30k, IMP; paper: T = 120k";

    /// <summary>The protocol of <paramref name="preset"/> for this experiment.</summary>
    public SeqMnistTicketProtocol Protocol(Preset preset)
    {
        // Thesis values; smoke and quick scale T and keep the ratios t_save / T.
        long paperT = Subsampling ? PaperSubsampledIterations : PaperIterations; // §4.5.3 (120k), Table 4.5 (36k)
        long t = preset switch { Preset.Smoke => SmokeIterations, Preset.Quick => QuickIterations, _ => paperT };
        long Save(long thesis) => TicketRuns.ScaleSaveStep(thesis, paperT, t);
        TicketColumn[] columns = Subsampling
            ?
            [
                new("Rand_init", TicketConfiguration.RandomInit, null, SubsampleRetraining: true),          // §4.5.4: sub-sampling in every retraining
                new("WT", TicketConfiguration.WinningTicket, 0, SubsampleRetraining: true),                 // §4.5.4: t_save = 0, sub-sampled retraining
                new("WT_13.2k", TicketConfiguration.WinningTicketWithSave, Save(13_200), SubsampleRetraining: false), // Table 4.6: t_save = 13,200, no sub-sampling
                new("IMP", TicketConfiguration.IterativeMagnitudePruning, null, SubsampleRetraining: false),  // Table 4.6: retrained without sub-sampling
            ]
            :
            [
                new("Rand_init", TicketConfiguration.RandomInit, null),                   // §4.5.3
                new("WT", TicketConfiguration.WinningTicket, 0),                         // §4.5.3: t_save = 0
                new("WT_1200", TicketConfiguration.WinningTicketWithSave, Save(1_200)),   // Table 4.3: t_save = 1,200 (epoch 2)
                new("WT_30k", TicketConfiguration.WinningTicketWithSave, Save(30_000)),   // Table 4.3: t_save = 30,000
                new("IMP", TicketConfiguration.IterativeMagnitudePruning, null),         // §4.5.3: no rewind
            ];
        // §4.5.4: R = (8, 6, 4, 2), S = (3k, 6k, 9k, 12k); smoke and quick divide S as they divide T. At quick the
        // rates thin the 28 rows of an image (lengths 3, 4, 7, 14, then 28) as the paper's thin its 784 pixels.
        var schedule = !Subsampling ? null
            : SeqMnistLstmRecipe.Schedule(preset switch { Preset.Smoke => SmokeScheduleScale, Preset.Quick => QuickScheduleScale, _ => 1 });
        return preset switch
        {
            Preset.Smoke => new SeqMnistTicketProtocol
            {
                Subsampled = schedule is not null, Iterations = t, BatchSize = 10, IterationsPerEpoch = 20, Optimizer = "rmsprop", Lr = 1e-3,
                Objectives = [0.5, 0.8], Epsilon = MagnitudePruning.DefaultEpsilon,
                SubsamplingRates = schedule?.Rates.ToArray() ?? [], SubsamplingStepTargets = schedule?.StepTargets.ToArray() ?? [],
                Scope = Scope, Standardization = Standardization, Choices = Choices, PixelsPerStep = 1, Columns = columns, TrainImages = 200, TestImages = 50, LogEvery = 2, EvalBatchSize = 50,
            },
            Preset.Quick => new SeqMnistTicketProtocol
            {
                Subsampled = schedule is not null, Iterations = t, BatchSize = 100, IterationsPerEpoch = 600, Optimizer = "rmsprop", Lr = 1e-3,
                Objectives = TicketConfig.ThesisObjectives, Epsilon = MagnitudePruning.DefaultEpsilon,
                SubsamplingRates = schedule?.Rates.ToArray() ?? [], SubsamplingStepTargets = schedule?.StepTargets.ToArray() ?? [],
                Scope = Scope, Standardization = Standardization, Choices = Choices, PixelsPerStep = 28, Columns = columns, TrainImages = 60_000, TestImages = 10_000, LogEvery = 50, EvalBatchSize = 500,
            },
            _ => new SeqMnistTicketProtocol
            {
                Subsampled = Subsampling,
                Iterations = t,                                   // §4.5.3: T = 120,000; §4.5.4 / Table 4.5: 36,000
                BatchSize = 100,                                  // §4.5.3
                IterationsPerEpoch = 600,                         // §4.5.3: 600 iterations per epoch
                Optimizer = "rmsprop", Lr = 1e-3,                 // §4.5.3: RMSprop, lr 1e-3
                Objectives = TicketConfig.ThesisObjectives,       // §4.5.3: P = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
                Epsilon = MagnitudePruning.DefaultEpsilon,        // Algorithm 3: ε = 3e-4
                SubsamplingRates = schedule?.Rates.ToArray() ?? [], SubsamplingStepTargets = schedule?.StepTargets.ToArray() ?? [], // §4.5.4
                Scope = Scope,                                    // Table 4.4: one threshold over all parameters (default)
                Standardization = Standardization,                // §4.5.1: "on each image"; statistics not stated
                Choices = Choices,                                // not stated: TicketProtocolChoices
                PixelsPerStep = 1,                                // §4.5.2: 784 steps of one pixel
                Columns = columns,
                TrainImages = 60_000, TestImages = 10_000, LogEvery = 100, EvalBatchSize = 500,
            },
        };
    }

    /// <summary>The columns of <paramref name="preset"/>: thesis name, configuration, t_save, whether retraining sub-samples.</summary>
    public IReadOnlyList<TicketColumn> Columns(Preset preset) => Protocol(preset).Columns;

    /// <summary>
    /// The pruning plan of <paramref name="scope"/> on <paramref name="model"/> (objectives are set per round):
    /// one group "all" over every parameter, or groups "lstm" (weight matrices) and "other" (FC weight).
    /// </summary>
    public static PruningPlan Plan(Module model, SeqMnistPruningScope scope, double epsilon = MagnitudePruning.DefaultEpsilon)
    {
        ArgumentNullException.ThrowIfNull(model);
        return scope switch
        {
            SeqMnistPruningScope.AllParameters => new PruningPlan([new PruningGroup("all", model.NamedParameters().Select(p => p.Name), 0)], PruningMethod.Threshold, epsilon),
            SeqMnistPruningScope.LstmAndFcWeights => PruningPlan.Recurrent(model, 0, 0, PruningMethod.Threshold, epsilon),
            _ => throw new ArgumentException($"SeqMnistTicketsRecipe.Plan: unknown scope {scope}; use AllParameters or LstmAndFcWeights.", nameof(scope)),
        };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?> Config(Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var p = Protocol(preset);
        return new Dictionary<string, object?>
        {
            ["recipe"] = Name,
            ["preset"] = preset.Name(),
            ["seed"] = options.Seed,
            ["data"] = preset == Preset.Smoke ? $"mnist-sample-1000 ({p.TrainImages} train / {p.TestImages} test)" : "mnist (60k train / 10k test)",
            ["model"] = new Dictionary<string, object?> { ["name"] = "lstm-fc-last-step", ["hidden"] = 128, ["layers"] = 1, ["classes"] = 10, ["pixels_per_step"] = p.PixelsPerStep },
            ["iterations"] = p.Iterations,
            ["batch_size"] = p.BatchSize,
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = p.Optimizer, ["lr"] = p.Lr },
            ["objectives"] = p.Objectives.ToArray(),
            ["epsilon"] = p.Epsilon,
            ["scope"] = p.Scope.ToString(),
            ["standardization"] = p.Standardization.ToString(),
            ["subsampled"] = p.Subsampled,
            ["subsampling_rates"] = p.SubsamplingRates.ToArray(),
            ["subsampling_step_targets"] = p.SubsamplingStepTargets.ToArray(),
            ["capture_steps"] = p.SaveSteps.Values.Order().ToArray(),
            ["log_every"] = p.LogEvery,
            ["eval_batch_size"] = p.EvalBatchSize,
            ["choices"] = p.Choices.ToConfig(),
        };
    }

    /// <summary>The config of one column's run: <see cref="Config"/> plus the column.</summary>
    public IReadOnlyDictionary<string, object?> ColumnConfig(Preset preset, RecipeOptions options, TicketColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return TicketRuns.ColumnConfig(Config(preset, options), Check(Protocol(preset), column), Protocol(preset).Iterations);
    }

    /// <summary>Train and test images of <paramref name="preset"/> (smoke: the committed sample, 200 / 50; otherwise MNIST).</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadData(Preset preset, DataOptions? data = null)
    {
        if (preset != Preset.Smoke) return (Datasets.Mnist(train: true, data), Datasets.Mnist(train: false, data));
        var sample = Samples.Mnist();
        return (sample.Subset(Enumerable.Range(0, 200).ToArray(), "MNIST sample (200 train)"),
                sample.Subset(Enumerable.Range(800, 50).ToArray(), "MNIST sample (50 test)"));
    }

    /// <summary>
    /// Runs one column's search (or returns its stored run): per-round metrics at step = round ("objective", "sparsity",
    /// "sparsity/&lt;group&gt;", "accuracy", "loss", "iterations", "subsampled", "layer/&lt;category&gt;/total|pruned").
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="column"/> is not a column of this experiment at <paramref name="preset"/>.</exception>
    public RunResult RunColumn(IRunStore store, Preset preset, RecipeOptions options, TicketColumn column)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        this.RequireDevicePath(options);
        var protocol = Protocol(preset);
        Check(protocol, column);
        return TicketRuns.RunColumn(store, Config(preset, options), column, protocol.Iterations, () =>
        {
            var (train, test) = LoadData(preset, options.Data);
            return (new SeqMnistLstm(generator: new Generator(0), pixelsPerStep: protocol.PixelsPerStep),
                    Search(protocol, column, train, test, options, $"{Name} [{preset.Name()}] {column.Name}"));
        }, options.RunOptions);
    }

    /// <summary>Runs every column (<see cref="RunColumn"/>), keyed by column name.</summary>
    public IReadOnlyDictionary<string, RunResult> RunColumns(IRunStore store, Preset preset, RecipeOptions options) =>
        Columns(preset).ToDictionary(c => c.Name, c => RunColumn(store, preset, options, c));

    /// <summary>Runs every column, then records a summary run ("&lt;column&gt;/accuracy" etc. at step = round).</summary>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.RequireDevicePath(options);
        return TicketRuns.RunAll(store, Config(preset, options), Columns(preset), c => RunColumn(store, preset, options, c),
            ["accuracy", "loss", "iterations"], options.RunOptions);
    }

    /// <summary>The search of one column: one model generator for the whole search (every createModel draws new weights).</summary>
    private static TicketSearch Search(SeqMnistTicketProtocol protocol, TicketColumn column, ImageDataset train, ImageDataset test, RecipeOptions options, string label)
    {
        var gen = new Generator(options.Seed);
        var probe = new SeqMnistLstm(generator: new Generator(0), pixelsPerStep: protocol.PixelsPerStep);
        var config = new TicketConfig(column.Configuration, Plan(probe, protocol.Scope, protocol.Epsilon))
        {
            Objectives = protocol.Objectives,
            SaveStep = column.SaveStep,
            CaptureSteps = protocol.SaveSteps.Values.ToArray(),
            KeepRoundMasks = true,
            Masking = protocol.Choices.Masking,
            OptimizerState = protocol.Choices.OptimizerState,
        };
        var progress = options.Progress ?? ProgressSinks.Auto();
        return new TicketSearch(config, () => new SeqMnistLstm(generator: gen, pixelsPerStep: protocol.PixelsPerStep), (m, _, ctx) =>
        {
            var settings = protocol.RoundTraining(column, ctx.Round, options.Seed);
            var r = SeqMnistLstmRecipe.TrainRound((SeqMnistLstm)m, train, test, settings, callbacks: [ctx.Callback],
                optimizer: ps => ctx.Prepare(new RmsProp(ps, lr: settings.Lr, alpha: settings.Alpha, eps: settings.Eps)),
                progress: progress, description: $"{label} round {ctx.Round}");
            return new RoundResult(new Dictionary<string, double>(r.FinalMetrics)
            {
                ["iterations"] = r.Steps,
                ["subsampled"] = settings.Subsampling is null ? 0 : 1,
            });
        })
        { Generators = new Dictionary<string, Generator> { ["init"] = gen } };
    }

    private static TicketColumn Check(SeqMnistTicketProtocol protocol, TicketColumn column) => TicketRuns.Check("SeqMnistTicketsRecipe", protocol.Columns, column);
}
