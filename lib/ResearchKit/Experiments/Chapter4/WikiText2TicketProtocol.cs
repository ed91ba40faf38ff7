using ResearchKit.Pruning;

namespace ResearchKit.Experiments.Chapter4;

/// <summary>
/// The winning-ticket protocol of the WikiText-2 language model at one preset (§4.6.3, Table 4.8), every value a plain
/// property. Built by <see cref="WikiText2TicketsRecipe.Protocol"/>.
/// </summary>
public sealed record WikiText2TicketProtocol
{
    /// <summary>T: iterations of the dense training and of every retraining that does not rewind to t_save.</summary>
    public required long Iterations { get; init; }

    /// <summary>Epochs T stands for (200 in the thesis).</summary>
    public required int Epochs { get; init; }

    /// <summary>Iterations per epoch the thesis counts (915).</summary>
    public required int IterationsPerEpoch { get; init; }

    /// <summary>Token streams per batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Truncated-BPTT window length.</summary>
    public required int Bptt { get; init; }

    /// <summary>Optimizer name ("adam").</summary>
    public required string Optimizer { get; init; }

    /// <summary>Initial learning rate.</summary>
    public required double Lr { get; init; }

    /// <summary>Learning-rate schedule ("cosine").</summary>
    public required string Schedule { get; init; }

    /// <summary>Dropout probability.</summary>
    public required double Dropout { get; init; }

    /// <summary>Probability of carrying the hidden state into the next window.</summary>
    public required double KeepProbability { get; init; }

    /// <summary>Embedding width (= hidden width, tied).</summary>
    public required int Embed { get; init; }

    /// <summary>LSTM width.</summary>
    public required int Hidden { get; init; }

    /// <summary>LSTM layers.</summary>
    public required int Layers { get; init; }

    /// <summary>Sparsity objectives P; each round prunes every group to the same p.</summary>
    public required IReadOnlyList<double> Objectives { get; init; }

    /// <summary>Algorithm 3's threshold step ε.</summary>
    public required double Epsilon { get; init; }

    /// <summary>The pruning groups, each with its own objective: "embedding" (the tied embedding/decoder matrix) and
    /// "lstm" (the LSTM weight matrices). LSTM biases are never pruned.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>Whether the decoder bias is pruned: false (not stated in the thesis, §4.6.3; kept dense).</summary>
    public required bool PruneDecoderBias { get; init; }

    /// <summary>Gradient-norm clipping (word_language_model's 0.25; not stated in the thesis), or null.</summary>
    public required double? ClipGradNorm { get; init; }

    /// <summary>Evaluate on at most this many leading tokens of valid/test (null: all).</summary>
    public required int? EvalTokens { get; init; }

    /// <summary>Log the training loss every this many steps.</summary>
    public required int LogEvery { get; init; }

    /// <summary>The columns of the table, in the thesis' order.</summary>
    public required IReadOnlyList<TicketColumn> Columns { get; init; }

    /// <summary>Choices where the thesis is silent.</summary>
    public TicketProtocolChoices Choices { get; init; } = TicketProtocolChoices.Default with { Preprocessing = "none (token ids)", SubsamplingClock = "no sub-sampling" };

    /// <summary>t_save by column name, for the columns that rewind to an iterate (WT: 0).</summary>
    public IReadOnlyDictionary<string, long> SaveSteps =>
        Columns.Where(c => c.SaveStep is not null).ToDictionary(c => c.Name, c => c.SaveStep!.Value);

    /// <summary>The column named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such column; the message lists them.</exception>
    public TicketColumn Column(string name) => Columns.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"WikiText2TicketProtocol: no column '{name}'; the columns are {string.Join(", ", Columns.Select(c => c.Name))}.", nameof(name));

    /// <summary>
    /// Settings of round <paramref name="round"/> of <paramref name="column"/>: T steps in round 0 and
    /// <see cref="TicketColumn.RetrainIterations"/> after, the cosine spanning exactly those steps (or, with
    /// <see cref="RewindSchedule.ResumeAtSaveStep"/>, a rewound round resuming the cosine over T at t_save); evaluated once at the end.
    /// </summary>
    public LmTraining RoundTraining(TicketColumn column, int round, long dataSeed)
    {
        ArgumentNullException.ThrowIfNull(column);
        bool resume = round > 0 && Choices.Rewind == RewindSchedule.ResumeAtSaveStep && column.Configuration == TicketConfiguration.WinningTicketWithSave;
        return new LmTraining
        {
            Epochs = null,
            MaxSteps = column.IterationsOfRound(round, Iterations),
            BatchSize = BatchSize,
            Bptt = Bptt,
            Lr = Lr,
            KeepProbability = KeepProbability,
            ClipGradNorm = ClipGradNorm,
            EvalTokens = EvalTokens,
            EvalEachEpoch = false,
            LogEvery = LogEvery,
            CheckpointEvery = 0, // the search checkpoints whole rounds
            DataSeed = dataSeed,
            ScheduleSteps = resume ? Iterations : null,
            ScheduleStart = resume ? column.SaveStep ?? 0 : 0,
        };
    }
}
