namespace ResearchKit.Experiments;

/// <summary>
/// One WikiText-2 language-model training run as in the thesis (Chapter 4): Adam with cosine annealing over the whole
/// run, batch 64, BPTT windows of 35 tokens, the previous window's hidden state kept with probability 0.99, perplexity on
/// the validation and test sets. The defaults are the thesis protocol (200 epochs).
/// </summary>
public sealed record LmTraining
{
    /// <summary>Epochs over the training tokens (200 in the thesis); null to stop by <see cref="MaxSteps"/> only.</summary>
    public int? Epochs { get; init; } = 200;

    /// <summary>Stop after this many steps (null: only <see cref="Epochs"/>).</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Token streams per batch (64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Window length of truncated BPTT (35).</summary>
    public int Bptt { get; init; } = 35;

    /// <summary>Adam learning rate (1e-3), annealed by a cosine to <see cref="EtaMin"/> over the run.</summary>
    public double Lr { get; init; } = 1e-3;

    /// <summary>Final learning rate of the cosine schedule (0; not stated in the thesis).</summary>
    public double EtaMin { get; init; }

    /// <summary>Probability of carrying the previous window's final hidden state into the next window (0.99).</summary>
    public double KeepProbability { get; init; } = 0.99;

    /// <summary>Clip the total gradient norm to this (0.25, word_language_model's default; the thesis does not state it); null: no clipping.</summary>
    public double? ClipGradNorm { get; init; } = 0.25;

    /// <summary>Streams of the evaluation batches (10, as word_language_model).</summary>
    public int EvalBatchSize { get; init; } = 10;

    /// <summary>Evaluate on at most this many leading tokens of the valid/test sets (null: all).</summary>
    public int? EvalTokens { get; init; }

    /// <summary>Evaluate (valid and test perplexity) after every epoch.</summary>
    public bool EvalEachEpoch { get; init; } = true;

    /// <summary>Evaluate every this many steps (0: per epoch / at the end only).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Log the window-mean training loss every this many steps.</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>Checkpoint every this many steps when training inside a run (0: never).</summary>
    public int CheckpointEvery { get; init; } = 200;

    /// <summary>Length of the cosine schedule in steps (null: the run's own steps).</summary>
    public long? ScheduleSteps { get; init; }
    /// <summary>Steps of the cosine schedule already elapsed when the run starts (0: it starts at <see cref="Lr"/>), e.g. t_save when a rewound round resumes the dense schedule.</summary>
    public long ScheduleStart { get; init; }
    /// <summary>Seed of the hidden-state carry decisions.</summary>
    public long DataSeed { get; init; }
}
