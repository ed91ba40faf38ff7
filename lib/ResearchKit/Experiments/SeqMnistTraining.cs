using ResearchKit.Data;

namespace ResearchKit.Experiments;

/// <summary>
/// One sequential-MNIST training run as in the thesis (Chapter 4): RMSprop, batch 100, cross-entropy on per-image
/// standardized pixel sequences, a fixed number of iterations, optionally the sub-sampling schedule (Algorithm 4).
/// The defaults are the thesis protocol without sub-sampling.
/// </summary>
public sealed record SeqMnistTraining
{
    /// <summary>Optimizer steps (120,000 in the thesis; 36,000 with sub-sampling).</summary>
    public long Iterations { get; init; } = 120_000;

    /// <summary>Images per step (100).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>RMSprop learning rate (1e-3).</summary>
    public double Lr { get; init; } = 1e-3;

    /// <summary>RMSprop smoothing constant α (PyTorch's default 0.99; the thesis gives only the learning rate).</summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>RMSprop ε (PyTorch's default 1e-8; not stated in the thesis).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>The sub-sampling schedule, or null to train on full 784-step sequences throughout.</summary>
    public SubsamplingSchedule? Subsampling { get; init; }

    /// <summary>
    /// Pixels per time step: 1 is the thesis' task (784 steps); 28 reads one row per step (28 steps), a much shorter
    /// task that converges in minutes on a CPU. The model must be built with the same value; a <see cref="Subsampling"/>
    /// schedule then thins the steps (rows).
    /// </summary>
    public int PixelsPerStep { get; init; } = 1;

    /// <summary>Log the window-mean training loss every this many steps (the loss curves of Figs 4.3/4.5).</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>Evaluate on the test images every this many steps (0: only at the end).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Checkpoint every this many steps when training inside a run (0: never).</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Batch size of the test evaluation (full-length sequences).</summary>
    public int EvalBatchSize { get; init; } = 500;

    /// <summary>Per-image standardization (the default reading of §4.5.1) or MNIST's dataset statistics; the thesis does not say which.</summary>
    public MnistStandardization Standardization { get; init; } = MnistStandardization.PerImage;

    /// <summary>Seed of the data order.</summary>
    public long DataSeed { get; init; }
}
