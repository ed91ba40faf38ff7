using System.Diagnostics;
using ResearchKit.Experiments;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Runs;

/// <summary>`rk runs delete &lt;id&gt;` and `rk train … --restart`, through the built CLI (rk.dll in a child process).</summary>
public class RunsDeleteAndRestartCliTests
{
    private static (int Code, string Out) Rk(params string[] args)
    {
        var (code, output, err) = ResearchKit.Tests.Cli.RkProcess.Run(args);
        return (code, output + err);
    }

    private static Checkpoint Ckpt(long step) =>
        new(step, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new[] { 1f, 2f, (float)step }, 3) }, new Dictionary<string, string>());

    /// <summary>A run of <paramref name="cfg"/> with metrics and a checkpoint; Running and leased by this (live) test process unless ended.</summary>
    private static long Plant(string runsDir, RunConfig cfg, RunStatus status)
    {
        using var store = SqliteRunStore.Open(runsDir);
        long id = store.StartOrResume(cfg.Hash, cfg.Json).Id;
        store.LogMetrics(id, [new(1, "train/loss", 2.5), new(2, "train/loss", 2.0)]);
        store.SaveCheckpoint(id, Ckpt(2));
        if (status == RunStatus.Completed) store.Complete(id, new Dictionary<string, double> { ["accuracy"] = 0.123 });
        if (status == RunStatus.Failed) store.Fail(id, "planted");
        return id;
    }

    private static RunConfig MnistSmoke() => RunConfig.From(Recipes.Get("mnist-cnn").Config(Preset.Smoke, new RecipeOptions()));

    [Fact]
    public void RunsDelete_RemovesTheRunItsMetricsAndCheckpointFiles_WithoutAPrompt()
    {
        using var dir = new TempRunsDir();
        long id = Plant(dir.Path, SqliteRunStoreTests.Config(1), RunStatus.Failed);
        long keep = Plant(dir.Path, SqliteRunStoreTests.Config(2), RunStatus.Completed);
        string runDir = Path.Combine(dir.Path, id.ToString());
        Assert.True(File.Exists(Path.Combine(runDir, "ckpt-2.safetensors")));

        var (code, output) = Rk("runs", "delete", id.ToString(), "--runs-dir", dir.Path);
        Assert.True(code == 0, output);
        Assert.Contains($"deleted run {id} (Failed, 2 metric points, 1 checkpoints)", output);
        Assert.False(Directory.Exists(runDir));
        using (var store = SqliteRunStore.Open(dir.Path))
        {
            Assert.Null(store.Get(id));
            Assert.Empty(store.Metrics(id));
            Assert.Empty(store.CheckpointSteps(id));
            Assert.NotNull(store.Get(keep));
            Assert.Single(store.CheckpointSteps(keep));
        }

        var (again, missing) = Rk("runs", "delete", id.ToString(), "--runs-dir", dir.Path);
        Assert.Equal(4, again); // the run-store exit code (README, Exit codes)
        Assert.Contains($"no run {id}", missing);
    }

    [Fact]
    public void RunsDelete_RefusesARunThatALiveProcessTrains_NamingIt()
    {
        using var dir = new TempRunsDir();
        long id = Plant(dir.Path, SqliteRunStoreTests.Config(1), RunStatus.Running); // leased by this test process, which is alive

        var (code, output) = Rk("runs", "delete", id.ToString(), "--runs-dir", dir.Path);
        Assert.Equal(4, code);
        Assert.Contains($"Run {id} is being trained by process {Environment.ProcessId}", output);
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Equal(RunStatus.Running, store.Get(id)!.Status);
        Assert.True(File.Exists(Path.Combine(dir.Path, id.ToString(), "ckpt-2.safetensors")));
    }

    [Fact]
    public void TrainRestart_DiscardsTheStoredRunOfExactlyThisConfig_AndTrainsFromStepZero()
    {
        using var dir = new TempRunsDir();
        var cfg = MnistSmoke();
        long old = Plant(dir.Path, cfg, RunStatus.Completed);
        long other = Plant(dir.Path, SqliteRunStoreTests.Config(1), RunStatus.Completed);

        // Without --restart the stored result is shown.
        var (code0, stored) = Rk("train", "mnist-cnn", "--preset", "smoke", "--runs-dir", dir.Path);
        Assert.True(code0 == 0, stored);
        Assert.Contains($"run {old}: stored result", stored);

        var (code, output) = Rk("train", "mnist-cnn", "--preset", "smoke", "--restart", "--runs-dir", dir.Path);
        Assert.True(code == 0, output);
        Assert.Contains($"--restart: deleted run {old} of this config", output);
        Assert.Contains(": completed in", output);
        Assert.DoesNotContain("accuracy = 0.123", output);

        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Null(store.Get(old));
        Assert.False(Directory.Exists(store.RunDirectory(old)));
        Assert.NotNull(store.Get(other));                                   // other configs are untouched
        var fresh = store.Find(cfg.Hash)!;
        Assert.NotEqual(old, fresh.Id);
        Assert.Equal(RunStatus.Completed, fresh.Status);
        Assert.NotEqual(0.123, fresh.FinalMetrics["accuracy"]);
        Assert.DoesNotContain(store.Metrics(fresh.Id), p => p.Name == "train/loss" && p.Value is 2.5 or 2.0); // the planted series is gone
    }

    [Fact]
    public void TrainRestart_RefusesWhileALiveProcessTrainsThatConfig_AndDeletesNothing()
    {
        using var dir = new TempRunsDir();
        var cfg = MnistSmoke();
        long id = Plant(dir.Path, cfg, RunStatus.Running);

        var (code, output) = Rk("train", "mnist-cnn", "--preset", "smoke", "--restart", "--runs-dir", dir.Path);
        Assert.Equal(4, code);
        Assert.Contains($"Run {id} is being trained by process {Environment.ProcessId}", output);
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Equal(RunStatus.Running, store.Get(id)!.Status);
        Assert.Equal(2, store.Metrics(id).Count);

        var (both, msg) = Rk("train", "mnist-cnn", "--preset", "smoke", "--restart", "--reuse-stale", "--runs-dir", dir.Path);
        Assert.Equal(2, both); // a usage error
        Assert.Contains("pass only one of them", msg);
    }
}
