using ResearchKit.Runs;

namespace ResearchKit.Training;

/// <summary>
/// What an experiment body gets from <see cref="ExperimentRunner.Run"/>: the run's identity, buffered metric logging
/// (written at checkpoints and at the end), checkpoints, and whether it resumes an interrupted run.
/// </summary>
public sealed class ExperimentContext : IDisposable
{
    private readonly List<MetricPoint> _pending = new();
    private readonly CancellationTokenSource _leaseLost = new();
    private Checkpoint? _latest;

    internal ExperimentContext(IRunStore store, RunRecord run, Checkpoint? latest)
    {
        Store = store;
        RunId = run.Id;
        ConfigHash = run.ConfigHash;
        ConfigJson = run.ConfigJson;
        _latest = latest;
        Resumed = latest is not null;
    }

    /// <summary>The run store.</summary>
    public IRunStore Store { get; }

    /// <summary>Run id.</summary>
    public long RunId { get; }

    /// <summary>Config hash.</summary>
    public string ConfigHash { get; }

    /// <summary>Canonical config JSON.</summary>
    public string ConfigJson { get; }

    /// <summary>True when an interrupted run left a checkpoint: restore it (see <see cref="Attach"/>) and continue from its step.
    /// Metric points logged after that checkpoint have already been discarded.</summary>
    public bool Resumed { get; }

    /// <summary>
    /// Cancelled when the run's lease was lost (another process took the run over): a body with long stretches
    /// between metrics can watch it to stop sooner. The context's writes throw <see cref="RunLeaseLostException"/> then.
    /// </summary>
    public CancellationToken Cancellation => _leaseLost.Token;

    /// <summary>True once the run's lease was found taken over.</summary>
    public bool LeaseLost => _leaseLost.IsCancellationRequested;

    /// <summary>Throws <see cref="RunLeaseLostException"/> when the run's lease was lost.</summary>
    public void ThrowIfLeaseLost()
    {
        if (LeaseLost) throw new RunLeaseLostException(RunId, "ExperimentContext", holder: null, neverHeld: false);
    }

    /// <summary>Called by the runner's heartbeat when a renewal finds the lease taken over.</summary>
    internal void LoseLease() => _leaseLost.Cancel();

    /// <summary>Metric points logged but not yet written.</summary>
    public int PendingMetrics => _pending.Count;

    /// <summary>Buffers a metric point; it is written with the next checkpoint or at the end.</summary>
    public void LogMetric(long step, string name, double value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ThrowIfLeaseLost(); // stops a body that only logs (through ExperimentCallback) at its next step
        _pending.Add(new MetricPoint(step, name, value));
    }

    /// <summary>Writes the buffered metric points (one transaction).</summary>
    public void Flush()
    {
        ThrowIfLeaseLost();
        if (_pending.Count == 0) return;
        Store.LogMetrics(RunId, _pending.ToArray());
        _pending.Clear();
    }

    /// <summary>Writes the buffered metrics, then the checkpoint (in that order: a crash in between only loses points
    /// that the resume discards anyway, never points before the checkpoint).</summary>
    public void SaveCheckpoint(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ThrowIfLeaseLost();
        Flush();
        Store.SaveCheckpoint(RunId, checkpoint);
        _latest = checkpoint;
    }

    /// <summary>The latest checkpoint of this run (the one resumed from, or the last saved), or null.</summary>
    public Checkpoint? LatestCheckpoint() => _latest;

    /// <summary>
    /// Wires a trainer to this run: adds an <see cref="ExperimentCallback"/> (logs "train/*" and "eval/*" metrics,
    /// saves checkpoints) and, when resuming, restores the trainer from the latest checkpoint.
    /// </summary>
    /// <returns>True when the trainer was restored from a checkpoint.</returns>
    public bool Attach(Trainer trainer, ExperimentCallback? callback = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        trainer.Callbacks.Add(callback ?? new ExperimentCallback(this));
        if (_latest is null) return false;
        TrainerCheckpoint.Restore(trainer, _latest);
        return true;
    }

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => _leaseLost.Dispose();
}
