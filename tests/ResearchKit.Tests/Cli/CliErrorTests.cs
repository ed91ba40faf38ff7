using ResearchKit.Cli.Errors;
using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Runs;
using ResearchKit.Tests.Runs;
using ResearchKit.Tests.Training;
using ResearchKit.Training;
using ResearchKit.Tensors.Optim;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Cli;

/// <summary>
/// Anticipated errors of the built <c>rk</c> end in one message naming the problem and the fix and a documented exit
/// code (README "Exit codes"), never in "Unhandled exception" with a stack trace, which only --verbose prints.
/// </summary>
public class CliErrorTests
{
    /// <summary>No crash: neither the runtime's unhandled-exception report nor stack frames of our code.</summary>
    private static void NoStackTrace(string stderr)
    {
        Assert.DoesNotContain("Unhandled exception", stderr);
        Assert.DoesNotContain("at ResearchKit.", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void UnknownDataset_IsAUsageError_ListingTheKnownOnes()
    {
        var (code, _, err) = RkProcess.Run("data", "verify", "nosuch");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("rk data verify: unknown dataset 'nosuch'. Known datasets: mnist, fashion-mnist", err);
        NoStackTrace(err);
    }

    [Theory]
    [InlineData("Cannot parse argument 'abc'", "runs", "show", "abc")]
    [InlineData("Unrecognized command or argument 'bogus'", "bogus")]
    [InlineData("Unknown recipe 'nosuch'. Known recipes: mnist-cnn", "train", "nosuch")]
    [InlineData("Unknown preset 'huge'", "train", "mnist-cnn", "--preset", "huge")]
    [InlineData("--format must be csv or json", "runs", "export", "1", "--format", "xml")]
    public void BadArguments_ExitWithTheUsageCode_AndOneMessage(string expected, params string[] args)
    {
        using var dir = new TempRunsDir();
        if (args[0] == "runs" && args[1] == "export") Plant(dir.Path, complete: true);
        var (code, _, err) = RkProcess.Run([.. args, .. args[0] is "runs" or "train" && args.Length > 1 && args[1] != "show" ? new[] { "--runs-dir", dir.Path } : []]);
        Assert.True(code == ExitCodes.Usage, $"exit {code}: {err}");
        Assert.Contains(expected, err);
        NoStackTrace(err);
    }

    [Fact]
    public void MissingNotebookAndUnwritableOutput_AreUsageErrors_NamingThePath()
    {
        var (code, _, err) = RkProcess.Run("nb", "export", "no-such-notebook.ipynb", "--figures", Path.GetTempPath());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no notebook at", err);
        Assert.Contains("no-such-notebook.ipynb", err);
        NoStackTrace(err);

        using var dir = new TempRunsDir();
        long id = Plant(dir.Path, complete: true);
        string outFile = Path.Combine(dir.Path, "no-such-folder", "metrics.csv");
        (code, _, err) = RkProcess.Run("runs", "export", id.ToString(), "--out", outFile, "--runs-dir", dir.Path);
        Assert.True(code == ExitCodes.Usage, $"exit {code}: {err}");
        Assert.Contains("no-such-folder", err);
        NoStackTrace(err);
    }

    [Fact]
    public void NoSuchRun_ExitsWithTheRunStoreCode()
    {
        using var dir = new TempRunsDir();
        var (code, _, err) = RkProcess.Run("runs", "show", "42", "--runs-dir", dir.Path);
        Assert.Equal(ExitCodes.RunStore, code);
        Assert.Contains("rk runs show: no run 42 in", err);
        Assert.Contains("rk runs list", err);
        NoStackTrace(err);
    }

    [Fact]
    public void RunLeasedByAnotherLiveProcess_IsRefused_WithTheFixAndExitCode4_AndVerboseAddsTheTrace()
    {
        using var dir = new TempRunsDir();
        // This test process takes the run's lease (alive, same host): rk train must be refused, not train alongside.
        var recipe = Recipes.Get("mnist-cnn");
        var cfg = RunConfig.From(recipe.Config(Preset.Smoke, new RecipeOptions()), null);
        using var store = SqliteRunStore.Open(dir.Path);
        long id = store.StartOrResume(cfg.Hash, cfg.Json).Id;

        var (code, _, err) = RkProcess.Run("train", "mnist-cnn", "--preset", "smoke", "--runs-dir", dir.Path);
        Assert.True(code == ExitCodes.RunStore, $"exit {code}: {err}");
        Assert.Contains($"rk train: Run {id} is being trained by process {Environment.ProcessId}", err);
        Assert.Contains("Wait for it to finish, or stop it", err);
        NoStackTrace(err);

        (code, _, err) = RkProcess.Run("train", "mnist-cnn", "--preset", "smoke", "--runs-dir", dir.Path, "--verbose");
        Assert.Equal(ExitCodes.RunStore, code);
        Assert.Contains("ResearchKit.Runs.RunLeasedException", err);
        Assert.Contains("at ResearchKit.", err);
    }

    [Fact]
    public void DivergedTraining_TheTrainersNaNLoss_MapsToExitCode5_WithTheFix()
    {
        // The real divergence path: a NaN loss in Trainer (no recipe diverges on its presets, so it is provoked here)
        // handed to the CLI's reporter, as Program.Main does with whatever a command throws.
        var task = new SyntheticTask(64, seed: 9);
        var model = SyntheticTask.Mlp(10);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.01), (o, y) => F.CrossEntropy(o, y) * float.NaN, new TrainerOptions { MaxSteps = 3 });
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit((ep, s) => task.Epoch(ep, s, 16), 4));
        Assert.Equal(1, e.Step);

        var err = new StringWriter();
        Assert.Equal(ExitCodes.Diverged, CliErrors.Report(new AggregateException(e), "rk train", err, verbose: false));
        Assert.StartsWith("rk train: Trainer: the loss became NaN at step 1", err.ToString());
        Assert.Contains("lower the learning rate", err.ToString());
        Assert.Contains("--seed", err.ToString());
        NoStackTrace(err.ToString());
    }

    [Fact]
    public void ExitCodeMap_CoversEveryAnticipatedError()
    {
        Assert.Equal(ExitCodes.Data, CliErrors.ExitCodeFor(new DataNotFoundException("x")));
        Assert.Equal(ExitCodes.Data, CliErrors.ExitCodeFor(new DataIntegrityException("x")));
        Assert.Equal(ExitCodes.RunStore, CliErrors.ExitCodeFor(new RunLeasedException(1, null, DateTime.UtcNow, TimeSpan.FromSeconds(30))));
        Assert.Equal(ExitCodes.RunStore, CliErrors.ExitCodeFor(new RunLeaseLostException(1, "LogMetrics", null, neverHeld: false)));
        Assert.Equal(ExitCodes.Diverged, CliErrors.ExitCodeFor(new TrainingDivergedException(double.NaN, 1, "x")));
        Assert.Equal(ExitCodes.Usage, CliErrors.ExitCodeFor(new ArgumentException("x")));
        Assert.Equal(ExitCodes.Usage, CliErrors.ExitCodeFor(new FileNotFoundException("x")));
        Assert.Equal(ExitCodes.Interrupted, CliErrors.ExitCodeFor(new OperationCanceledException()));
        Assert.Equal(ExitCodes.Failed, CliErrors.ExitCodeFor(new ArgumentNullException("x"))); // a bug, not a usage error
        Assert.Equal(ExitCodes.Failed, CliErrors.ExitCodeFor(new InvalidOperationException("x")));

        var err = new StringWriter();
        Assert.Equal(ExitCodes.Failed, CliErrors.Report(new InvalidOperationException("boom"), "rk x", err, verbose: false));
        Assert.Contains("rk x: unexpected error (InvalidOperationException): boom", err.ToString());
        Assert.Contains("rerun with --verbose", err.ToString());
    }

    private static long Plant(string runsDir, bool complete)
    {
        var recipe = Recipes.Get("mnist-cnn");
        var cfg = RunConfig.From(recipe.Config(Preset.Smoke, new RecipeOptions { Seed = 12345 }), null);
        using var store = SqliteRunStore.Open(runsDir);
        long id = store.StartOrResume(cfg.Hash, cfg.Json).Id;
        if (complete) store.Complete(id, new Dictionary<string, double> { ["accuracy"] = 0.5 });
        return id;
    }
}
