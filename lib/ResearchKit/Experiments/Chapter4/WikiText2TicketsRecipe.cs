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
/// Winning tickets of the WikiText-2 language model (§4.6.3, Table 4.8): Algorithm 2 with columns Rand_init, WT,
/// WT_1830 and IMP; each round prunes the tied embedding/decoder matrix (group "embedding") and the LSTM weight
/// matrices (group "lstm") to the same p with separate thresholds. Each column is one run in the store
/// (<see cref="RunColumn"/>); the columns share the dense round 0 through round checkpoints under
/// <c>&lt;runs&gt;/tickets/&lt;hash&gt;/</c>.
/// </summary>
/// <remarks>
/// Presets: <b>paper</b> is the thesis protocol (<see cref="Protocol"/>). <b>smoke</b>: width 16, 6 steps of batch 8
/// per round on the committed excerpt, perplexity on 500 tokens, P = (0.5, 0.8). <b>quick</b> trains each round like
/// the quick preset of <see cref="WikiText2LstmRecipe"/> (the reduced corpus, width 256, T = 8 epochs), P = (0.3, 0.5),
/// and WT_1830 rewinds to the end of the first epoch; the other presets keep t_save's ratio to T.
/// </remarks>
public sealed class WikiText2TicketsRecipe : IRecipe
{
    /// <summary>T: 183,000 iterations = 200 epochs of 915 iterations (§4.6.3).</summary>
    public const long PaperIterations = 183_000;

    /// <summary>Steps per round of the smoke preset.</summary>
    public const long SmokeIterations = 6;

    /// <summary>Creates the recipe.</summary>
    /// <param name="choices">Mask enforcement, optimizer state between rounds and the rewound rounds' schedule, where the thesis is silent (default: <see cref="TicketProtocolChoices.Default"/>).</param>
    public WikiText2TicketsRecipe(TicketProtocolChoices? choices = null) =>
        Choices = (choices ?? TicketProtocolChoices.Default).Validated() with { Preprocessing = "none (token ids)", SubsamplingClock = "no sub-sampling" };

    /// <summary>The choices where the thesis is silent.</summary>
    public TicketProtocolChoices Choices { get; }

    /// <inheritdoc/>
    public string Name => "wikitext2-lstm-tickets";

    /// <inheritdoc/>
    public string Description => "Winning tickets of the WikiText-2 LSTM LM (Table 4.8): Rand_init, WT, WT_1830, IMP; paper: T = 183k";

    /// <summary>The protocol of <paramref name="preset"/>.</summary>
    public WikiText2TicketProtocol Protocol(Preset preset)
    {
        long t = preset switch { Preset.Smoke => SmokeIterations, Preset.Quick => WikiText2LstmRecipe.QuickSteps, _ => PaperIterations };
        TicketColumn[] columns =
        [
            new("Rand_init", TicketConfiguration.RandomInit, null),                                                         // §4.6.3
            new("WT", TicketConfiguration.WinningTicket, 0),                                                               // §4.6.3: t_save = 0
            // Table 4.8: t_save = 1830, the end of epoch 2 of 200, "during the convergence". Quick rewinds to the end of its
            // first epoch (of 8): scaled by T it would be 46 steps, before the model has seen a tenth of the text.
            new("WT_1830", TicketConfiguration.WinningTicketWithSave,
                preset == Preset.Quick ? WikiText2LstmRecipe.QuickStepsPerEpoch : TicketRuns.ScaleSaveStep(1_830, PaperIterations, t)),
            new("IMP", TicketConfiguration.IterativeMagnitudePruning, null),                                               // §4.6.3: no rewind
        ];
        var (e, h, l, d) = WikiText2LstmRecipe.ModelSize(preset);
        var lm = WikiText2LstmRecipe.Training(preset, new RecipeOptions());
        return new WikiText2TicketProtocol
        {
            Iterations = t,                    // §4.6.3: T = 183,000 (200 epochs × 915)
            Epochs = 200,                      // §4.6.3
            IterationsPerEpoch = 915,          // §4.6.3
            BatchSize = lm.BatchSize,          // §4.6.3: 64 (smoke 8)
            Bptt = lm.Bptt,                    // §4.6.3: 35
            Optimizer = "adam", Lr = lm.Lr,    // §4.6.3: Adam, lr 1e-3
            Schedule = "cosine",               // §4.6.3: cosine annealing
            Dropout = d,                       // §4.6.3: 0.4
            KeepProbability = lm.KeepProbability, // §4.6.3: hidden state carried with p = 0.99
            Embed = e, Hidden = h, Layers = l, // §4.6.1: medium LSTM of Inan et al., 650 × 2, tied
            // §4.6.3: P = (0.3, …, 0.95). Smoke prunes twice; quick stops at the 30 % and 50 % where the thesis' WT tickets beat the dense model.
            Objectives = preset switch { Preset.Smoke => [0.5, 0.8], Preset.Quick => [0.3, 0.5], _ => TicketConfig.ThesisObjectives },
            Epsilon = MagnitudePruning.DefaultEpsilon, // Algorithm 3: ε = 3e-4
            Groups = ["embedding", "lstm"],    // §4.6.3: two objectives, same p; LSTM biases never pruned
            PruneDecoderBias = false,          // not stated in the thesis: kept dense
            ClipGradNorm = lm.ClipGradNorm,
            EvalTokens = preset == Preset.Smoke ? 500 : lm.EvalTokens,
            LogEvery = lm.LogEvery,
            Columns = columns,
            Choices = Choices,                 // not stated: TicketProtocolChoices
        };
    }

    /// <summary>The columns of <paramref name="preset"/>: thesis name, configuration, t_save, whether retraining sub-samples (never here).</summary>
    public IReadOnlyList<TicketColumn> Columns(Preset preset) => Protocol(preset).Columns;

    /// <summary>The pruning plan: group "embedding" (the tied embedding/decoder matrix) and group "lstm" (the LSTM weight matrices).</summary>
    public static PruningPlan Plan(Module model, double epsilon = MagnitudePruning.DefaultEpsilon)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new PruningPlan([
            PruningGroup.Match(model, "embedding", 0, ["encoder.weight"]),
            PruningGroup.Match(model, "lstm", 0, ["*weight_ih*", "*weight_hh*"]) ], PruningMethod.Threshold, epsilon);
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
            ["data"] = preset switch { Preset.Smoke => "wikitext-2-sample (excerpt)", Preset.Quick => WikiText2LstmRecipe.QuickDataDescription, _ => "wikitext-2" },
            ["model"] = new Dictionary<string, object?> { ["name"] = "medium-lstm-lm (Inan et al. 2016)", ["embed"] = p.Embed, ["hidden"] = p.Hidden, ["layers"] = p.Layers, ["dropout"] = p.Dropout, ["tied"] = true },
            ["iterations"] = p.Iterations,
            ["batch_size"] = p.BatchSize,
            ["bptt"] = p.Bptt,
            ["optimizer"] = new Dictionary<string, object?> { ["name"] = p.Optimizer, ["lr"] = p.Lr },
            ["scheduler"] = p.Schedule,
            ["hidden_carry_p"] = p.KeepProbability,
            ["grad_clip_norm"] = p.ClipGradNorm,
            ["objectives"] = p.Objectives.ToArray(),
            ["epsilon"] = p.Epsilon,
            ["groups"] = p.Groups.ToArray(),
            ["prune_decoder_bias"] = p.PruneDecoderBias,
            ["capture_steps"] = p.SaveSteps.Values.Order().ToArray(),
            ["eval_tokens"] = p.EvalTokens,
            ["log_every"] = p.LogEvery,
            ["choices"] = p.Choices.ToConfig(),
        };
    }

    /// <summary>The config of one column's run: <see cref="Config"/> plus the column.</summary>
    public IReadOnlyDictionary<string, object?> ColumnConfig(Preset preset, RecipeOptions options, TicketColumn column) =>
        TicketRuns.ColumnConfig(Config(preset, options), Check(Protocol(preset), column), Protocol(preset).Iterations);

    /// <summary>
    /// Runs one column's search (or returns its stored run): per-round metrics at step = round ("objective",
    /// "sparsity", "sparsity/embedding", "sparsity/lstm", "valid_ppl", "test_ppl", "iterations", "layer/&lt;category&gt;/total|pruned").
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
            var corpus = WikiText2LstmRecipe.LoadData(preset, options.Data);
            return (NewModel(protocol, corpus.Vocab.Count, new Generator(1), new Generator(2)),
                    Search(protocol, column, corpus, options, $"{Name} [{preset.Name()}] {column.Name}"));
        }, options.RunOptions);
    }

    /// <summary>Runs every column (<see cref="RunColumn"/>), keyed by column name.</summary>
    public IReadOnlyDictionary<string, RunResult> RunColumns(IRunStore store, Preset preset, RecipeOptions options) =>
        Columns(preset).ToDictionary(c => c.Name, c => RunColumn(store, preset, options, c));

    /// <summary>Runs every column, then records a summary run ("&lt;column&gt;/test_ppl" etc. at step = round).</summary>
    public RunResult Run(IRunStore store, Preset preset, RecipeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.RequireDevicePath(options);
        return TicketRuns.RunAll(store, Config(preset, options), Columns(preset), c => RunColumn(store, preset, options, c),
            ["valid_ppl", "test_ppl", "iterations"], options.RunOptions);
    }

    private static MediumLstmLm NewModel(WikiText2TicketProtocol p, int vocab, Generator init, Generator dropout) =>
        new(vocab, p.Embed, p.Hidden, p.Layers, p.Dropout, init, dropout);

    /// <summary>The search of one column: one init and one dropout generator for the whole search, restored on resume.</summary>
    private static TicketSearch Search(WikiText2TicketProtocol protocol, TicketColumn column, TextCorpus corpus, RecipeOptions options, string label)
    {
        var gen = new Generator(options.Seed);
        var drop = new Generator(options.Seed + 1);
        var probe = NewModel(protocol, corpus.Vocab.Count, new Generator(1), new Generator(2));
        var config = new TicketConfig(column.Configuration, Plan(probe, protocol.Epsilon))
        {
            Objectives = protocol.Objectives,
            SaveStep = column.SaveStep,
            CaptureSteps = protocol.SaveSteps.Values.ToArray(),
            KeepRoundMasks = true,
            Masking = protocol.Choices.Masking,
            OptimizerState = protocol.Choices.OptimizerState,
        };
        var progress = options.Progress ?? ProgressSinks.Auto();
        return new TicketSearch(config, () => NewModel(protocol, corpus.Vocab.Count, gen, drop), (m, _, ctx) =>
        {
            var settings = protocol.RoundTraining(column, ctx.Round, options.Seed);
            var r = WikiText2LstmRecipe.TrainRound((MediumLstmLm)m, corpus, settings, callbacks: [ctx.Callback],
                optimizer: ps => ctx.Prepare(new Adam(ps, lr: settings.Lr)),
                progress: progress, description: $"{label} round {ctx.Round}");
            return new RoundResult(new Dictionary<string, double>(r.FinalMetrics) { ["iterations"] = r.Steps });
        })
        { Generators = new Dictionary<string, Generator> { ["init"] = gen, ["dropout"] = drop } };
    }

    private static TicketColumn Check(WikiText2TicketProtocol protocol, TicketColumn column) => TicketRuns.Check("WikiText2TicketsRecipe", protocol.Columns, column);
}
