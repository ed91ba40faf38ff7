using System.Text.Json.Nodes;

namespace ResearchKit.Tensors.Optim;

/// <summary>Multiplies the lr by <c>gamma</c> every <c>stepSize</c> epochs (<c>torch.optim.lr_scheduler.StepLR</c>).</summary>
public sealed class StepLR : LrScheduler
{
    /// <summary>Creates the scheduler and sets the epoch-0 lr.</summary>
    /// <param name="optimizer">Optimizer to schedule.</param>
    /// <param name="stepSize">Period of the decay, in epochs (≥ 1).</param>
    /// <param name="gamma">Multiplicative decay factor.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; -1 to start.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is below 1.</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int lastEpoch = -1) : base(optimizer, lastEpoch)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR: stepSize must be at least 1 (epochs between decays).");
        StepSize = stepSize;
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>Decay period in epochs.</summary>
    public int StepSize { get; private set; }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0 || LastEpoch % StepSize != 0) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Gamma;
        return lrs;
    }

    /// <inheritdoc/>
    protected override double[]? GetClosedFormLr()
    {
        var r = new double[BaseLrs.Count];
        for (int i = 0; i < r.Length; i++) r[i] = BaseLrs[i] * Math.Pow(Gamma, Math.Floor((double)LastEpoch / StepSize));
        return r;
    }

    /// <inheritdoc/>
    protected override void SaveState(JsonObject state)
    {
        base.SaveState(state);
        state["step_size"] = StepSize;
        state["gamma"] = Gamma;
    }

    /// <inheritdoc/>
    protected override void LoadState(JsonObject state)
    {
        base.LoadState(state);
        StepSize = Get<int>(state, "step_size");
        Gamma = Get<double>(state, "gamma");
    }
}
