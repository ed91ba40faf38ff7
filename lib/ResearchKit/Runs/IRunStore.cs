using ResearchKit.Tensors;

namespace ResearchKit.Runs;

/// <summary>Status of a recorded run.</summary>
public enum RunStatus
{
    /// <summary>Started and not finished (running now, or interrupted: resumable from its last checkpoint).</summary>
    Running,
    /// <summary>Finished; its final metrics are stored and are returned instead of retraining.</summary>
    Completed,
    /// <summary>Ended with an exception (message stored).</summary>
    Failed,
}

/// <summary>One run as stored: its config, status and final metrics.</summary>
/// <param name="Id">Store-assigned id.</param>
/// <param name="ConfigHash">Hex SHA-256 of the canonical config JSON.</param>
/// <param name="ConfigJson">Canonical config JSON (sorted keys, invariant culture).</param>
/// <param name="Status">Run status.</param>
/// <param name="StartedUtc">Start time.</param>
/// <param name="EndedUtc">End time, if ended.</param>
/// <param name="FinalMetrics">Final metrics by name (empty until completed).</param>
/// <param name="Error">Failure message, if failed.</param>
public sealed record RunRecord(long Id, string ConfigHash, string ConfigJson, RunStatus Status, DateTime StartedUtc,
    DateTime? EndedUtc, IReadOnlyDictionary<string, double> FinalMetrics, string? Error)
{
    /// <summary>The config's <c>code_version</c> (null when it has none or the store does not record it).</summary>
    public string? CodeVersion { get; init; }

    /// <summary>
    /// True when the run was recorded by another code version than the one it was looked up for: the request's for
    /// <see cref="IRunStore.FindStale"/>, this build's <see cref="RunConfig.DefaultCodeVersion"/> for
    /// <see cref="IRunStore.Get"/> and <see cref="IRunStore.List"/>. Its numbers may differ from what this code computes.
    /// </summary>
    public bool IsStale { get; init; }
}

/// <summary>One point of a metric series.</summary>
/// <param name="Step">Training step (iteration).</param>
/// <param name="Name">Metric name, e.g. "train/loss", "test/accuracy".</param>
/// <param name="Value">Value.</param>
public readonly record struct MetricPoint(long Step, string Name, double Value);

/// <summary>A checkpoint: tensors (model, optimizer, RNG state encoded as tensors) plus string metadata.</summary>
/// <param name="Step">Step after which it was taken.</param>
/// <param name="Tensors">Tensors by name (e.g. "model.conv1.weight", "optim.state.0.exp_avg").</param>
/// <param name="Metadata">Strings (optimizer param groups JSON, scheduler state, loader position, RNG state...).</param>
public sealed record Checkpoint(long Step, IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Persistent record of experiment runs, keyed by a canonical hash of their full config, so that a finished
/// experiment is shown again instantly and an interrupted one resumes.
/// </summary>
public interface IRunStore : IDisposable
{
    /// <summary>The most recent run with this config hash, or null.</summary>
    RunRecord? Find(string configHash);

    /// <summary>
    /// The newest Completed run whose config equals <paramref name="configJson"/> except for <c>code_version</c> and
    /// whose code version differs: a stale result, returned with <see cref="RunRecord.IsStale"/> set. Null when there is
    /// none, when the config has no <c>code_version</c>, or for a store that cannot tell.
    /// </summary>
    RunRecord? FindStale(string configJson) => null;

    /// <summary>Run by id.</summary>
    RunRecord? Get(long runId);

    /// <summary>All runs, newest first.</summary>
    IReadOnlyList<RunRecord> List();

    /// <summary>
    /// Creates a Running record for a config (canonical JSON as produced by <c>RunConfig</c>), or returns the newest
    /// existing run with this hash: a Completed one as is (the caller returns its stored result instead of training),
    /// a Running one as is (interrupted: resume from <see cref="LatestCheckpoint"/>), a Failed one switched back to
    /// Running (resume). Atomic across processes: concurrent callers with one config get one run.
    /// </summary>
    /// <remarks>A store with leases (<see cref="SqliteRunStore"/>) makes the caller the run's owner with a fresh lease
    /// token, and throws <see cref="RunLeasedException"/> when another live process owns the Running run. Its writes
    /// (<see cref="LogMetrics"/>, <see cref="SaveCheckpoint"/>, <see cref="TruncateMetrics"/>, <see cref="Complete"/>,
    /// <see cref="Fail"/>) throw <see cref="RunLeaseLostException"/> once the lease has been taken over.</remarks>
    RunRecord StartOrResume(string configHash, string configJson);

    /// <summary>How often the trainer of a run should call <see cref="Heartbeat"/>; infinite for a store without leases.</summary>
    TimeSpan HeartbeatInterval => Timeout.InfiniteTimeSpan;

    /// <summary>Renews this process' lease on a Running run; false when the lease was lost (it expired and another process took the run over).</summary>
    bool Heartbeat(long runId) => true;

    /// <summary>Appends metric points (one transaction). NaN and infinities are stored and read back as such.</summary>
    void LogMetrics(long runId, IReadOnlyList<MetricPoint> points);

    /// <summary>The metric series of a run, ordered by step (optionally one metric).</summary>
    IReadOnlyList<MetricPoint> Metrics(long runId, string? name = null);

    /// <summary>Writes a checkpoint atomically (temp file + rename) and records it; older checkpoints of the run may be pruned.</summary>
    void SaveCheckpoint(long runId, Checkpoint checkpoint);

    /// <summary>
    /// The latest intact checkpoint of a run, or null. A corrupt newest file (checksum mismatch, truncated, unreadable
    /// header) is skipped with a warning naming it, its step and the step resumed from, and is no longer offered (the
    /// store forgets it), in favour of the previous one; null when none is intact (the run restarts from step 0).
    /// Metric points logged after it are discarded by the caller's resume (<see cref="TruncateMetrics"/>).
    /// </summary>
    Checkpoint? LatestCheckpoint(long runId);

    /// <summary>Deletes metric points after <paramref name="step"/> (used when resuming from a checkpoint at that step).</summary>
    void TruncateMetrics(long runId, long step);

    /// <summary>Marks the run completed with its final metrics.</summary>
    void Complete(long runId, IReadOnlyDictionary<string, double> finalMetrics);

    /// <summary>Marks the run failed.</summary>
    void Fail(long runId, string error);

    /// <summary>Registers a named artifact file of a run (figure, table, final weights).</summary>
    void AddArtifact(long runId, string name, string path);

    /// <summary>Artifacts of a run by name.</summary>
    IReadOnlyDictionary<string, string> Artifacts(long runId);
}
