using ResearchKit.Runs;

namespace ResearchKit.Training;

/// <summary>Result of <see cref="ExperimentRunner.Run"/>.</summary>
/// <param name="RunId">Run id in the store.</param>
/// <param name="ConfigHash">Config hash of the run.</param>
/// <param name="FromCache">True when a completed run was found and nothing was trained.</param>
/// <param name="Resumed">True when training continued from a checkpoint of an interrupted run.</param>
/// <param name="FinalMetrics">Final metrics as stored.</param>
/// <param name="Metrics">The run's whole metric series as stored, ordered by step.</param>
/// <param name="Elapsed">Wall time of this call.</param>
public sealed record RunResult(long RunId, string ConfigHash, bool FromCache, bool Resumed,
    IReadOnlyDictionary<string, double> FinalMetrics, IReadOnlyList<MetricPoint> Metrics, TimeSpan Elapsed)
{
    /// <summary>The code version of the request (its config's <c>code_version</c>; null when it has none).</summary>
    public string? CodeVersion { get; init; }

    /// <summary>
    /// Set when the result is a stale one reused on request (<see cref="ExperimentRunOptions.ReuseStale"/>): the code
    /// version that computed it, which is not <see cref="CodeVersion"/>. Null for results of this code.
    /// </summary>
    public string? StaleCodeVersion { get; init; }

    /// <summary>Where the result comes from, for display: trained, resumed, stored, or stored by another code version (naming both).</summary>
    public string Source => StaleCodeVersion is { } old
        ? $"run {RunId}, stale result of code version {old} reused (this code is {CodeVersion ?? "unversioned"})"
        : FromCache ? $"run {RunId}, from the store" : $"run {RunId}, {(Resumed ? "resumed and " : "")}trained in {Elapsed.TotalSeconds:F1} s";

    /// <summary>The points of one metric, ordered by step.</summary>
    public IReadOnlyList<MetricPoint> Series(string name)
    {
        var r = new List<MetricPoint>();
        foreach (var p in Metrics) if (p.Name == name) r.Add(p);
        return r;
    }
}
