namespace ResearchKit.Training;

/// <summary>What happened in one optimizer step, passed to <see cref="ITrainerCallback.OnStepEnd"/>.</summary>
/// <param name="Step">Steps completed so far (1 after the first step).</param>
/// <param name="Epoch">Epoch the step belonged to (0-based).</param>
/// <param name="BatchInEpoch">Index of the step's batch within its epoch (0-based).</param>
/// <param name="Loss">The batch loss.</param>
/// <param name="Accuracy">Top-1 accuracy of the batch, when the trainer tracks it and the output is (N, C) logits.</param>
/// <param name="Lr">Learning rate of the first parameter group used by this step (before a per-step scheduler advanced it).</param>
/// <param name="GradNorm">Total gradient norm before clipping, when clipping by norm.</param>
/// <param name="WindowLoss">Mean batch loss over the last <see cref="TrainerOptions.LogEvery"/> steps; set only on steps that are
/// multiples of <see cref="TrainerOptions.LogEvery"/> (log it as "train/loss").</param>
/// <param name="WindowAccuracy">Sample-weighted accuracy over the same window, when tracked.</param>
public readonly record struct StepInfo(long Step, int Epoch, int BatchInEpoch, double Loss, double? Accuracy, double Lr,
    double? GradNorm, double? WindowLoss, double? WindowAccuracy);
