using System.Diagnostics;
using ResearchKit.Experiments;
using ResearchKit.Runs;
using ResearchKit.Tests.Runs;
using Xunit;
using ResearchKit.TestSupport;

namespace ResearchKit.Tests.Experiments;

/// <summary>
/// `rk` with the default store location writes into the test process' temporary store, never the repository's runs/;
/// and `rk train --reuse-stale`, `rk runs list|show` report results of another code version as stale.
/// </summary>
public class DefaultStoreAndStaleCliTests
{
    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "ResearchKit.sln"))) return d.FullName;
        throw new InvalidOperationException($"No ResearchKit.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Runs rk.dll in the repository root (where ./runs would be the repository's runs/).</summary>
    private static (int Code, string Out) Rk(params string[] args)
    {
        var (code, output, err) = ResearchKit.Tests.Cli.RkProcess.Run(args);
        return (code, output + err);
    }

    /// <summary>Records a completed mnist-cnn smoke run (seed 0) under a code version, as if it had been trained.</summary>
    private static long Plant(string runsDir, string? codeVersion)
    {
        var recipe = Recipes.Get("mnist-cnn");
        var cfg = RunConfig.From(recipe.Config(Preset.Smoke, new RecipeOptions()), codeVersion);
        using var store = SqliteRunStore.Open(runsDir);
        long id = store.StartOrResume(cfg.Hash, cfg.Json).Id;
        store.Complete(id, new Dictionary<string, double> { ["accuracy"] = 0.123 });
        return id;
    }

    [Fact]
    public void TheDefaultStoreOfTests_IsATemporaryFolderOutsideTheRepository()
    {
        string? env = Environment.GetEnvironmentVariable("RESEARCHKIT_RUNS");
        Assert.Equal(TestRunsIsolation.RunsDir, env);
        Assert.False(Path.GetFullPath(env!).StartsWith(RepoRoot() + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    [Fact]
    public void RecipeWithTheDefaultStore_DoesNotCreateOrTouchTheRepositoryRunsFolder()
    {
        string repoRuns = Path.Combine(RepoRoot(), "runs");
        string repoDb = Path.Combine(repoRuns, SqliteRunStore.DatabaseFileName);
        bool existed = Directory.Exists(repoRuns);
        DateTime? dbTime = File.Exists(repoDb) ? File.GetLastWriteTimeUtc(repoDb) : null;
        long id = Plant(TestRunsIsolation.RunsDir, codeVersion: null); // stored, so `rk train` answers without training

        var (code, output) = Rk("train", "mnist-cnn", "--preset", "smoke"); // no --runs-dir: the default location
        Assert.True(code == 0, output);
        Assert.Contains($"run {id}: stored result", output);
        Assert.Equal(existed, Directory.Exists(repoRuns));
        Assert.Equal(dbTime, File.Exists(repoDb) ? File.GetLastWriteTimeUtc(repoDb) : null);
    }

    [Fact]
    public void TrainWithReuseStale_ShowsTheOldResultNamingBothVersions_AndRunsListAndShowMarkIt()
    {
        using var dir = new TempRunsDir();
        const string old = "src-000000000000-old";
        long id = Plant(dir.Path, old);

        var (code, output) = Rk("train", "mnist-cnn", "--preset", "smoke", "--reuse-stale", "--runs-dir", dir.Path);
        Assert.True(code == 0, output);
        Assert.Contains($"run {id}: STALE stored result reused (--reuse-stale): computed by code version {old}, this code is {RunConfig.DefaultCodeVersion}", output);
        Assert.Contains("accuracy = 0.123", output);

        var (listCode, list) = Rk("runs", "list", "--runs-dir", dir.Path);
        Assert.True(listCode == 0, list);
        Assert.Matches($@"\s{id}\s+Completed\s+stale\s", list);
        var (showCode, show) = Rk("runs", "show", id.ToString(), "--runs-dir", dir.Path);
        Assert.True(showCode == 0, show);
        Assert.Contains($"code version {old}: STALE, this code is {RunConfig.DefaultCodeVersion}", show);
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Single(store.List()); // nothing trained
    }
}
