using ResearchKit.Attacks;
using ResearchKit.Attacks.SideChannel;
using ResearchKit.Experiments;
using ResearchKit.Experiments.HardwareAware;
using ResearchKit.Robustness;
using ResearchKit.Runs;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.HardwareAware;

public class SideChannelAttackEvaluationTests
{
    private static RobustnessTarget Target() => RobustnessTarget.Of(HardwareAwareTestModels.Cnn(), "tiny cnn seed 0");

    private static SideChannelAttackGrid Smoke(LeakageModel? leakage = null) =>
        SideChannelAttackGrid.For(Preset.Smoke, new ThreatModel(AttackNorm.LInf, 0.3f), leakage);

    private static SideChannelAttackEvaluation Evaluation(IRunStore store, SideChannelAttackGrid grid) =>
        new(store, grid, new ExperimentRunOptions { Log = TextWriter.Null }, "test-v1");

    [Fact]
    public void Smoke_EndToEnd_ThenAnsweredFromTheStore()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var grid = Smoke();
        var data = HardwareAwareTestModels.Data(6);   // more than the grid's 4: the first 4 are attacked
        var rows = Evaluation(store, grid).Evaluate(Target(), data);
        // Per attack: true logits, T = 1, T = 4, label only.
        Assert.Equal(["SPSA", "SPSA", "SPSA", "SPSA", "Square", "Square", "Square", "Square"], rows.Select(r => r.Attack));
        Assert.Equal([AttackerView.TrueLogits, AttackerView.SideChannel, AttackerView.SideChannel, AttackerView.LabelOnly],
            rows.Take(4).Select(r => r.View));
        Assert.Equal([null, 1, 4, null], rows.Take(4).Select(r => r.Traces));
        Assert.All(rows, r => Assert.Equal(4, r.Images));
        Assert.All(rows, r => Assert.Equal(1 - r.AdversarialAccuracy, r.SuccessRate));
        // SPSA: 2n queries per step per image, whatever the view; side-channel traces are queries × T.
        Assert.All(rows.Take(4), r => Assert.Equal(4 * 2 * grid.SpsaSamples * grid.SpsaIterations, r.Queries));
        Assert.All(rows.Where(r => r.View == AttackerView.SideChannel), r => Assert.Equal(r.Queries * r.Traces, r.TargetTraces));
        Assert.All(rows.Where(r => r.View != AttackerView.SideChannel), r => Assert.Null(r.TargetTraces));
        Assert.All(rows, r => Assert.False(r.FromCache));

        var again = Evaluation(store, grid).Evaluate(Target(), data);
        Assert.All(again, r => Assert.True(r.FromCache));
        Assert.Equal(rows.Select(r => r with { FromCache = true }), again);
    }

    [Fact]
    public void NoiselessSideChannel_EqualsTheTrueLogits()
    {
        // σ = 0 with a known gain and offset of 1 and 0 extracts the logits exactly, so the attacks do exactly what they do on
        // the true logits (a check that the side channel is really in the attack's loop).
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var rows = Evaluation(store, Smoke(new LeakageModel { NoiseSigma = 0 })).Evaluate(Target(), HardwareAwareTestModels.Data(4));
        foreach (var attack in new[] { "SPSA", "Square" })
        {
            var truth = rows.Single(r => r.Attack == attack && r.View == AttackerView.TrueLogits);
            foreach (var sc in rows.Where(r => r.Attack == attack && r.View == AttackerView.SideChannel))
                Assert.Equal((truth.AdversarialAccuracy, truth.Queries), (sc.AdversarialAccuracy, sc.Queries));
        }
    }

    [Fact]
    public void ConfigKey_ChangesWithEverySetting()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var target = Target();
        var data = HardwareAwareTestModels.Data(4);
        var evaluator = new RobustnessEvaluator(store, codeVersion: "test-v1") { BatchSize = 4 };
        string Hash(SideChannelAttackGrid g, AttackerView view, int? t, int attack = 0, RobustnessData? d = null, RobustnessTarget? tg = null) =>
            RunConfig.From(evaluator.Config(tg ?? target, Evaluation(store, g).Attacks(tg ?? target, view, t)[attack], d ?? data), "test-v1").Hash;
        var grid = Smoke();
        var baseHash = Hash(grid, AttackerView.SideChannel, 4);
        var others = new[]
        {
            Hash(grid, AttackerView.SideChannel, 1),                                                          // T
            Hash(grid with { Leakage = grid.Leakage with { NoiseSigma = 0.5 } }, AttackerView.SideChannel, 4),  // σ
            Hash(grid with { Leakage = grid.Leakage with { Scale = NoiseScale.Absolute } }, AttackerView.SideChannel, 4),
            Hash(grid with { Leakage = grid.Leakage with { AdcBits = 8 } }, AttackerView.SideChannel, 4),
            Hash(grid with { Leakage = grid.Leakage with { Calibration = LeakageCalibration.Calibrated } }, AttackerView.SideChannel, 4),
            Hash(grid with { LeakageSeed = 1 }, AttackerView.SideChannel, 4),                                  // channel seed
            Hash(grid with { AttackSeed = 1 }, AttackerView.SideChannel, 4),                                   // attack seed
            Hash(grid with { SpsaSamples = 3 }, AttackerView.SideChannel, 4),
            Hash(grid, AttackerView.SideChannel, 4, attack: 1),                                                // Square
            Hash(grid, AttackerView.TrueLogits, null),
            Hash(grid, AttackerView.LabelOnly, null),
            Hash(grid, AttackerView.SideChannel, 4, d: HardwareAwareTestModels.Data(3)),                       // images
            Hash(grid, AttackerView.SideChannel, 4, d: HardwareAwareTestModels.Data(4, seed: 9)),
            Hash(grid, AttackerView.SideChannel, 4, tg: RobustnessTarget.Of(HardwareAwareTestModels.Cnn(1), "tiny cnn seed 1")),
        };
        Assert.Equal(others.Length + 1, others.Append(baseHash).Distinct().Count());
        Assert.Equal(baseHash, Hash(grid, AttackerView.SideChannel, 4));
        // The bounds do not depend on the leakage settings (they never see the channel).
        Assert.Equal(Hash(grid, AttackerView.LabelOnly, null), Hash(grid with { Leakage = grid.Leakage with { NoiseSigma = 3 } }, AttackerView.LabelOnly, null));
    }

    [Fact]
    public void BadSettings_AreRefused()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Contains("distinct trace counts", Assert.Throws<ArgumentException>(() => Evaluation(store, Smoke() with { Traces = [4, 4] })).Message);
        Assert.Contains("distinct trace counts", Assert.Throws<ArgumentException>(() => Evaluation(store, Smoke() with { Traces = [0] })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Evaluation(store, Smoke(new LeakageModel { NoiseSigma = -1 })));
        Assert.Contains("hold 3", Assert.Throws<ArgumentException>(() => Evaluation(store, Smoke()).Evaluate(Target(), HardwareAwareTestModels.Data(3))).Message);
        Assert.Contains("LeakageModel", Assert.Throws<ArgumentException>(() =>
            ViewedAttack.On(new ModelOracle(HardwareAwareTestModels.Cnn()), AttackerView.SideChannel, o => new SquareAttack(o, ThreatModel.Thesis))).Message);
    }
}
