using System.Text.Json.Nodes;

namespace ResearchKit.Tensors.Optim;

/// <summary>Multiplies the lr by <c>gamma</c> every epoch (<c>torch.optim.lr_scheduler.ExponentialLR</c>).</summary>
public sealed class ExponentialLR : LrScheduler
{
    /// <summary>Creates the scheduler and sets the epoch-0 lr.</summary>
    /// <param name="optimizer">Optimizer to schedule.</param>
    /// <param name="gamma">Multiplicative decay factor per epoch.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; -1 to start.</param>
    public ExponentialLR(Optimizer optimizer, double gamma, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Gamma;
        return lrs;
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr()
    {
        var r = new double[BaseLrs.Count];
        for (int i = 0; i < r.Length; i++) r[i] = BaseLrs[i] * Math.Pow(Gamma, LastEpoch);
        return r;
    }

    /// <inheritdoc/>
    protected override void SaveState(JsonObject state) { base.SaveState(state); state["gamma"] = Gamma; }

    /// <inheritdoc/>
    protected override void LoadState(JsonObject state) { base.LoadState(state); Gamma = Get<double>(state, "gamma"); }
}
