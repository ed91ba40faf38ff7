using ResearchKit.Data;

namespace ResearchKit.Experiments.Chapter4;

/// <summary>
/// The winning-ticket protocol of the seq-MNIST LSTM at one preset (§4.5.3 without sub-sampling, Table 4.3; §4.5.4
/// with sub-sampling, Table 4.6), every value a plain property. Built by <see cref="SeqMnistTicketsRecipe.Protocol"/>.
/// </summary>
public sealed record SeqMnistTicketProtocol
{
    /// <summary>Whether the dense training (and the columns that say so) use the sub-sampling schedule (§4.5.4).</summary>
    public required bool Subsampled { get; init; }

    /// <summary>T: iterations of the dense training and of every retraining that does not rewind to t_save.</summary>
    public required long Iterations { get; init; }

    /// <summary>Images per step.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Iterations per epoch (600 = 60,000 / 100 in the thesis).</summary>
    public required int IterationsPerEpoch { get; init; }

    /// <summary>Optimizer name ("rmsprop").</summary>
    public required string Optimizer { get; init; }

    /// <summary>Learning rate.</summary>
    public required double Lr { get; init; }

    /// <summary>Sparsity objectives P, one pruning round each.</summary>
    public required IReadOnlyList<double> Objectives { get; init; }

    /// <summary>Algorithm 3's threshold step ε.</summary>
    public required double Epsilon { get; init; }

    /// <summary>Sub-sampling rates R (empty when the protocol does not sub-sample).</summary>
    public required IReadOnlyList<int> SubsamplingRates { get; init; }

    /// <summary>Sub-sampling step targets S (empty when the protocol does not sub-sample).</summary>
    public required IReadOnlyList<long> SubsamplingStepTargets { get; init; }

    /// <summary>Which parameters are pruned.</summary>
    public required SeqMnistPruningScope Scope { get; init; }

    /// <summary>How the pixels are standardized (per image by default; §4.5.1 does not say which).</summary>
    public MnistStandardization Standardization { get; init; } = MnistStandardization.PerImage;

    /// <summary>Pixels per time step: 1 is the thesis' task (784 steps); 28 reads a row per step (the quick setting).</summary>
    public required int PixelsPerStep { get; init; }

    /// <summary>The columns of the table, in the thesis' order.</summary>
    public required IReadOnlyList<TicketColumn> Columns { get; init; }

    /// <summary>Training images used (60,000 for MNIST).</summary>
    public required int TrainImages { get; init; }

    /// <summary>Test images used (10,000 for MNIST).</summary>
    public required int TestImages { get; init; }

    /// <summary>Log the training loss every this many steps.</summary>
    public required int LogEvery { get; init; }

    /// <summary>Batch size of the test evaluation.</summary>
    public required int EvalBatchSize { get; init; }

    /// <summary>Choices where the thesis is silent (RMSprop runs at a constant learning rate here, §4.5.3 names no schedule).</summary>
    public TicketProtocolChoices Choices { get; init; } = TicketProtocolChoices.Default with { ConstantLearningRate = true };

    /// <summary>t_save by column name, for the columns that rewind to an iterate (WT: 0).</summary>
    public IReadOnlyDictionary<string, long> SaveSteps =>
        Columns.Where(c => c.SaveStep is not null).ToDictionary(c => c.Name, c => c.SaveStep!.Value);

    /// <summary>The sub-sampling schedule, or null.</summary>
    public SubsamplingSchedule? Schedule =>
        SubsamplingRates.Count == 0 ? null : new SubsamplingSchedule(SubsamplingRates.ToArray(), SubsamplingStepTargets.ToArray());

    /// <summary>The column named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such column; the message lists them.</exception>
    public TicketColumn Column(string name) => Columns.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"SeqMnistTicketProtocol: no column '{name}'; the columns are {string.Join(", ", Columns.Select(c => c.Name))}.", nameof(name));

    /// <summary>
    /// Settings of round <paramref name="round"/> of <paramref name="column"/>: T iterations in round 0 and
    /// <see cref="TicketColumn.RetrainIterations"/> after; the schedule in round 0 of a sub-sampled protocol and in the
    /// retrainings of columns with <see cref="TicketColumn.SubsampleRetraining"/>.
    /// </summary>
    public SeqMnistTraining RoundTraining(TicketColumn column, int round, long dataSeed)
    {
        ArgumentNullException.ThrowIfNull(column);
        bool subsample = round == 0 ? Subsampled : column.SubsampleRetraining;
        return new SeqMnistTraining
        {
            Iterations = column.IterationsOfRound(round, Iterations),
            BatchSize = BatchSize,
            Lr = Lr,
            PixelsPerStep = PixelsPerStep,
            Subsampling = subsample ? Schedule : null,
            Standardization = Standardization,
            LogEvery = LogEvery,
            CheckpointEvery = 0, // the search checkpoints whole rounds
            EvalBatchSize = EvalBatchSize,
            DataSeed = dataSeed,
        };
    }
}
