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
    internal RoundContext(int round, double? objective, PruningMasks masks, Module model, long? captureStep, IReadOnlyList<long>? captureSteps = null,
        MaskEnforcement masking = MaskEnforcement.GradientsAndWeights, RoundOptimizerState optimizerState = RoundOptimizerState.Fresh,
        OptimizerStateDict? carriedState = null)
    {
        OptimizerState = optimizerState;
        CarriedState = carriedState;
        Round = round;
        Objective = objective;
        Masks = masks;
        Model = model;
        CaptureStep = captureStep;
        CaptureSteps = captureSteps ?? (captureStep is long s ? [s] : []);
        Callback = new PruningCallback(masks, model, OnStep, masking);
    }

    /// <summary>Round index: 0 is the dense training, r ≥ 1 trains at objective P[r − 1].</summary>
    public int Round { get; }

    /// <summary>This round's objective P value, or null for the dense round.</summary>
    public double? Objective { get; }

    /// <summary>The masks of this round (already applied to <see cref="Model"/>).</summary>
    public PruningMasks Masks { get; }

    /// <summary>The model being trained (the same instance every round).</summary>
    public Module Model { get; }

    /// <summary>The search's own t_save when this round (round 0) snapshots it, or null.</summary>
    public long? CaptureStep { get; }

    /// <summary>Every step after which this round snapshots the weights: in round 0 all t_save of the experiment
    /// (<see cref="TicketConfig.SnapshotSteps"/>), so searches sharing the dense checkpoint find theirs; empty otherwise.</summary>
    public IReadOnlyList<long> CaptureSteps { get; }

    /// <summary>The snapshots taken so far, by step.</summary>
    internal Dictionary<long, Dictionary<string, Tensor>> Snapshots { get; } = new();

    /// <summary>The snapshot taken at <see cref="CaptureStep"/>, once taken.</summary>
    internal Dictionary<string, Tensor>? Snapshot => CaptureStep is long s && Snapshots.TryGetValue(s, out var d) ? d : null;

    /// <summary>A trainer callback: masks weights and optimizer state after each step, snapshots at t_save.</summary>
    public ITrainerCallback Callback { get; }

    /// <summary>What this round's optimizer starts from (<see cref="TicketConfig.OptimizerState"/>).</summary>
    public RoundOptimizerState OptimizerState { get; }

    /// <summary>The previous round's optimizer state, loaded by <see cref="Prepare"/> when the state is carried; null otherwise or in round 0.</summary>
    internal OptimizerStateDict? CarriedState { get; }

    /// <summary>The optimizer passed to <see cref="Prepare"/> in this round, or null.</summary>
    internal Optimizer? Optimizer { get; private set; }

    /// <summary>
    /// Pass the round's freshly built optimizer through this before training:
    /// with <see cref="RoundOptimizerState.Carried"/> it loads the previous round's state into it (and the search keeps
    /// its state at the end of the round); with <see cref="RoundOptimizerState.Fresh"/> it returns it unchanged.
    /// </summary>
    /// <returns><paramref name="optimizer"/>.</returns>
    /// <exception cref="ArgumentException">The carried state does not fit <paramref name="optimizer"/> (another optimizer or parameter layout).</exception>
    public Optimizer Prepare(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        if (OptimizerState == RoundOptimizerState.Carried && CarriedState is { } state)
        {
            // The learning rate restarts at the value the round built its optimizer with (a round is a new training,
            // and a schedule attached after Prepare starts from it); only the moments, averages and step counts carry over.
            var groups = optimizer.ParamGroups;
            var lrs = groups.Select(g => (g.Lr, g.InitialLr)).ToArray();
            optimizer.LoadStateDict(state);
            for (int i = 0; i < groups.Count; i++) (groups[i].Lr, groups[i].InitialLr) = lrs[i];
        }
        return optimizer;
    }

    /// <summary>For hand-written loops: call after each optimizer step with the number of steps completed.</summary>
    /// <remarks>For exact gradient masking also call <see cref="PruningMasks.MaskGradients"/> before the step (or use <see cref="MaskedOptimizer"/> and then this method only for the snapshot).</remarks>
    public void AfterStep(Optimizer optimizer, long step)
    {
        Masks.ApplyAfterStep(Model, optimizer);
        OnStep(step);
    }

    private void OnStep(long step)
    {
        foreach (var s in CaptureSteps)
            if (step == s && !Snapshots.ContainsKey(s)) Snapshots[s] = TicketSearch.Snapshot(Model);
    }
}
