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
    /// <summary>The points of one metric, ordered by step.</summary>
    public IReadOnlyList<MetricPoint> Series(string name)
    {
        var r = new List<MetricPoint>();
        foreach (var p in Metrics) if (p.Name == name) r.Add(p);
        return r;
    }
}
