using System.Diagnostics;
using System.Globalization;

namespace ResearchKit.Runs;

/// <summary>
/// The process training a run, as recorded in its lease: host name, process id and the process' start time (so a
/// recycled process id is not mistaken for the owner).
/// </summary>
/// <param name="Host">Machine name.</param>
/// <param name="ProcessId">Process id.</param>
/// <param name="StartTicks">Process start time, UTC ticks.</param>
public sealed record RunOwner(string Host, int ProcessId, long StartTicks)
{
    /// <summary>How far apart two readings of one process' start time may be (they jitter by milliseconds).</summary>
    internal static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(1);

    /// <summary>This process.</summary>
    public static RunOwner Current { get; } = Of(Process.GetCurrentProcess());

    /// <summary>The owner identity of a running process.</summary>
    public static RunOwner Of(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        return new RunOwner(Environment.MachineName, process.Id, process.StartTime.ToUniversalTime().Ticks);
    }

    /// <summary>Stored form: <c>host:pid:startTicks</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{ProcessId}:{StartTicks}");

    /// <summary>Parses the stored form; null for null, empty or unreadable text (a lease without a readable owner is stale).</summary>
    public static RunOwner? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        // The host name may itself contain ':' (unusual), so split from the right.
        int b = text.LastIndexOf(':'), a = b > 0 ? text.LastIndexOf(':', b - 1) : -1;
        if (a <= 0
            || !int.TryParse(text.AsSpan(a + 1, b - a - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid)
            || !long.TryParse(text.AsSpan(b + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out long ticks))
            return null;
        return new RunOwner(text[..a], pid, ticks);
    }

    /// <summary>
    /// True when the owner ran on this machine and that process is gone (its id is free or now names a process that
    /// started at another time). False for another machine's process, which cannot be checked from here.
    /// </summary>
    public bool IsGoneFromThisHost()
    {
        if (!string.Equals(Host, Environment.MachineName, StringComparison.Ordinal)) return false;
        try
        {
            using var p = Process.GetProcessById(ProcessId);
            // StartTime is derived from the boot time, which .NET recomputes on each call: the same process reads a few
            // milliseconds apart from one call to the next, so compare with a tolerance. A recycled id starts later
            // than its first owner by at least that owner's lifetime.
            return p.HasExited || Math.Abs(p.StartTime.ToUniversalTime().Ticks - StartTicks) > StartTimeTolerance.Ticks;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return true; // no such process
        }
    }
}

/// <summary>
/// Thrown by <see cref="IRunStore.StartOrResume"/> when another live process holds the run's lease: two processes
/// training one run would interleave its checkpoints and metrics.
/// </summary>
public sealed class RunLeasedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public RunLeasedException(long runId, RunOwner? owner, DateTime heartbeatUtc, TimeSpan leaseTimeout)
        : base($"Run {runId} is being trained by process {owner?.ProcessId.ToString(CultureInfo.InvariantCulture) ?? "?"} on {owner?.Host ?? "?"} " +
               $"(last heartbeat {heartbeatUtc:u}). Wait for it to finish, or stop it; if that process is gone, its lease expires " +
               $"{leaseTimeout.TotalSeconds:F0} s after the last heartbeat (on the same machine a dead owner is detected at once).")
    {
        RunId = runId;
        Owner = owner;
        HeartbeatUtc = heartbeatUtc;
    }

    /// <summary>The contested run.</summary>
    public long RunId { get; }

    /// <summary>The process holding the lease (null when unreadable).</summary>
    public RunOwner? Owner { get; }

    /// <summary>The owner's last heartbeat.</summary>
    public DateTime HeartbeatUtc { get; }
}

/// <summary>
/// Thrown by a write to a run (<see cref="IRunStore.LogMetrics"/>, <see cref="IRunStore.SaveCheckpoint"/>,
/// <see cref="IRunStore.TruncateMetrics"/>, <see cref="IRunStore.Complete"/>, <see cref="IRunStore.Fail"/>) when the
/// caller does not hold the run's lease: it expired and another process (or store) took the run over, or this store
/// never started it. Nothing was written; the caller must stop training this run.
/// </summary>
public sealed class RunLeaseLostException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="operation">The refused operation (e.g. "LogMetrics").</param>
    /// <param name="holder">The lease holder now (null when none or unreadable).</param>
    /// <param name="neverHeld">True when this store never took the run's lease (no <see cref="IRunStore.StartOrResume"/>).</param>
    public RunLeaseLostException(long runId, string operation, RunOwner? holder, bool neverHeld)
        : base(neverHeld
            ? string.Create(CultureInfo.InvariantCulture, $"{operation}: run {runId} is not leased by this store; call StartOrResume with its config before writing to it ") +
              "(only the store that started or resumed a run may write its metrics, checkpoints and status)."
            : string.Create(CultureInfo.InvariantCulture, $"{operation}: run {runId} lost its lease: ") +
              (holder is null ? "another process took it over" : string.Create(CultureInfo.InvariantCulture, $"process {holder.ProcessId} on {holder.Host} took it over")) +
              " after this process' heartbeat stopped renewing it. Nothing was written; stop training the run here: " +
              "the new owner continues it from its last checkpoint.")
    {
        RunId = runId;
        Operation = operation;
        Holder = holder;
    }

    /// <summary>The run.</summary>
    public long RunId { get; }

    /// <summary>The refused operation.</summary>
    public string Operation { get; }

    /// <summary>The process holding the lease now (null when none or unreadable).</summary>
    public RunOwner? Holder { get; }
}
