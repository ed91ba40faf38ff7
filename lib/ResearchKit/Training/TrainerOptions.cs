using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Training;

/// <summary>Settings of a <see cref="Trainer"/>. Set <see cref="MaxSteps"/>, <see cref="MaxEpochs"/> or both (training stops at the first reached).</summary>
public sealed class TrainerOptions
{
    /// <summary>Stop after this many optimizer steps in total.</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Stop after this many epochs.</summary>
    public int? MaxEpochs { get; init; }

    /// <summary>Learning-rate scheduler attached to the trainer's optimizer, or null.</summary>
    public LrScheduler? Scheduler { get; init; }

    /// <summary>When <see cref="Scheduler"/> is stepped (default per epoch).</summary>
    public SchedulerInterval SchedulerInterval { get; init; } = SchedulerInterval.PerEpoch;

    /// <summary>Clip the total gradient norm to this value before each optimizer step (<c>clip_grad_norm_</c>).</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>p of the norm used by <see cref="ClipGradNorm"/> (default 2).</summary>
    public double ClipNormType { get; init; } = 2;

    /// <summary>Clamp every gradient element to ±this value before each optimizer step (<c>clip_grad_value_</c>).</summary>
    public double? ClipGradValue { get; init; }

    /// <summary>Evaluation delegate returning metrics by name (e.g. <see cref="Metrics.Evaluate"/> on a test loader).
    /// The trainer calls it in eval mode under <see cref="Torch.NoGrad"/> and restores the previous mode.</summary>
    public Func<IReadOnlyDictionary<string, double>>? Evaluate { get; init; }

    /// <summary>Evaluate every this many steps (0 = only per epoch / at the end).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Also evaluate at the end of every epoch.</summary>
    public bool EvalEachEpoch { get; init; }

    /// <summary>Evaluate once more when training ends, unless the last evaluation was at the final step (default true).</summary>
    public bool EvalAtEnd { get; init; } = true;

    /// <summary>Early stopping on an evaluation metric, or null.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Raise <see cref="ITrainerCallback.OnCheckpoint"/> every this many steps (0 = never).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Also raise <see cref="ITrainerCallback.OnCheckpoint"/> at the end of every epoch.</summary>
    public bool CheckpointEachEpoch { get; init; }

    /// <summary>Length of the window over which <see cref="StepInfo.WindowLoss"/> is averaged (default 50 steps).</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Compute the top-1 accuracy of training batches when the output is (N, C) logits and the targets are (N) Int64 labels (default true).</summary>
    public bool TrackAccuracy { get; init; } = true;

    /// <summary>Throw when the loss becomes NaN or infinite instead of training on (default true).</summary>
    public bool FailOnNonFiniteLoss { get; init; } = true;

    /// <summary>Progress display (default silent); see <see cref="ProgressSinks.Auto"/>.</summary>
    public IProgressSink? Progress { get; init; }

    /// <summary>Label shown by the progress display.</summary>
    public string Description { get; init; } = "train";

    /// <summary>Generators whose states are part of the <see cref="TrainerState"/> (captured in checkpoints, restored on resume):
    /// <see cref="Generator.Default"/>, dropout generators, augmentation generators... Generators consumed ahead of the
    /// loop (by a prefetching loader) must not be listed: derive such randomness from (seed, epoch, batch) instead.</summary>
    public IReadOnlyDictionary<string, Generator>? Generators { get; init; }

    /// <summary>
    /// Where the steps run (the CPU by default): the trainer moves the model there when it is built (parameters and float
    /// buffers in place, so the optimizer built on them keeps working) and each batch before its step. Another device needs
    /// its backend registered first (<c>ResearchKit.Gpu.GpuBackend.Register(device)</c>); an op without a kernel there stops
    /// the step with an error that names it.
    /// </summary>
    public Device Device { get; init; } = Device.Cpu;

    /// <summary>
    /// On a device other than the CPU, how many batches a background thread uploads ahead through the device's copy stream
    /// while the current step computes (<see cref="ResearchKit.Tensors.Devices.DevicePrefetcher"/>); 0 uploads each batch on
    /// the training thread before its step. Batches and results are the same either way.
    /// </summary>
    public int PrefetchToDevice { get; init; } = 2;
}
