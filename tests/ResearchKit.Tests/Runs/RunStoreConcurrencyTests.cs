using System.Diagnostics;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace ResearchKit.Tests.Runs;

/// <summary>
/// Several writers on one runs directory: threads with their own store (own connection, same file locking as
/// separate processes) and real child processes.
/// </summary>
public class RunStoreConcurrencyTests
{
    internal const int RunsPerWorker = 20;
    internal const int PointsPerRun = 60;
    internal const int BatchSize = 10;

    private readonly ITestOutputHelper _output;

    public RunStoreConcurrencyTests(ITestOutputHelper output) => _output = output;

    internal static RunConfig WorkerConfig(int worker, int i) => SqliteRunStoreTests.Config(worker * 1000 + i, "stress");

    internal static RunConfig SharedConfig => SqliteRunStoreTests.Config(-1, "shared");

    /// <summary>One writer's workload: its own runs with metrics, a checkpoint and completion, plus the shared config.</summary>
    internal static long RunWorkload(string runsDir, int worker)
    {
        using var store = SqliteRunStore.Open(runsDir);
        // All writers ask for one config at once: one gets the run, the others are refused by its lease (another live
        // process trains it) and must all see that same run.
        long shared;
        try { shared = store.StartOrResume(SharedConfig.Hash, SharedConfig.Json).Id; }
        catch (RunLeasedException e) { shared = e.RunId; }
        for (int i = 0; i < RunsPerWorker; i++)
        {
            var cfg = WorkerConfig(worker, i);
            long id = store.StartOrResume(cfg.Hash, cfg.Json).Id;
            var batch = new MetricPoint[BatchSize];
            for (int s = 0; s < PointsPerRun; s += BatchSize)
            {
                for (int k = 0; k < BatchSize; k++) batch[k] = new MetricPoint(s + k, "train/loss", worker + (s + k) * 1e-3);
                store.LogMetrics(id, batch);
            }
            store.SaveCheckpoint(id, new Checkpoint(PointsPerRun, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new float[] { worker, i }) },
                new Dictionary<string, string> { ["worker"] = worker.ToString() }));
            // Only the shared run's lease holder may write it; the others are refused (and write nothing).
            try { store.LogMetrics(shared, [new MetricPoint(i, $"worker{worker}", i)]); }
            catch (RunLeaseLostException) { }
            store.Complete(id, new Dictionary<string, double> { ["worker"] = worker, ["index"] = i });
        }
        return shared;
    }

    private static void Verify(string runsDir, int[] workers)
    {
        using var store = SqliteRunStore.Open(runsDir);
        Assert.Equal("ok", store.ExecuteScalar("PRAGMA integrity_check;"));
        Assert.Equal(workers.Length * RunsPerWorker + 1, store.List().Count);
        var shared = store.Find(SharedConfig.Hash);
        Assert.NotNull(shared);
        Assert.Equal(1L, store.ExecuteScalar($"SELECT COUNT(*) FROM runs WHERE config_hash = '{SharedConfig.Hash}';")); // StartOrResume is atomic
        // The lease holder wrote all its points; a writer without the lease none (threads of one process take the lease
        // over from each other, so an earlier holder may have written a prefix before losing it).
        var sharedPoints = store.Metrics(shared.Id);
        Assert.Contains(workers, w => sharedPoints.Count(p => p.Name == $"worker{w}") == RunsPerWorker);
        Assert.True(sharedPoints.Count < workers.Length * RunsPerWorker, "writers without the shared run's lease must be refused");
        foreach (int w in workers)
        {
            for (int i = 0; i < RunsPerWorker; i++)
            {
                var run = store.Find(WorkerConfig(w, i).Hash);
                Assert.NotNull(run);
                Assert.Equal(RunStatus.Completed, run.Status);
                Assert.Equal(w, run.FinalMetrics["worker"]);
                var series = store.Metrics(run.Id);
                Assert.Equal(Enumerable.Range(0, PointsPerRun).Select(s => (long)s), series.Select(p => p.Step));
                Assert.All(series, p => Assert.Equal(w + p.Step * 1e-3, p.Value));
                var ckpt = store.LatestCheckpoint(run.Id);
                Assert.NotNull(ckpt);
                Assert.Equal(new float[] { w, i }, ckpt.Tensors["w"].ToArray());
            }
        }
    }

    [Fact]
    public void Threads_WithSeparateConnections_DoNotLoseOrCorruptWrites()
    {
        using var dir = new TempRunsDir();
        int[] workers = [0, 1, 2, 3];
        using var start = new Barrier(workers.Length);
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var threads = workers.Select(w => new Thread(() =>
        {
            try { start.SignalAndWait(); RunWorkload(dir.Path, w); }
            catch (Exception ex) { errors.Add(ex); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
        Verify(dir.Path, workers);
    }

    [Fact]
    public void Processes_SharingTheStore_DoNotLoseOrCorruptWrites()
    {
        // Two child processes (this test assembly run through a startup hook, see StartupHook in RunStoreStressHook.cs) plus this
        // process write to the same store at the same time.
        using var dir = new TempRunsDir();
        var children = new[] { 1, 2 }.Select(w => StartWorker(dir.Path, w)).ToList();
        foreach (var child in children)
        {
            string? line = child.StandardOutput.ReadLine();
            Assert.True(line == "ready", $"worker did not start: '{line}' {(line is null ? child.StandardError.ReadToEnd() : "")}");
        }
        File.WriteAllText(Path.Combine(dir.Path, StartupHook.GoFileName), "");
        var sw = Stopwatch.StartNew();
        long t0 = DateTime.UtcNow.Ticks;
        RunWorkload(dir.Path, 0);
        var windows = new List<(long Start, long End)> { (t0, DateTime.UtcNow.Ticks) };
        foreach (var child in children)
        {
            Assert.True(child.WaitForExit(60_000), "stress worker did not finish within 60 s");
            string stderr = child.StandardError.ReadToEnd();
            string stdout = child.StandardOutput.ReadToEnd();
            Assert.True(child.ExitCode == 0, $"worker exited with {child.ExitCode}: {stderr}");
            var done = stdout.Split('\n').Single(l => l.StartsWith("stress worker done", StringComparison.Ordinal)).Split(' ');
            windows.Add((long.Parse(done[3]), long.Parse(done[4])));
            child.Dispose();
        }
        _output.WriteLine($"3 processes x {RunsPerWorker} runs: {sw.ElapsedMilliseconds} ms; windows (ms after go): " +
            string.Join(", ", windows.Select(w => $"{(w.Start - t0) / 1e4:F0}-{(w.End - t0) / 1e4:F0}")));
        // The writers really overlapped in time (otherwise this would test nothing about locking).
        Assert.True(windows.Max(w => w.Start) < windows.Min(w => w.End), "worker time windows do not overlap");
        Verify(dir.Path, [0, 1, 2]);
    }

    private static Process StartWorker(string runsDir, int worker)
    {
        string assembly = typeof(RunStoreConcurrencyTests).Assembly.Location;
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo(host) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(assembly);
        psi.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
        psi.Environment[StartupHook.DirVariable] = runsDir;
        psi.Environment[StartupHook.WorkerVariable] = worker.ToString();
        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start {host}");
    }
}
