using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Serialization;

namespace ResearchKit.Tests.Training;

/// <summary>
/// A fake <see cref="IRunStore"/> with the contract's semantics, for trainer tests. Checkpoints are deep-copied, or, when
/// a directory is given, written and read back as safetensors files like the SQLite store does.
/// </summary>
internal sealed class InMemoryRunStore : IRunStore
{
    private readonly List<RunRecord> _runs = new();
    private readonly Dictionary<long, List<MetricPoint>> _metrics = new();
    private readonly Dictionary<long, object> _checkpoints = new();
    private readonly Dictionary<long, Dictionary<string, string>> _artifacts = new();
    private readonly string? _dir;

    public InMemoryRunStore(string? checkpointDir = null) { _dir = checkpointDir; }

    public int CheckpointsSaved { get; private set; }
    public int LogCalls { get; private set; }

    public RunRecord? Find(string configHash)
    {
        for (int i = _runs.Count - 1; i >= 0; i--) if (_runs[i].ConfigHash == configHash) return _runs[i];
        return null;
    }

    public RunRecord? Get(long runId) => _runs.Find(r => r.Id == runId);

    public IReadOnlyList<RunRecord> List() => Enumerable.Reverse(_runs).ToList();

    public RunRecord StartOrResume(string configHash, string configJson)
    {
        if (Find(configHash) is { Status: RunStatus.Running or RunStatus.Failed } existing)
            return Replace(existing with { Status = RunStatus.Running, Error = null, EndedUtc = null });
        var r = new RunRecord(_runs.Count + 1, configHash, configJson, RunStatus.Running, DateTime.UtcNow, null, new Dictionary<string, double>(), null);
        _runs.Add(r);
        _metrics[r.Id] = new List<MetricPoint>();
        return r;
    }

    public void LogMetrics(long runId, IReadOnlyList<MetricPoint> points) { LogCalls++; _metrics[runId].AddRange(points); }

    public IReadOnlyList<MetricPoint> Metrics(long runId, string? name = null) =>
        _metrics[runId].Where(p => name is null || p.Name == name).OrderBy(p => p.Step).ToList();

    public void SaveCheckpoint(long runId, Checkpoint checkpoint)
    {
        CheckpointsSaved++;
        if (_dir is null)
        {
            _checkpoints[runId] = new Checkpoint(checkpoint.Step,
                checkpoint.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Clone()),
                new Dictionary<string, string>(checkpoint.Metadata));
            return;
        }
        string path = Path.Combine(_dir, $"run{runId}.safetensors");
        var meta = new Dictionary<string, string>(checkpoint.Metadata) { ["step"] = checkpoint.Step.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        SafeTensors.Save(path, checkpoint.Tensors, meta);
        _checkpoints[runId] = path;
    }

    public Checkpoint? LatestCheckpoint(long runId)
    {
        if (!_checkpoints.TryGetValue(runId, out var c)) return null;
        if (c is Checkpoint cp) return cp;
        var (tensors, meta) = SafeTensors.LoadWithMetadata((string)c);
        var m = new Dictionary<string, string>(meta);
        long step = long.Parse(m["step"], System.Globalization.CultureInfo.InvariantCulture);
        m.Remove("step");
        return new Checkpoint(step, tensors, m);
    }

    public void TruncateMetrics(long runId, long step) => _metrics[runId].RemoveAll(p => p.Step > step);

    public void Complete(long runId, IReadOnlyDictionary<string, double> finalMetrics) =>
        Replace(Get(runId)! with { Status = RunStatus.Completed, EndedUtc = DateTime.UtcNow, FinalMetrics = new Dictionary<string, double>(finalMetrics) });

    public void Fail(long runId, string error) =>
        Replace(Get(runId)! with { Status = RunStatus.Failed, EndedUtc = DateTime.UtcNow, Error = error });

    public void AddArtifact(long runId, string name, string path)
    {
        if (!_artifacts.TryGetValue(runId, out var d)) _artifacts[runId] = d = new Dictionary<string, string>();
        d[name] = path;
    }

    public IReadOnlyDictionary<string, string> Artifacts(long runId) =>
        _artifacts.TryGetValue(runId, out var d) ? d : new Dictionary<string, string>();

    public void Dispose() { }

    private RunRecord Replace(RunRecord r)
    {
        int i = _runs.FindIndex(x => x.Id == r.Id);
        _runs[i] = r;
        return r;
    }
}
