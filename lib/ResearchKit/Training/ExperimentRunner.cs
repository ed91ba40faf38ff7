using System.Diagnostics;
using ResearchKit.Runs;

namespace ResearchKit.Training;

/// <summary>Options of <see cref="ExperimentRunner.Run"/>.</summary>
public sealed record ExperimentRunOptions
{
    /// <summary>
    /// Return a completed run of an otherwise equal config recorded by another code version (a stale result) instead
    /// of training again. Off by default: after a change to the engine or kit, results are recomputed. The output says
    /// which code version the reused numbers come from.
    /// </summary>
    public bool ReuseStale { get; init; }

    /// <summary>Where notices about stale results and lost leases go (default: standard output, which notebooks show).</summary>
    public TextWriter? Log { get; init; }
}

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
    /// <param name="options">Reuse of stale results and the notice log (default: train again, notices on standard output).</param>
    /// <returns>Final metrics and the full metric series; <see cref="RunResult.FromCache"/> when nothing was trained.</returns>
    /// <exception cref="ArgumentException">Empty config JSON or hash.</exception>
    /// <exception cref="RunLeasedException">Another live process trains this config's run.</exception>
    /// <exception cref="RunLeaseLostException">Another process took the run over while the body trained; the body was
    /// stopped at its next metric or checkpoint and nothing of it was written after the takeover.</exception>
    /// <remarks>
    /// <para>A completed run of the same config except for <c>code_version</c> is stale: it is reported and the body
    /// trains, unless <see cref="ExperimentRunOptions.ReuseStale"/> (then it is returned with
    /// <see cref="RunResult.StaleCodeVersion"/> set).</para>
    /// <para>When <paramref name="train"/> throws, the buffered metrics are written, the run is marked Failed with
    /// the message, and the exception is rethrown; the next call resumes from the last checkpoint.</para>
    /// <para>While the body trains, the run's lease is renewed every <see cref="IRunStore.HeartbeatInterval"/>. When a
    /// renewal finds the lease taken over, <see cref="ExperimentContext.Cancellation"/> is cancelled and the context's
    /// next <see cref="ExperimentContext.LogMetric"/>, <see cref="ExperimentContext.Flush"/> or
    /// <see cref="ExperimentContext.SaveCheckpoint"/> throws <see cref="RunLeaseLostException"/>.</para>
    /// </remarks>
    public static RunResult Run(IRunStore store, string configJson, string configHash, Func<ExperimentContext, IReadOnlyDictionary<string, double>> train,
        ExperimentRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(configJson);
        ArgumentException.ThrowIfNullOrEmpty(configHash);
        ArgumentNullException.ThrowIfNull(train);
        options ??= new ExperimentRunOptions();
        var log = options.Log ?? Console.Out;
        var sw = Stopwatch.StartNew();
        string? codeVersion = RunConfig.CodeVersionOf(configJson);

        if (store.Find(configHash) is { Status: RunStatus.Completed } done)
            return new RunResult(done.Id, configHash, FromCache: true, Resumed: false, done.FinalMetrics, store.Metrics(done.Id), sw.Elapsed) { CodeVersion = codeVersion };

        if (store.FindStale(configJson) is { } stale)
        {
            string staleVersion = stale.CodeVersion ?? "(none recorded)";
            if (options.ReuseStale)
            {
                log.WriteLine($"Stale result reused: run {stale.Id} was computed by code version {staleVersion}, not by this code ({codeVersion}); " +
                              "its numbers may differ from what this code computes. Drop the reuse-stale option to train again.");
                return new RunResult(stale.Id, stale.ConfigHash, FromCache: true, Resumed: false, stale.FinalMetrics, store.Metrics(stale.Id), sw.Elapsed)
                {
                    CodeVersion = codeVersion,
                    StaleCodeVersion = staleVersion,
                };
            }
            log.WriteLine($"Stale result: run {stale.Id} was computed by code version {staleVersion}, this code is {codeVersion}; training again " +
                          "(to reuse it instead: rk train --reuse-stale, notebook parameter reuseStale=true, or ExperimentRunOptions.ReuseStale).");
        }

        var run = store.StartOrResume(configHash, configJson);
        var latest = store.LatestCheckpoint(run.Id);
        // Points logged after the checkpoint (or all of them, without one) will be logged again by the resumed body.
        store.TruncateMetrics(run.Id, latest?.Step ?? -1);
        using var ctx = new ExperimentContext(store, run, latest);
        // Keeps the run's lease while the body trains, so a second process (another notebook kernel, a CLI run) is
        // refused instead of interleaving checkpoints; a renewal that finds the lease gone stops the body (via ctx).
        var interval = store.HeartbeatInterval;
        using var heartbeat = interval == Timeout.InfiniteTimeSpan ? null : new LeaseHeartbeat(store, run.Id, interval, () => ctx.LeaseLost, () =>
        {
            ctx.LoseLease();
            log.WriteLine($"Run {run.Id} lost its lease: another process took it over. Training stops here at the next metric or checkpoint; " +
                          "nothing more is written by this process.");
        });
        void End() => heartbeat?.End(); // before the run is completed or failed, so no heartbeat follows

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
            // The new owner's run: write nothing, in particular not Failed over its Running status.
            if (e is RunLeaseLostException || ctx.LeaseLost) throw;
            // Record what we can; a failure to record must not replace the body's exception.
            try { ctx.Flush(); } catch (Exception) { }
            try { store.Fail(run.Id, e.GetType().Name + ": " + e.Message); } catch (Exception) { }
            throw;
        }
        return new RunResult(run.Id, configHash, FromCache: false, ctx.Resumed, final, store.Metrics(run.Id), sw.Elapsed) { CodeVersion = codeVersion };
    }
}
