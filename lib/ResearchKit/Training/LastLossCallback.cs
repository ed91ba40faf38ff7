namespace ResearchKit.Training;

/// <summary>Keeps the loss of the most recent training step (NaN before the first), for a run's final "loss" metric.</summary>
public sealed class LastLossCallback : ITrainerCallback
{
    /// <summary>The last step's loss.</summary>
    public double Value { get; private set; } = double.NaN;

    /// <inheritdoc/>
    public void OnStepEnd(Trainer trainer, in StepInfo info) => Value = info.Loss;
}
