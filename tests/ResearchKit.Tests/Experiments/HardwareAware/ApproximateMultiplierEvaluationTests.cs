using ResearchKit.Experiments;
using ResearchKit.Experiments.HardwareAware;
using ResearchKit.Quantization.Approximate;
using ResearchKit.Robustness;
using ResearchKit.Runs;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.HardwareAware;

public class ApproximateMultiplierEvaluationTests
{
    private static readonly EvaluatedModel Model = new("tiny cnn seed 0", () => HardwareAwareTestModels.Cnn());

    private static ApproximateMultiplierEvaluation Evaluation(IRunStore store) =>
        new(store, new ExperimentRunOptions { Log = TextWriter.Null }, "test-v1");

    private static string Hash(EvaluatedModel m, IApproximateMultiplier? mul, RobustnessData d, ApproximateMultiplierGrid g) =>
        RunConfig.From(ApproximateMultiplierEvaluation.Config(m, mul, d, g), "test-v1").Hash;

    [Fact]
    public void Smoke_EndToEnd_ThenAnsweredFromTheStore()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var grid = ApproximateMultiplierGrid.For(Preset.Smoke);
        var data = HardwareAwareTestModels.Data(grid.Images);
        var rows = Evaluation(store).Evaluate(Model, data, grid);
        Assert.Equal([ApproximateMultiplierRow.FloatName, .. grid.Multipliers.Select(m => m.Name)], rows.Select(r => r.Multiplier));
        Assert.All(rows, r => Assert.False(r.FromCache));
        Assert.Null(rows[0].Stats);
        Assert.All(rows.Skip(1), r => Assert.Equal(r.Multiplier, r.Stats!.Multiplier));
        Assert.Equal(0.0, rows[1].Stats!.ErrorProbability);   // Exact first

        // The rows are what the model does: float as is, and the exact multiplier through ApproximateModel.Replace.
        Assert.Equal(ApproximateMultiplierEvaluation.Accuracy(HardwareAwareTestModels.Cnn(), data, grid.BatchSize), rows[0].Accuracy);
        var exact = HardwareAwareTestModels.Cnn();
        ApproximateModel.Replace(exact, new ExactMultiplier(8));
        Assert.Equal(ApproximateMultiplierEvaluation.Accuracy(exact, data, grid.BatchSize), rows[1].Accuracy);

        var again = Evaluation(store).Evaluate(Model, data, grid);
        Assert.All(again, r => Assert.True(r.FromCache));
        Assert.Equal(rows.Select(r => (r.Multiplier, r.Accuracy, r.RunId)), again.Select(r => (r.Multiplier, r.Accuracy, r.RunId)));
    }

    [Fact]
    public void ConfigKey_ChangesWithEverySetting()
    {
        var data = HardwareAwareTestModels.Data(8);
        var grid = new ApproximateMultiplierGrid(8, 8, [new ExactMultiplier(8)]);
        var baseHash = Hash(Model, new DrumMultiplier(4), data, grid);
        var others = new[]
        {
            Hash(Model, null, data, grid),
            Hash(Model, new DrumMultiplier(5), data, grid),
            Hash(Model, new MitchellMultiplier(), data, grid),
            Hash(Model, new TruncatedMultiplier(4), data, grid),
            Hash(Model, new TruncatedMultiplier(4, correction: true), data, grid),
            Hash(Model with { Identity = "tiny cnn seed 1" }, new DrumMultiplier(4), data, grid),
            Hash(Model, new DrumMultiplier(4), data, grid with { BatchSize = 4 }),
            Hash(Model, new DrumMultiplier(4), data, grid with { Images = 4 }),
            Hash(Model, new DrumMultiplier(4), data, grid with { InputMode = ApproximateInputMode.Symmetric }),
            Hash(Model, new DrumMultiplier(4), HardwareAwareTestModels.Data(8, seed: 2), grid),
        };
        Assert.Equal(others.Length + 1, others.Append(baseHash).Distinct().Count());
        Assert.Equal(baseHash, Hash(Model, new DrumMultiplier(4), data, grid));   // stable
        var json = RunConfig.From(ApproximateMultiplierEvaluation.Config(Model, new DrumMultiplier(4), data, grid), "v").Json;
        Assert.Contains("DRUM-4", json);
        Assert.Contains("\"batch_size\":8", json);
    }

    [Fact]
    public void FromRun_IdentityHoldsRunIdAndConfigHash()
    {
        var run = new RunResult(42, "abc123", FromCache: true, Resumed: false, new Dictionary<string, double>(), [], TimeSpan.Zero);
        var m = EvaluatedModel.FromRun(run, () => HardwareAwareTestModels.Cnn(), "mnist-cnn");
        Assert.Equal("mnist-cnn run 42 config abc123", m.Identity);
    }

    [Fact]
    public void BadSettings_AreRefused()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var data = HardwareAwareTestModels.Data(4);
        Assert.Contains("hold 4", Assert.Throws<ArgumentException>(() => Evaluation(store).Evaluate(Model, data, ApproximateMultiplierGrid.For(Preset.Smoke))).Message);
        Assert.Contains("named 'DRUM-4'", Assert.Throws<ArgumentException>(() =>
            new ApproximateMultiplierGrid(4, 4, [new DrumMultiplier(4), new DrumMultiplier(4)]).Validated()).Message);
        Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new ApproximateMultiplierGrid(4, 0, ApproximateMultiplierGrid.Standard()).Validated()).Message);
        Assert.Contains("identity", Assert.Throws<ArgumentException>(() => (Model with { Identity = " " }).Validated()).Message);
    }
}
