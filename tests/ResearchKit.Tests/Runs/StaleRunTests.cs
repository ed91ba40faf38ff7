using ResearchKit.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Runs;

/// <summary>A completed run whose config equals the request except for code_version is stale: found, flagged, retrained unless reused.</summary>
public class StaleRunTests
{
    private static RunConfig Cfg(string version, int seed = 1) =>
        RunConfig.From(new Dictionary<string, object?> { ["recipe"] = "stale-test", ["seed"] = seed }, version);

    private static long Completed(SqliteRunStore store, RunConfig cfg, double accuracy)
    {
        long id = store.StartOrResume(cfg.Hash, cfg.Json).Id;
        store.LogMetrics(id, [new MetricPoint(1, "train/loss", 0.5)]);
        store.Complete(id, new Dictionary<string, double> { ["accuracy"] = accuracy });
        return id;
    }

    [Fact]
    public void FindStale_ReturnsTheCompletedRunOfAnotherCodeVersion_Flagged()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        long old = Completed(store, Cfg("v-old"), 0.9);

        var stale = store.FindStale(Cfg("v-new").Json);
        Assert.NotNull(stale);
        Assert.Equal(old, stale.Id);
        Assert.True(stale.IsStale);
        Assert.Equal("v-old", stale.CodeVersion);
        Assert.Equal(0.9, stale.FinalMetrics["accuracy"]);
        Assert.Null(store.Find(Cfg("v-new").Hash)); // not an exact hit

        Assert.Null(store.FindStale(Cfg("v-old").Json));          // same version: a hit, not stale
        Assert.Null(store.FindStale(Cfg("v-new", seed: 2).Json)); // another config
        store.StartOrResume(Cfg("v-mid", seed: 3).Hash, Cfg("v-mid", seed: 3).Json);
        Assert.Null(store.FindStale(Cfg("v-new", seed: 3).Json)); // only completed runs are results
    }

    [Fact]
    public void ListAndGet_MarkRunsOfAnotherCodeVersionThanThisBuild()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        long old = Completed(store, Cfg("v-old"), 0.9);
        var current = RunConfig.From(new Dictionary<string, object?> { ["recipe"] = "stale-test", ["seed"] = 1 });
        long now = Completed(store, current, 0.8);

        Assert.True(store.Get(old)!.IsStale);
        Assert.False(store.Get(now)!.IsStale);
        Assert.Equal(RunConfig.DefaultCodeVersion, store.Get(now)!.CodeVersion);
        Assert.Equal(new[] { (now, false), (old, true) }, store.List().Select(r => (r.Id, r.IsStale)).ToArray());
        Assert.False(store.Find(current.Hash)!.IsStale);
    }

    [Fact]
    public void Migration_FromV2_FillsCodeVersionAndKey_SoOldResultsAreFoundStale()
    {
        using var dir = new TempRunsDir();
        var oldCfg = Cfg("1.0.0");
        using (var v2 = SqliteRunStore.Open(dir.Path, RunStoreSchema.Migrations.Take(2).ToList()))
        {
            Assert.Equal(2L, v2.ExecuteScalar("PRAGMA user_version;"));
            v2.ExecuteScalar($"INSERT INTO runs(config_hash, config_json, status, started_utc, ended_utc) VALUES('{oldCfg.Hash}', '{oldCfg.Json}', 'Completed', '2026-01-01T00:00:00.0000000Z', '2026-01-01T01:00:00.0000000Z');");
        }
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Equal((long)SqliteRunStore.SchemaVersion, store.ExecuteScalar("PRAGMA user_version;"));
        var run = Assert.Single(store.List());
        Assert.Equal("1.0.0", run.CodeVersion);
        Assert.True(run.IsStale);
        Assert.Equal(run.Id, store.FindStale(Cfg("src-abc-avx2").Json)?.Id);
        Assert.Equal(run.Id, store.Find(oldCfg.Hash)?.Id); // still readable by its own hash
    }

    [Fact]
    public void Runner_TrainsAgainOverAStaleResult_AndSaysSo()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        long old = Completed(store, Cfg("v-old"), 0.9);
        var log = new StringWriter();
        int calls = 0;

        var cfg = Cfg("v-new");
        var result = ExperimentRunner.Run(store, cfg.Json, cfg.Hash, _ => { calls++; return new Dictionary<string, double> { ["accuracy"] = 0.7 }; },
            new ExperimentRunOptions { Log = log });

        Assert.Equal(1, calls);
        Assert.False(result.FromCache);
        Assert.NotEqual(old, result.RunId);
        Assert.Null(result.StaleCodeVersion);
        Assert.Equal(0.7, result.FinalMetrics["accuracy"]);
        Assert.Contains($"run {old} was computed by code version v-old, this code is v-new; training again", log.ToString());
        // The new result is now the exact hit; the old one stays, still stale for v-new.
        Assert.Equal(result.RunId, store.Find(cfg.Hash)!.Id);
    }

    [Fact]
    public void Runner_ReusesAStaleResultOnRequest_NamingBothVersions()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        long old = Completed(store, Cfg("v-old"), 0.9);
        var log = new StringWriter();

        var cfg = Cfg("v-new");
        var result = ExperimentRunner.Run(store, cfg.Json, cfg.Hash, _ => throw new InvalidOperationException("must not train"),
            new ExperimentRunOptions { ReuseStale = true, Log = log });

        Assert.True(result.FromCache);
        Assert.Equal(old, result.RunId);
        Assert.Equal("v-old", result.StaleCodeVersion);
        Assert.Equal("v-new", result.CodeVersion);
        Assert.Equal(0.9, result.FinalMetrics["accuracy"]);
        Assert.Single(result.Series("train/loss"));
        Assert.Contains("Stale result reused", log.ToString());
        Assert.Contains("code version v-old, not by this code (v-new)", log.ToString());
        Assert.Contains("stale result of code version v-old reused (this code is v-new)", result.Source);
        Assert.Null(store.Find(cfg.Hash)); // nothing recorded under the new version
    }
}
