namespace ResearchKit.Training;

/// <summary>
/// Thrown by <see cref="Trainer"/> when the loss becomes NaN or infinite (with <see cref="TrainerOptions.FailOnNonFiniteLoss"/>),
/// before the optimizer step, so the weights are not overwritten with NaN. A distinct type lets callers (the CLI's exit
/// code 5) tell a diverged run from a bug.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="loss">The non-finite loss.</param>
    /// <param name="step">The 1-based step at which it appeared.</param>
    /// <param name="message">The message, naming the step and the fix.</param>
    public TrainingDivergedException(double loss, long step, string message) : base(message)
    {
        Loss = loss;
        Step = step;
    }

    /// <summary>The non-finite loss value.</summary>
    public double Loss { get; }

    /// <summary>The 1-based step at which it appeared.</summary>
    public long Step { get; }
}
