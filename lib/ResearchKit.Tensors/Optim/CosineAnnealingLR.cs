using System.Text.Json.Nodes;

namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Cosine annealing from the base lr to <c>etaMin</c> over <c>tMax</c> epochs
/// (<c>torch.optim.lr_scheduler.CosineAnnealingLR</c>, without restarts): lr(t) = etaMin + (base − etaMin)(1 + cos(πt/tMax))/2.
/// </summary>
/// <remarks>
/// <see cref="LrScheduler.Step()"/> uses PyTorch's recursive form, lr_t = (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)) · (lr_{t−1} − etaMin) + etaMin,
/// so values equal PyTorch's bit for bit; they agree with the closed form up to accumulated rounding (≈1e-16 relative
/// per step; the tests bound it) and reach exactly etaMin at t = tMax. Past tMax the lr rises again (period 2·tMax),
/// as in PyTorch. <see cref="LrScheduler.Step(int)"/> uses the closed form.
/// </remarks>
public sealed class CosineAnnealingLR : LrScheduler
{
    /// <summary>Creates the scheduler and sets the epoch-0 lr (the base lr).</summary>
    /// <param name="optimizer">Optimizer to schedule.</param>
    /// <param name="tMax">Half-period in epochs (≥ 1): the lr reaches <paramref name="etaMin"/> at epoch tMax.</param>
    /// <param name="etaMin">Minimum learning rate.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; -1 to start.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tMax"/> is below 1.</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        if (tMax < 1) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "CosineAnnealingLR: tMax must be at least 1 (epochs to anneal over).");
        TMax = tMax;
        EtaMin = etaMin;
        InitialStep();
    }

    /// <summary>Half-period in epochs (<c>T_max</c>).</summary>
    public int TMax { get; private set; }

    /// <summary>Minimum learning rate (<c>eta_min</c>).</summary>
    public double EtaMin { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        int t = LastEpoch;
        if (t == 0) return lrs;
        if (StepCount == 1 && t > 0)
        {
            for (int i = 0; i < lrs.Length; i++) lrs[i] = EtaMin + (BaseLrs[i] - EtaMin) * (1 + Math.Cos(t * Math.PI / TMax)) / 2;
            return lrs;
        }
        if ((t - 1 - TMax) % (2 * TMax) == 0)
        {
            for (int i = 0; i < lrs.Length; i++) lrs[i] = lrs[i] + (BaseLrs[i] - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
            return lrs;
        }
        double ratio = (1 + Math.Cos(Math.PI * t / TMax)) / (1 + Math.Cos(Math.PI * (t - 1) / TMax));
        for (int i = 0; i < lrs.Length; i++) lrs[i] = ratio * (lrs[i] - EtaMin) + EtaMin;
        return lrs;
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr()
    {
        var r = new double[BaseLrs.Count];
        for (int i = 0; i < r.Length; i++) r[i] = EtaMin + (BaseLrs[i] - EtaMin) * (1 + Math.Cos(Math.PI * LastEpoch / TMax)) / 2;
        return r;
    }

    /// <inheritdoc/>
    protected override void SaveState(JsonObject state) { base.SaveState(state); state["T_max"] = TMax; state["eta_min"] = EtaMin; }

    /// <inheritdoc/>
    protected override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        TMax = Get<int>(state, "T_max");
        EtaMin = Get<double>(state, "eta_min");
    }
}
