using ResearchKit.Runs;

namespace ResearchKit.Training;

/// <summary>
/// Renews a run's lease on its own background thread while the experiment body trains. A dedicated thread, not a
/// thread-pool timer: training saturates the pool with <c>Parallel.For</c> work, and a timer starved past the lease
/// timeout would let another process take a healthy run over.
/// </summary>
internal sealed class LeaseHeartbeat : IDisposable
{
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;
    private readonly object _gate = new();
    private bool _ended;

    /// <summary>Starts renewing every <paramref name="interval"/>; <paramref name="lost"/> runs once when a renewal finds the lease gone.</summary>
    public LeaseHeartbeat(IRunStore store, long runId, TimeSpan interval, Func<bool> alreadyLost, Action lost)
    {
        _thread = new Thread(() =>
        {
            while (!_stop.Wait(interval))
            {
                lock (_gate)
                {
                    if (_ended || alreadyLost()) return;
                    bool held;
                    try { held = store.Heartbeat(runId); }
                    catch (Exception) { return; } // a store closed under the heartbeat: the run is ending anyway
                    if (!held) { lost(); return; }
                }
            }
        })
        { IsBackground = true, Name = $"ResearchKit lease heartbeat (run {runId})" };
        _thread.Start();
    }

    /// <summary>Stops renewing; once it returns, no renewal is in progress or will follow (call before completing or failing the run).</summary>
    public void End()
    {
        lock (_gate) _ended = true;
        _stop.Set();
    }

    /// <summary>Ends the heartbeat and waits for its thread.</summary>
    public void Dispose()
    {
        End();
        _thread.Join();
        _stop.Dispose();
    }
}
