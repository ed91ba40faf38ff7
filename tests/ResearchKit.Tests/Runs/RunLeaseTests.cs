using System.Diagnostics;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Runs;

/// <summary>Leases: a Running run belongs to one live process; a dead or silent owner's run is taken over.</summary>
public class RunLeaseTests
{
    private static readonly RunConfig Cfg = SqliteRunStoreTests.Config(7);

    /// <summary>A real other process of this machine (so its liveness is checked, not assumed).</summary>
    private static Process StartSleeper() => Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;

    private static long StartAs(SqliteRunStore store, RunOwner owner)
    {
        var me = store.Owner;
        store.Owner = owner;
        try { return store.StartOrResume(Cfg.Hash, Cfg.Json).Id; }
        finally { store.Owner = me; }
    }

    [Fact]
    public void RunOfAnotherLiveProcess_IsRefusedWithWhoAndWhatToDo()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        using var sleeper = StartSleeper();
        try
        {
            // As another process reads it: Process.StartTime jitters by milliseconds from one reading to the next.
            var owner = RunOwner.Of(sleeper) with { StartTicks = RunOwner.Of(sleeper).StartTicks + TimeSpan.FromMilliseconds(40).Ticks };
            Assert.False(owner.IsGoneFromThisHost());
            Assert.True((owner with { StartTicks = owner.StartTicks - TimeSpan.FromSeconds(30).Ticks }).IsGoneFromThisHost()); // a recycled id
            long id = StartAs(store, owner);
            var e = Assert.Throws<RunLeasedException>(() => store.StartOrResume(Cfg.Hash, Cfg.Json));
            Assert.Equal(id, e.RunId);
            Assert.Equal(sleeper.Id, e.Owner!.ProcessId);
            Assert.Contains($"process {sleeper.Id}", e.Message);
            Assert.Contains("lease expires", e.Message);

            // The same through ExperimentRunner: the body never runs.
            bool ran = false;
            Assert.Throws<RunLeasedException>(() => ExperimentRunner.Run(store, Cfg.Json, Cfg.Hash, _ => { ran = true; return new Dictionary<string, double>(); }));
            Assert.False(ran);

            // Once that process is gone, its run is taken over at once (same machine: no need to wait for the timeout).
            sleeper.Kill();
            sleeper.WaitForExit();
            var warnings = new List<string>();
            store.Warning = warnings.Add;
            Assert.Equal(id, store.StartOrResume(Cfg.Hash, Cfg.Json).Id);
            Assert.Contains(warnings, w => w.Contains("taking over the lease", StringComparison.Ordinal));
            Assert.Equal(RunOwner.Current.ToString(), store.ExecuteScalar($"SELECT owner FROM runs WHERE id = {id};"));
        }
        finally
        {
            if (!sleeper.HasExited) sleeper.Kill();
        }
    }

    [Fact]
    public void RunOfAnotherMachine_IsLeasedUntilItsHeartbeatIsOlderThanTheTimeout()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        store.Warning = _ => { };
        var remote = new RunOwner("some-other-host", 4242, 638000000000000000);
        long id = StartAs(store, remote);
        Assert.Throws<RunLeasedException>(() => store.StartOrResume(Cfg.Hash, Cfg.Json));

        store.ExecuteScalar($"UPDATE runs SET heartbeat_utc = '{DateTime.UtcNow.AddMinutes(-3):O}' WHERE id = {id};");
        Assert.Equal(id, store.StartOrResume(Cfg.Hash, Cfg.Json).Id); // 3 min of silence > the 2 min default

        // Now ours is the fresh lease of a live process: the other machine's process is refused in turn.
        Assert.Throws<RunLeasedException>(() => StartAs(store, remote));
    }

    [Fact]
    public void Heartbeat_RenewsOnlyTheOwnersLease()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        long id = store.StartOrResume(Cfg.Hash, Cfg.Json).Id;
        store.ExecuteScalar($"UPDATE runs SET heartbeat_utc = '{DateTime.UtcNow.AddHours(-1):O}' WHERE id = {id};");
        Assert.True(store.Heartbeat(id));
        var beat = DateTime.Parse((string)store.ExecuteScalar($"SELECT heartbeat_utc FROM runs WHERE id = {id};")!, null, System.Globalization.DateTimeStyles.RoundtripKind);
        Assert.True(DateTime.UtcNow - beat < TimeSpan.FromMinutes(1));

        store.ExecuteScalar($"UPDATE runs SET owner = 'some-other-host:1:1' WHERE id = {id};");
        Assert.False(store.Heartbeat(id)); // taken over: this process must not renew someone else's lease
        Assert.Throws<RunLeaseLostException>(() => store.Complete(id, new Dictionary<string, double>()));
        Assert.Equal("Running", store.ExecuteScalar($"SELECT status FROM runs WHERE id = {id};"));
        Assert.False(store.Heartbeat(id));
    }

    /// <summary>
    /// A second store (another owner) takes the run over after the first owner's lease timed out: from then on every
    /// write of the first owner is refused with RunLeaseLostException and nothing of it reaches the store.
    /// </summary>
    [Fact]
    public void TakenOverRun_RefusesEveryWriteOfTheFormerOwner_AndKeepsNothingOfIt()
    {
        using var dir = new TempRunsDir();
        using var first = SqliteRunStore.Open(dir.Path);
        using var second = SqliteRunStore.Open(dir.Path);
        second.Owner = new RunOwner("other-host", 4242, 1);
        second.LeaseTimeout = TimeSpan.FromMilliseconds(50);
        long id = first.StartOrResume(Cfg.Hash, Cfg.Json).Id;
        first.LogMetrics(id, [new MetricPoint(1, "loss", 1.0)]);
        first.SaveCheckpoint(id, new Checkpoint(1, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new float[] { 1 }) }, new Dictionary<string, string>()));

        // The first owner's heartbeat is older than the second store's timeout: it takes the run over.
        Thread.Sleep(120);
        second.Warning = _ => { };
        Assert.Equal(id, second.StartOrResume(Cfg.Hash, Cfg.Json).Id);

        var e = Assert.Throws<RunLeaseLostException>(() => first.LogMetrics(id, [new MetricPoint(2, "loss", 0.5)]));
        Assert.Equal(id, e.RunId);
        Assert.Equal(4242, e.Holder!.ProcessId);
        Assert.Contains("lost its lease", e.Message);
        Assert.Contains("process 4242 on other-host took it over", e.Message);
        Assert.Throws<RunLeaseLostException>(() => first.SaveCheckpoint(id,
            new Checkpoint(2, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new float[] { 2 }) }, new Dictionary<string, string>())));
        Assert.Throws<RunLeaseLostException>(() => first.TruncateMetrics(id, 0));
        Assert.Throws<RunLeaseLostException>(() => first.Complete(id, new Dictionary<string, double> { ["accuracy"] = 1 }));
        Assert.Throws<RunLeaseLostException>(() => first.Fail(id, "boom"));
        Assert.False(first.Heartbeat(id));

        Assert.Equal(new[] { 1L }, first.Metrics(id).Select(p => p.Step).ToArray());
        Assert.Equal(new[] { 1L }, first.CheckpointSteps(id));
        Assert.False(File.Exists(Path.Combine(first.RunDirectory(id), "ckpt-2.safetensors")));
        var run = first.Get(id)!;
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Empty(run.FinalMetrics);
        Assert.Null(run.Error);
        // The new owner writes normally.
        second.LogMetrics(id, [new MetricPoint(2, "loss", 0.4)]);
        second.Complete(id, new Dictionary<string, double> { ["accuracy"] = 0.5 });
        Assert.Equal(0.5, first.Get(id)!.FinalMetrics["accuracy"]);
    }

    [Fact]
    public void WritesToARunThisStoreDidNotStart_AreRefused()
    {
        using var dir = new TempRunsDir();
        using var first = SqliteRunStore.Open(dir.Path);
        using var other = SqliteRunStore.Open(dir.Path);
        long id = first.StartOrResume(Cfg.Hash, Cfg.Json).Id;
        var e = Assert.Throws<RunLeaseLostException>(() => other.LogMetrics(id, [new MetricPoint(1, "loss", 1.0)]));
        Assert.Contains("call StartOrResume", e.Message);
        Assert.Empty(first.Metrics(id));
        Assert.Throws<KeyNotFoundException>(() => first.LogMetrics(id + 100, []));
    }

    /// <summary>
    /// The runner's heartbeat finds the lease taken over while the body trains: the body is stopped at its next metric
    /// (it sees ctx.Cancellation), the run is neither failed nor completed by this process, and none of its later points is stored.
    /// </summary>
    [Fact]
    public void ExperimentRunner_StopsTheBody_WhenTheHeartbeatFindsTheLeaseLost()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        store.LeaseTimeout = TimeSpan.FromMilliseconds(400); // heartbeat every 100 ms
        using var usurper = SqliteRunStore.Open(dir.Path);
        usurper.Owner = new RunOwner("other-host", 4242, 1);
        usurper.Warning = _ => { };
        var log = new StringWriter();
        int lastStep = -1;
        bool sawCancellation = false;
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<RunLeaseLostException>(() => ExperimentRunner.Run(store, Cfg.Json, Cfg.Hash, ctx =>
        {
            for (int step = 0; sw.Elapsed < TimeSpan.FromSeconds(20); step++)
            {
                sawCancellation |= ctx.Cancellation.IsCancellationRequested;
                ctx.LogMetric(step, "loss", 1.0 / (step + 1)); // throws once the heartbeat found the lease lost
                lastStep = step;
                if (step < 5) ctx.Flush();
                if (step == 5)
                {
                    // Another process takes the run over (as after this process' lease expired).
                    store.ExecuteScalar($"UPDATE runs SET owner = '{usurper.Owner}', lease_token = 'theirs' WHERE id = {ctx.RunId};");
                }
                Thread.Sleep(10);
            }
            return new Dictionary<string, double> { ["accuracy"] = 1 };
        }, new ExperimentRunOptions { Log = log }));

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"the body kept running for {sw.Elapsed}");
        Assert.True(sawCancellation);
        Assert.Contains("lost its lease", e.Message);
        Assert.Contains("lost its lease", log.ToString());
        var run = store.Get(1)!;
        Assert.Equal(RunStatus.Running, run.Status); // not Failed over the new owner's run
        Assert.Null(run.Error);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (long)i), store.Metrics(1).Select(p => p.Step));
        Assert.True(lastStep < 500, $"the body logged up to step {lastStep}"); // 10 ms a step: stopped within ~5 s, not the 20 s it would run
    }

    [Fact]
    public void ExperimentRunner_KeepsTheLeaseAliveWhileTheBodyRuns()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        store.LeaseTimeout = TimeSpan.FromMilliseconds(400); // heartbeat every 100 ms
        string? during = null;
        ExperimentRunner.Run(store, Cfg.Json, Cfg.Hash, ctx =>
        {
            store.ExecuteScalar($"UPDATE runs SET heartbeat_utc = '{DateTime.UtcNow.AddHours(-1):O}' WHERE id = {ctx.RunId};");
            var until = DateTime.UtcNow.AddSeconds(5);
            while (DateTime.UtcNow < until)
            {
                Thread.Sleep(50);
                during = (string?)store.ExecuteScalar($"SELECT heartbeat_utc FROM runs WHERE id = {ctx.RunId};");
                if (DateTime.UtcNow - DateTime.Parse(during!, null, System.Globalization.DateTimeStyles.RoundtripKind) < TimeSpan.FromMinutes(1)) break;
            }
            return new Dictionary<string, double> { ["x"] = 1 };
        });
        Assert.NotNull(during);
        Assert.True(DateTime.UtcNow - DateTime.Parse(during!, null, System.Globalization.DateTimeStyles.RoundtripKind) < TimeSpan.FromMinutes(1),
            "the heartbeat timer did not renew the lease while the body ran");
    }

    [Fact]
    public void RunFromBeforeLeases_IsResumable()
    {
        using var dir = new TempRunsDir();
        using (var v1 = SqliteRunStore.Open(dir.Path, RunStoreSchema.Migrations.Take(1).ToList()))
            v1.ExecuteScalar("INSERT INTO runs(config_hash, config_json, status, started_utc) " + // as version-1 code wrote it: no lease
                $"VALUES('{Cfg.Hash}', '{Cfg.Json.Replace("'", "''", StringComparison.Ordinal)}', 'Running', '{DateTime.UtcNow:O}');");
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.IsType<DBNull>(store.ExecuteScalar("SELECT owner FROM runs;"));
        Assert.Equal(RunStatus.Running, store.StartOrResume(Cfg.Hash, Cfg.Json).Status);
    }

    [Theory]
    [InlineData("host:12:345", "host", 12, 345L)]
    [InlineData("fe80::1:12:345", "fe80::1", 12, 345L)]
    public void Owner_RoundTripsThroughItsStoredForm(string text, string host, int pid, long ticks)
    {
        var o = RunOwner.Parse(text)!;
        Assert.Equal(new RunOwner(host, pid, ticks), o);
        Assert.Equal(text, o.ToString());
        Assert.Null(RunOwner.Parse("garbage"));
        Assert.False(RunOwner.Current.IsGoneFromThisHost());
    }
}
