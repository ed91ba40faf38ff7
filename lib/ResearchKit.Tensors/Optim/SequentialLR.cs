using System.Text.Json.Nodes;

namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Runs schedulers one after another, switching at the milestone epochs (<c>torch.optim.lr_scheduler.SequentialLR</c>),
/// e.g. a <see cref="LinearLR"/> warm-up for 5 epochs, then <see cref="CosineAnnealingLR"/>:
/// <c>new SequentialLR(opt, [warmup, cosine], [5])</c>. At a milestone the next scheduler restarts from its epoch 0
/// (closed form), as in PyTorch 1.13.
/// </summary>
public sealed class SequentialLR : LrScheduler
{
    private readonly LrScheduler[] _schedulers;
    private int[] _milestones;

    /// <summary>Combines <paramref name="schedulers"/> (all built on <paramref name="optimizer"/>, in order) and resets
    /// the lr to the first scheduler's epoch-0 value.</summary>
    /// <param name="optimizer">The optimizer all schedulers belong to.</param>
    /// <param name="schedulers">Schedulers to run in sequence.</param>
    /// <param name="milestones">Epochs at which to switch to the next scheduler (one fewer than schedulers).</param>
    /// <param name="lastEpoch">Index of the last epoch; -1 to start.</param>
    /// <exception cref="ArgumentException">A scheduler belongs to another optimizer, or the milestone count is wrong.</exception>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LrScheduler> schedulers, IReadOnlyList<int> milestones, int lastEpoch = -1)
        : base(optimizer, -1)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0) throw new ArgumentException("SequentialLR: pass at least one scheduler.");
        for (int i = 0; i < schedulers.Count; i++)
            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw new ArgumentException($"SequentialLR: Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index {i} to be different than the optimizer passed in.");
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"SequentialLR: Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers {schedulers.Count} and the number of milestones to be equal to {milestones.Count}.");
        _schedulers = [.. schedulers];
        _milestones = [.. milestones];
        LastEpoch = lastEpoch + 1;
        foreach (var g in optimizer.ParamGroups) g.Lr = g.InitialLr!.Value;
        // Undo the initial step each scheduler made in its constructor, then redo it for the first one only.
        foreach (var s in _schedulers) s.LastEpoch -= 1;
        _schedulers[0].InitialStep();
        SetLastLr([.. _schedulers[0].GetLastLr()]);
    }

    /// <summary>The wrapped schedulers.</summary>
    public IReadOnlyList<LrScheduler> Schedulers => _schedulers;

    /// <summary>The switch epochs.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <inheritdoc/>
    public override void Step()
    {
        LastEpoch++;
        int idx = 0; // bisect_right
        while (idx < _milestones.Length && _milestones[idx] <= LastEpoch) idx++;
        var s = _schedulers[idx];
        if (idx > 0 && _milestones[idx - 1] == LastEpoch) s.Step(0);
        else s.Step();
        SetLastLr([.. s.GetLastLr()]);
    }

    /// <summary>Not supported, as in PyTorch (SequentialLR.step takes no epoch).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Step(int epoch) =>
        throw new NotSupportedException("SequentialLR.Step(epoch): jumping to an epoch is not supported; call Step() once per epoch.");

    /// <inheritdoc/>
    protected override double[] GetLr() => CurrentLrs();

    /// <inheritdoc/>
    protected override void SaveState(JsonObject state)
    {
        base.SaveState(state);
        state["_milestones"] = ToJson(Array.ConvertAll(_milestones, m => (double)m));
        var a = new JsonArray();
        foreach (var s in _schedulers) a.Add(JsonNode.Parse(s.StateDict()));
        state["_schedulers"] = a;
    }

    /// <inheritdoc/>
    protected override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        _milestones = Array.ConvertAll(Doubles(state, "_milestones"), m => (int)m);
        if (state["_schedulers"] is not JsonArray a || a.Count != _schedulers.Length)
            throw new ArgumentException($"SequentialLR.LoadStateDict: '_schedulers' must hold {_schedulers.Length} scheduler states.");
        for (int i = 0; i < _schedulers.Length; i++) _schedulers[i].LoadStateDict(a[i]!.ToJsonString());
    }
}
