using System.Diagnostics;
using ResearchKit.Runs;

namespace ResearchKit.Training;

/// <summary>
/// Runs an experiment through an <see cref="IRunStore"/>: a config whose run completed is answered from the store
/// without training; an interrupted run resumes from its last checkpoint; otherwise the body trains and its metrics,
/// checkpoints and final metrics are recorded.
/// </summary>
public static class ExperimentRunner
{
    /// <summary>Returns the stored result of a completed run of this config, or runs <paramref name="train"/>.</summary>
    /// <param name="store">The run store.</param>
    /// <param name="configJson">Canonical config JSON (<c>RunConfig.Json</c>).</param>
    /// <param name="configHash">Its hash (<c>RunConfig.Hash</c>).</param>
    /// <param name="train">The experiment: trains (restoring <see cref="ExperimentContext.LatestCheckpoint"/> when
    /// <see cref="ExperimentContext.Resumed"/>, e.g. with <see cref="ExperimentContext.Attach"/>) and returns the final metrics.</param>
    /// <returns>Final metrics and the full metric series; <see cref="RunResult.FromCache"/> when nothing was trained.</returns>
    /// <exception cref="ArgumentException">Empty config JSON or hash.</exception>
    /// <exception cref="Runs.RunLeasedException">Another live process trains this config's run.</exception>
    /// <remarks>When <paramref name="train"/> throws, the buffered metrics are written, the run is marked Failed with
    /// the message, and the exception is rethrown; the next call resumes from the last checkpoint.</remarks>
    public static RunResult Run(IRunStore store, string configJson, string configHash, Func<ExperimentContext, IReadOnlyDictionary<string, double>> train)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(configJson);
        ArgumentException.ThrowIfNullOrEmpty(configHash);
        ArgumentNullException.ThrowIfNull(train);
        var sw = Stopwatch.StartNew();

        if (store.Find(configHash) is { Status: RunStatus.Completed } done)
            return new RunResult(done.Id, configHash, FromCache: true, Resumed: false, done.FinalMetrics, store.Metrics(done.Id), sw.Elapsed);

        var run = store.StartOrResume(configHash, configJson);
        var latest = store.LatestCheckpoint(run.Id);
        // Points logged after the checkpoint (or all of them, without one) will be logged again by the resumed body.
        store.TruncateMetrics(run.Id, latest?.Step ?? -1);
        var ctx = new ExperimentContext(store, run, latest);
        // Keeps the run's lease while the body trains, so a second process (another notebook kernel, a CLI run) is
        // refused instead of interleaving checkpoints. A lost lease can only be reported: the body cannot be stopped from here.
        var interval = store.HeartbeatInterval;
        var gate = new object();
        bool ended = false; // set under gate before the run is completed or failed, so no heartbeat follows
        using var heartbeat = interval == Timeout.InfiniteTimeSpan ? null : new Timer(_ =>
        {
            lock (gate)
            {
                if (ended) return;
                try
                {
                    if (!store.Heartbeat(run.Id))
                        Console.Error.WriteLine($"warning: run {run.Id} lost its lease (another process took it over); this process' results may be overwritten.");
                }
                catch (Exception) { } // a store closed under the timer: the run is ending anyway
            }
        }, null, interval, interval);
        void End() { lock (gate) ended = true; }

        IReadOnlyDictionary<string, double> final;
        try
        {
            final = train(ctx) ?? throw new InvalidOperationException("ExperimentRunner.Run: the experiment body returned null; return its final metrics (e.g. TrainingResult.FinalMetrics).");
            ctx.Flush();
            End();
            store.Complete(run.Id, final);
        }
        catch (Exception e)
        {
            End();
            // Record what we can; a failure to record must not replace the body's exception.
            try { ctx.Flush(); } catch (Exception) { }
            try { store.Fail(run.Id, e.GetType().Name + ": " + e.Message); } catch (Exception) { }
            throw;
        }
        return new RunResult(run.Id, configHash, FromCache: false, ctx.Resumed, final, store.Metrics(run.Id), sw.Elapsed);
    }
}
