using System.Diagnostics;
using ResearchKit.Experiments;
using ResearchKit.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments;

/// <summary>
/// The kill test: `rk train` in a child process is killed mid-run, restarted, and must end with the same metrics
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

    [Fact]
    public void KilledRun_ResumesFromCheckpoint_AndMatchesUninterruptedRun()
    {
        string[] args = ["train", "mnist-cnn", "--preset", "smoke", "--seed", "7", "--checkpoint-every", "10"];
        string killedDir = Path.Combine(_dir, "killed"), cleanDir = Path.Combine(_dir, "clean");

        // 1. Start, wait until a checkpoint past step 20 is on disk, then kill the process tree (no clean shutdown).
        using (var p = Process.Start(Rk(killedDir, args))!)
        {
            _ = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!p.HasExited && DateTime.UtcNow < deadline && !HasCheckpointAtLeast(killedDir, 20)) Thread.Sleep(20);
            Assert.False(p.HasExited, "the run finished before it could be killed; raise the smoke preset's step count");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        using (var store = SqliteRunStore.Open(killedDir))
        {
            var run = Assert.Single(store.List());
            Assert.Equal(RunStatus.Running, run.Status);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        // 2. Restart: resumes and completes.
        var (code, resumedOut) = RunToEnd(Rk(killedDir, args));
        Assert.True(code == 0, resumedOut);
        Assert.Contains("resumed and completed", resumedOut);

        // 3. Uninterrupted reference run in another store.
        var (code2, cleanOut) = RunToEnd(Rk(cleanDir, args));
        Assert.True(code2 == 0, cleanOut);
        Assert.Contains(": completed", cleanOut);

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using var a = SqliteRunStore.Open(killedDir);
        using var b = SqliteRunStore.Open(cleanDir);
        var ra = Assert.Single(a.List());
        var rb = Assert.Single(b.List());
        Assert.Equal(RunStatus.Completed, ra.Status);
        Assert.Equal(rb.ConfigHash, ra.ConfigHash);
        Assert.Equal(rb.FinalMetrics, ra.FinalMetrics);                       // identical, not merely close
        Assert.Equal(b.Metrics(rb.Id), a.Metrics(ra.Id));                       // the whole logged series too
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
