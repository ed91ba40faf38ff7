using ResearchKit.Training;

namespace ResearchKit.Quantization;

/// <summary>
/// Drives a <see cref="BinaryRelaxState"/> through a <see cref="BinaryRelaxSchedule"/> during <see cref="Trainer"/> training:
/// at the end of epoch e it sets the state for epoch e + 1 (the BinaryRelax code updates η at the start of each epoch).
/// </summary>
/// <remarks>Call <see cref="SetEpoch"/> before <c>Fit</c> (with 0, or with the restored <c>trainer.State.Epoch</c> when resuming
/// from a checkpoint): the state depends only on the epoch, so nothing else needs saving.</remarks>
public sealed class BinaryRelaxCallback : ITrainerCallback
{
    /// <summary>Creates the callback and sets the state for epoch 0.</summary>
    /// <param name="schedule">η and the phase per epoch.</param>
    /// <param name="state">The state shared by the model's <see cref="BinaryRelaxQuantizer"/>s.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public BinaryRelaxCallback(BinaryRelaxSchedule schedule, BinaryRelaxState state)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        State = state ?? throw new ArgumentNullException(nameof(state));
        SetEpoch(0);
    }

    /// <summary>The schedule.</summary>
    public BinaryRelaxSchedule Schedule { get; }

    /// <summary>The shared state this callback sets.</summary>
    public BinaryRelaxState State { get; }

    /// <summary>Sets the state for 0-based <paramref name="epoch"/> (see <see cref="BinaryRelaxState.At"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="epoch"/> is negative.</exception>
    public void SetEpoch(int epoch) => State.Set(epoch, Schedule);

    /// <summary>Sets the state for the next epoch.</summary>
    public void OnEpochEnd(Trainer trainer, int epoch) => SetEpoch(epoch + 1);
}
