using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;

namespace ResearchKit.Pruning;

/// <summary>
/// Handed to the training function of each <see cref="TicketSearch"/> round: the masks to keep and the hooks that keep
/// them (and take the θ^t_save snapshot in round 0). Attach <see cref="Callback"/> to a <see cref="Trainer"/>, or call
/// <see cref="AfterStep"/> after every optimizer step of a hand-written loop.
/// </summary>
public sealed class RoundContext
{
    internal RoundContext(int round, double? objective, PruningMasks masks, Module model, long? captureStep)
    {
        Round = round;
        Objective = objective;
        Masks = masks;
        Model = model;
        CaptureStep = captureStep;
        Callback = new PruningCallback(masks, model, OnStep);
    }

    /// <summary>Round index: 0 is the dense training, r ≥ 1 trains at objective P[r − 1].</summary>
    public int Round { get; }

    /// <summary>This round's objective P value, or null for the dense round.</summary>
    public double? Objective { get; }

    /// <summary>The masks of this round (already applied to <see cref="Model"/>).</summary>
    public PruningMasks Masks { get; }

    /// <summary>The model being trained (the same instance every round).</summary>
    public Module Model { get; }

    /// <summary>The step after which this round snapshots the weights (t_save in round 0), or null.</summary>
    public long? CaptureStep { get; }

    /// <summary>The snapshot taken at <see cref="CaptureStep"/>, once taken.</summary>
    internal Dictionary<string, Tensor>? Snapshot { get; private set; }

    /// <summary>A trainer callback: masks weights and optimizer state after each step, snapshots at t_save.</summary>
    public ITrainerCallback Callback { get; }

    /// <summary>For hand-written loops: call after each optimizer step with the number of steps completed.</summary>
    /// <remarks>For exact gradient masking also call <see cref="PruningMasks.MaskGradients"/> before the step (or use <see cref="MaskedOptimizer"/> and then this method only for the snapshot).</remarks>
    public void AfterStep(Optimizer optimizer, long step)
    {
        Masks.ApplyAfterStep(Model, optimizer);
        OnStep(step);
    }

    private void OnStep(long step)
    {
        if (CaptureStep is long s && step == s && Snapshot is null) Snapshot = TicketSearch.Snapshot(Model);
    }
}
