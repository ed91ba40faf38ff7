namespace ResearchKit.Training;

/// <summary>Keeps the loss of the most recent training step (NaN before the first), for a run's final "loss" metric. A run
/// resumed after its last step takes no step: it reports the loss its checkpoint kept (<see cref="TrainerState.LastLoss"/>).</summary>
public sealed class LastLossCallback : ITrainerCallback
{
    /// <summary>The last step's loss.</summary>
    public double Value { get; private set; } = double.NaN;

    /// <inheritdoc/>
    public void OnStepEnd(Trainer trainer, in StepInfo info) => Value = info.Loss;

    /// <inheritdoc/>
    public void OnEnd(Trainer trainer, TrainingResult result)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        if (double.IsNaN(Value)) Value = trainer.State.LastLoss;
    }
}
