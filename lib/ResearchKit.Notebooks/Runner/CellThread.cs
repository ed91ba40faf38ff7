using System.Collections.Concurrent;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// One dedicated thread per notebook run on which the kernel executes every cell, with a synchronization context
/// that brings the continuations of a cell's <c>await</c> back to it. The engine keeps per-thread state
/// (<c>[ThreadStatic]</c> grad mode): cells on pool threads could see, or leave behind, another cell's state.
/// </summary>
internal sealed class CellThread : IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Thread _thread;
    private int _running;

    /// <summary>Starts the thread (a background thread: a runaway cell never keeps the process alive).</summary>
    /// <param name="name">Thread name, shown in debuggers.</param>
    public CellThread(string name)
    {
        _thread = new Thread(Pump) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The managed id of the thread cells run on.</summary>
    public int ManagedThreadId => _thread.ManagedThreadId;

    /// <summary>Runs <paramref name="work"/> on the thread, in the caller's execution context (the kernel's async-locals).</summary>
    /// <param name="work">The asynchronous work; its awaits resume on the thread.</param>
    public Task RunAsync(Func<Task> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = ExecutionContext.Capture();
        void Start()
        {
            Task task;
            Interlocked.Increment(ref _running);
            try { task = work(); }
            catch (Exception e) { Interlocked.Decrement(ref _running); done.TrySetException(e); return; }
            task.ContinueWith(t =>
            {
                Interlocked.Decrement(ref _running);
                if (t.IsFaulted) done.TrySetException(t.Exception!.InnerExceptions);
                else if (t.IsCanceled) done.TrySetCanceled();
                else done.TrySetResult();
            }, TaskScheduler.Default);
        }
        if (!Post(_ => { if (context is null) Start(); else ExecutionContext.Run(context, _ => Start(), null); }, null))
            done.TrySetException(new ObjectDisposedException(nameof(CellThread)));
        return done.Task;
    }

    /// <summary>
    /// Wakes the thread from a blocking call (Sleep, Wait, Join) with a <see cref="ThreadInterruptedException"/>:
    /// the only way to stop managed code that does not observe a cancellation token (.NET has no Thread.Abort).
    /// </summary>
    public void Interrupt() => _thread.Interrupt();

    /// <summary>Waits until no work started by <see cref="RunAsync"/> is running, at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>Whether the thread is idle.</returns>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref _running) > 0)
        {
            if (clock.Elapsed >= timeout) return false;
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>Stops the pump once the queued work is done; a cell still running keeps running on the background thread.</summary>
    public void Dispose() => _queue.CompleteAdding();

    private bool Post(SendOrPostCallback callback, object? state)
    {
        try { return _queue.TryAdd((callback, state)); }
        catch (InvalidOperationException) { return false; } // completed: the run is over
    }

    private void Pump()
    {
        SynchronizationContext.SetSynchronizationContext(new Context(this));
        while (!_queue.IsCompleted)
        {
            try
            {
                if (_queue.TryTake(out var item, Timeout.Infinite)) item.Callback(item.State);
            }
            catch (ThreadInterruptedException)
            {
                // An interrupt meant for a cell that had already finished arrives here: nothing to stop.
            }
            catch (InvalidOperationException) when (_queue.IsCompleted)
            {
            }
        }
    }

    private sealed class Context(CellThread owner) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
            // After the run, late continuations (a cell's abandoned background work) go to the pool.
            if (!owner.Post(d, state)) ThreadPool.QueueUserWorkItem(_ => d(state));
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (Environment.CurrentManagedThreadId == owner.ManagedThreadId) { d(state); return; }
            using var done = new ManualResetEventSlim();
            Exception? error = null;
            Post(_ => { try { d(state); } catch (Exception e) { error = e; } finally { done.Set(); } }, null);
            done.Wait();
            if (error is not null) throw error;
        }

        public override SynchronizationContext CreateCopy() => this;
    }
}
