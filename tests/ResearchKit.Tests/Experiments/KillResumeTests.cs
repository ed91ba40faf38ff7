using System.Diagnostics;
using ResearchKit.Experiments;
using ResearchKit.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments;

/// <summary>
/// The issue's kill test: `rk train` in a child process is killed mid-run, restarted, and must end with the same metrics
/// as an uninterrupted run with the same seed; and an identical request is then served from the store.
/// </summary>
public sealed class KillResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rk-kill-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static ProcessStartInfo Rk(string runsDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rk.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--runs-dir");
        psi.ArgumentList.Add(runsDir);
        psi.Environment["RESEARCHKIT_PROGRESS"] = "plain";
        return psi;
    }

    private static (int Code, string Out) RunToEnd(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + stderr.Result);
    }

    private static readonly string[] TrainArgs = ["train", "mnist-cnn", "--preset", "smoke", "--seed", "7", "--checkpoint-every", "10"];

    // The uninterrupted reference run, trained once for all tests of the class: final metrics and the whole series.
    private static readonly Lazy<(IReadOnlyDictionary<string, double> Final, IReadOnlyList<MetricPoint> Series)> Clean = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("rk-clean-").FullName;
        try
        {
            var (code, output) = RunToEnd(Rk(dir, TrainArgs));
            Assert.True(code == 0, output);
            Assert.Contains(": completed", output);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            using var store = SqliteRunStore.Open(dir);
            var run = Assert.Single(store.List());
            Assert.Equal(RunStatus.Completed, run.Status);
            return (run.FinalMetrics, store.Metrics(run.Id));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    });

    /// <summary>Starts `rk train`, waits until a checkpoint of at least <paramref name="step"/> is on disk, then kills the process tree (no clean shutdown).</summary>
    private static void StartAndKill(string runsDir, int step)
    {
        using var p = Process.Start(Rk(runsDir, TrainArgs))!;
        _ = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!p.HasExited && DateTime.UtcNow < deadline && !HasCheckpointAtLeast(runsDir, step)) Thread.Sleep(20);
        Assert.False(p.HasExited, "the run finished before it could be killed; raise the smoke preset's step count");
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
    }

    /// <summary>The resumed run's store must hold exactly the uninterrupted run's final metrics and series.</summary>
    private static void AssertMatchesCleanRun(string runsDir)
    {
        var (final, series) = Clean.Value;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using var a = SqliteRunStore.Open(runsDir);
        var ra = Assert.Single(a.List());
        Assert.Equal(RunStatus.Completed, ra.Status);
        Assert.Equal(final, ra.FinalMetrics);                                    // identical, not merely close
        Assert.Equal(series, a.Metrics(ra.Id));                                  // the whole logged series too
    }

    [Fact]
    public void KilledRun_ResumesFromCheckpoint_AndMatchesUninterruptedRun()
    {
        string killedDir = Path.Combine(_dir, "killed");

        // 1. Start, wait until a checkpoint past step 20 is on disk, then kill the process tree (no clean shutdown).
        StartAndKill(killedDir, 20);
        using (var store = SqliteRunStore.Open(killedDir))
        {
            var run = Assert.Single(store.List());
            Assert.Equal(RunStatus.Running, run.Status);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        // 2. Restart: resumes and completes.
        var (code, resumedOut) = RunToEnd(Rk(killedDir, TrainArgs));
        Assert.True(code == 0, resumedOut);
        Assert.Contains("resumed and completed", resumedOut);

        // 3. Same result as the uninterrupted reference run.
        AssertMatchesCleanRun(killedDir);
    }

    [Fact]
    public void KilledRun_WithRandomBytesFlippedInItsNewestCheckpoint_ResumesFromThePreviousOne_AndMatchesUninterruptedRun()
    {
        string killedDir = Path.Combine(_dir, "corrupt");
        // Past step 30 on disk means steps 20 and 10 (or 30 and 20) are recorded: two checkpoints to choose from.
        StartAndKill(killedDir, 30);
        string bad;
        long badStep, previous;
        using (var store = SqliteRunStore.Open(killedDir))
        {
            var run = Assert.Single(store.List());
            var steps = store.CheckpointSteps(run.Id);
            Assert.True(steps.Count >= 2, $"expected two recorded checkpoints, got [{string.Join(", ", steps)}]");
            (badStep, previous) = (steps[0], steps[1]);
            bad = Path.Combine(store.RunDirectory(run.Id), $"ckpt-{badStep}.safetensors");
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Runs.CheckpointTests.FlipDataBytes(bad, seed: 11, count: 8); // silent corruption: the file still parses

        var (code, output) = RunToEnd(Rk(killedDir, TrainArgs));
        Assert.True(code == 0, output);
        Assert.Contains($"'{bad}' (step {badStep}) is corrupt", output);
        Assert.Contains("checksum", output);
        Assert.Contains($"resuming from step {previous}", output);
        Assert.Contains("resumed and completed", output);
        Assert.True(File.Exists(bad + ".corrupt"), "the corrupt file is kept aside for inspection");
        AssertMatchesCleanRun(killedDir);
    }

    private static bool HasCheckpointAtLeast(string runsDir, int step)
    {
        if (!Directory.Exists(runsDir)) return false;
        foreach (var f in Directory.EnumerateFiles(runsDir, "ckpt-*.safetensors", SearchOption.AllDirectories))
            if (long.TryParse(Path.GetFileNameWithoutExtension(f)["ckpt-".Length..], out long s) && s >= step) return true;
        return false;
    }

    [Fact]
    public void IdenticalConfig_IsServedFromTheStore_InWellUnderASecond()
    {
        using var store = SqliteRunStore.Open(Path.Combine(_dir, "cache"));
        var recipe = Recipes.Get("mnist-cnn");
        var options = new RecipeOptions { Seed = 3, Progress = new SilentProgressSink() };
        var first = recipe.Run(store, Preset.Smoke, options);
        Assert.False(first.FromCache);
        Assert.True(first.FinalMetrics["accuracy"] > 0.5, "the smoke run should learn something");

        var sw = Stopwatch.StartNew();
        var second = recipe.Run(store, Preset.Smoke, options);
        sw.Stop();
        Assert.True(second.FromCache);
        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal(first.FinalMetrics, second.FinalMetrics);
        Assert.True(sw.ElapsedMilliseconds < 250, $"cached lookup took {sw.ElapsedMilliseconds} ms");
    }
}
