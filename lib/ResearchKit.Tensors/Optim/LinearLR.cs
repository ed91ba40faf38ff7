using System.Text.Json.Nodes;

namespace ResearchKit.Tensors.Optim;

/// <summary>
/// Scales the lr linearly from <c>startFactor</c>·base to <c>endFactor</c>·base over <c>totalIters</c> steps, then keeps
/// it (<c>torch.optim.lr_scheduler.LinearLR</c>) — the usual linear warm-up.
/// </summary>
public sealed class LinearLR : LrScheduler
{
    /// <summary>Creates the scheduler and sets the epoch-0 lr (base·startFactor).</summary>
    /// <param name="optimizer">Optimizer to schedule.</param>
    /// <param name="startFactor">Factor at epoch 0, in (0, 1].</param>
    /// <param name="endFactor">Factor from epoch <paramref name="totalIters"/> on, in [0, 1].</param>
    /// <param name="totalIters">Number of steps of the ramp (≥ 1).</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; -1 to start.</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is out of range or <paramref name="totalIters"/> is below 1.</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, $"LinearLR: Starting multiplicative factor expected to be greater than 0 and less or equal to 1, got {PyFormat.Float(startFactor)}.");
        if (!(endFactor >= 0 && endFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, $"LinearLR: Ending multiplicative factor expected to be between 0 and 1, got {PyFormat.Float(endFactor)}.");
        if (totalIters < 1) throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, "LinearLR: totalIters must be at least 1.");
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        InitialStep();
    }

    /// <summary>Factor at epoch 0.</summary>
    public double StartFactor { get; private set; }

    /// <summary>Factor at the end of the ramp.</summary>
    public double EndFactor { get; private set; }

    /// <summary>Length of the ramp in steps.</summary>
    public int TotalIters { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        int t = LastEpoch;
        if (t == 0)
        {
            for (int i = 0; i < lrs.Length; i++) lrs[i] *= StartFactor;
            return lrs;
        }
        if (t > TotalIters) return lrs;
        double f = 1.0 + (EndFactor - StartFactor) / (TotalIters * StartFactor + (t - 1) * (EndFactor - StartFactor));
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= f;
        return lrs;
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr()
    {
        var r = new double[BaseLrs.Count];
        for (int i = 0; i < r.Length; i++)
            r[i] = BaseLrs[i] * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, LastEpoch) / TotalIters);
        return r;
    }

    /// <inheritdoc/>
    protected override void SaveState(JsonObject state)
    {
        base.SaveState(state);
        state["start_factor"] = StartFactor;
        state["end_factor"] = EndFactor;
        state["total_iters"] = TotalIters;
    }

    /// <inheritdoc/>
    protected override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        StartFactor = Get<double>(state, "start_factor");
        EndFactor = Get<double>(state, "end_factor");
        TotalIters = Get<int>(state, "total_iters");
    }
}
