namespace ResearchKit.Training;

/// <summary>
/// Hooks into the <see cref="Trainer"/> loop. Every method has an empty default, so implement only what you need.
/// Within a step the order is: <see cref="OnStepEnd"/> → (epoch end) <see cref="OnEpochEnd"/> → (evaluation)
/// <see cref="OnEvaluate"/> → (checkpoint) <see cref="OnCheckpoint"/>; so a checkpoint sees everything logged for its step.
/// </summary>
public interface ITrainerCallback
{
    /// <summary>
    /// After backward, before gradient clipping and the optimizer step: the place to edit gradients (e.g. pruning masks,
    /// so that pruned positions do not count in the clipping norm).
    /// </summary>
    void OnBeforeStep(Trainer trainer) { }

    /// <summary>After the optimizer step (and a per-step scheduler step). Gradients (clipped) are still in <c>Tensor.Grad</c>.</summary>
    void OnStepEnd(Trainer trainer, in StepInfo info) { }

    /// <summary>After an evaluation (periodic, per epoch, or the final one) with its metrics.</summary>
    void OnEvaluate(Trainer trainer, long step, IReadOnlyDictionary<string, double> metrics) { }

    /// <summary>After the last step of <paramref name="epoch"/> (and a per-epoch scheduler step).</summary>
    void OnEpochEnd(Trainer trainer, int epoch) { }

    /// <summary>When a checkpoint is due: capture it with <c>TrainerCheckpoint.Capture(trainer)</c> (see <see cref="TrainerCheckpoint"/>).
    /// The trainer state already points at the next batch, so restoring it resumes exactly here.</summary>
    void OnCheckpoint(Trainer trainer, long step) { }

    /// <summary>When training ends (steps/epochs reached, early stop, or <see cref="Trainer.RequestStop"/>).</summary>
    void OnEnd(Trainer trainer, TrainingResult result) { }
}
