using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Experiments;

/// <summary>
/// A <see cref="ITrainerCallback"/> that calls an action on the trained module after every optimizer step — the place
/// to re-apply pruning masks so pruned weights stay exactly zero.
/// </summary>
public sealed class StepHook : ITrainerCallback
{
    private readonly Action<Module> _afterStep;

    /// <summary>Calls <paramref name="afterStep"/> with <see cref="Trainer.Model"/> after each step.</summary>
    public StepHook(Action<Module> afterStep)
    {
        ArgumentNullException.ThrowIfNull(afterStep);
        _afterStep = afterStep;
    }

    /// <inheritdoc/>
    public void OnStepEnd(Trainer trainer, in StepInfo info) => _afterStep(trainer.Model);
}
