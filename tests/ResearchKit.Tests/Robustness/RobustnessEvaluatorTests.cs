using ResearchKit.Robustness;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tests.Runs;
using ResearchKit.Thesis;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Robustness;

/// <summary>The cached robustness evaluation on a 3-class toy target whose scores are its inputs (so every number can be worked out by hand).</summary>
public class RobustnessEvaluatorTests
{
    // Rows 0–2 are correct one-hots; row 3 (label 1) is predicted 0: clean accuracy 3/4.
    private static RobustnessData Data() => new("toy", "test", 0,
        Tensor.FromArray([1f, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], 4, 3), Tensor.FromArray(new long[] { 0, 1, 2, 1 }, 4));

    private static RobustnessEvaluator Evaluator(IRunStore store, string version = "test-v1", bool reuseStale = false) =>
        new(store, new ExperimentRunOptions { ReuseStale = reuseStale, Log = TextWriter.Null }, version) { BatchSize = 3 };

    [Fact]
    public void Accuracies_AndNorms_AreWhatTheAttackDid()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var target = RobustnessTarget.Of(new IdentityOracle(), "identity scores");
        // Only even rows are shifted, by 1.5 > 1: rows 0 and 2 flip; row 1 stays correct; row 3 was already wrong.
        var attack = new ShiftAttack(1.5f, 1, rows: i => i % 2 == 0);
        var r = Evaluator(store).Evaluate(target, attack, Data());
        Assert.Equal(4, r.Images);
        Assert.Equal(0.75, r.CleanAccuracy);
        Assert.Equal(0.25, r.AdversarialAccuracy);
        Assert.Equal(50.0, r.DropPoints, 9);
        // Batches of 3 then 1 restart the row index: rows 0, 2 (first batch) and row 3 (index 0 of the second) are shifted.
        Assert.Equal(3 * 1.5 / 4, r.MeanLInf, 6);
        Assert.Equal(1.5, r.MaxLInf, 6);
        Assert.Equal(r.MeanLInf, r.MeanL2, 6);   // one coordinate moved: L2 = L∞
        Assert.Equal(4, r.Queries);               // one step per image, evaluator's own scoring not charged
        Assert.False(r.FromCache);
        Assert.True(r.IsCurrent);
    }

    [Fact]
    public void WhiteBoxObjectives_AreNamedInTheCacheKey_AndAnUnnamedOneIsRefused()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var model = new ResearchKit.Tensors.Nn.Linear(3, 3, generator: new Generator(0));
        var target = RobustnessTarget.Of(model, "linear toy");
        var threat = new ResearchKit.Attacks.ThreatModel(ResearchKit.Attacks.AttackNorm.LInf, 0.1f);
        Func<Tensor, Tensor, Tensor> own = (x, y) => model.Forward(x).Square().Mean();
        var ev = Evaluator(store);
        var unnamed = new ResearchKit.Attacks.Fgsm(model, threat, own);
        var e = Assert.Throws<ArgumentException>(() => ev.Evaluate(target, unnamed, Data()));
        Assert.Contains("ObjectiveName", e.Message, StringComparison.Ordinal);
        // Two named objectives and plain cross-entropy are three different cached results.
        var ce = ev.Evaluate(target, new ResearchKit.Attacks.Fgsm(model, threat), Data());
        var a = ev.Evaluate(target, new ResearchKit.Attacks.Fgsm(model, threat, own) { ObjectiveName = "mean square" }, Data());
        var b = ev.Evaluate(target, new ResearchKit.Attacks.Fgsm(model, threat, (x, y) => -model.Forward(x).Square().Mean()) { ObjectiveName = "minus mean square" }, Data());
        Assert.False(ce.FromCache || a.FromCache || b.FromCache);
        Assert.Equal("mean square", new ResearchKit.Attacks.Fgsm(model, threat, own) { ObjectiveName = "mean square" }.Config["objective"]);
        Assert.True(ev.Evaluate(target, new ResearchKit.Attacks.Fgsm(model, threat, own) { ObjectiveName = "mean square" }, Data()).FromCache);
    }

    [Fact]
    public void SecondCall_IsCached_AndAChangedAttackConfigRecomputes()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var target = RobustnessTarget.Of(new IdentityOracle(), "identity scores");
        var ev = Evaluator(store);
        var a = new ShiftAttack(1.5f, 1);
        var first = ev.Evaluate(target, a, Data());
        var again = ev.Evaluate(target, a, Data());
        Assert.Equal(2, a.PerturbCalls);         // two batches the first time, none the second
        Assert.True(again.FromCache);
        Assert.Equal(first with { FromCache = true, WallSeconds = again.WallSeconds }, again);
        Assert.Equal(first.WallSeconds, again.WallSeconds);

        var weaker = new ShiftAttack(0.5f, 1);   // another config: attacked again, and 0.5 < 1 flips nothing
        var r = ev.Evaluate(target, weaker, Data());
        Assert.False(r.FromCache);
        Assert.Equal(2, weaker.PerturbCalls);
        Assert.Equal(0.75, r.AdversarialAccuracy);
        // Another target identity or another subset is another evaluation too.
        Assert.False(ev.Evaluate(RobustnessTarget.Of(new IdentityOracle(), "other model"), a, Data()).FromCache);
        Assert.False(ev.Evaluate(target, a, Data() with { Seed = 7 }).FromCache);
    }

    [Fact]
    public void AResultOfOtherCode_IsNeverShownAsCurrent()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var target = RobustnessTarget.Of(new IdentityOracle(), "identity scores");
        var old = Evaluator(store, "code-A").Evaluate(target, new ShiftAttack(1.5f, 1), Data());
        Assert.True(old.IsCurrent);

        var attack = new ShiftAttack(1.5f, 1);
        var fresh = Evaluator(store, "code-B").Evaluate(target, attack, Data());
        Assert.False(fresh.FromCache);           // stale result not reused: attacked again
        Assert.True(attack.PerturbCalls > 0);
        Assert.True(fresh.IsCurrent);
        Assert.NotEqual(old.RunId, fresh.RunId);

        var reused = Evaluator(store, "code-C", reuseStale: true).Evaluate(target, new ShiftAttack(1.5f, 1), Data());
        Assert.True(reused.FromCache);
        Assert.False(reused.IsCurrent);
        Assert.Equal("code-B", reused.StaleCodeVersion);
    }

    [Fact]
    public void EvaluateAt_GivesOneResultPerBudget_FromOneRun()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var target = RobustnessTarget.Of(new IdentityOracle(), "identity scores");
        var attack = new ShiftAttack(0.6f, 4);
        var rs = Evaluator(store).EvaluateAt(target, attack, Data(), [4, 1, 2]);
        Assert.Equal(2, attack.PerturbCalls);    // one run per batch, snapshots for every budget
        Assert.Equal(new int?[] { 4, 1, 2 }, rs.Select(r => r.Iterations));
        // 0.6 < 1 keeps the correct rows; 1.2 and min(2.4, ε = 2) flip them.
        Assert.Equal([0.0, 0.75, 0.0], rs.Select(r => r.AdversarialAccuracy));
        Assert.Equal([2.0, 0.6, 1.2], rs.Select(r => r.MaxLInf), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.All(rs, r => Assert.Equal(0.75, r.CleanAccuracy));
        Assert.All(rs, r => Assert.Equal(4 * 4, r.Queries));
        Assert.All(Evaluator(store).EvaluateAt(target, attack, Data(), [4, 1, 2]), r => Assert.True(r.FromCache));
        Assert.Throws<ArgumentException>(() => Evaluator(store).EvaluateAt(target, attack, Data(), [0, 1]));
    }

    [Fact]
    public void Grid_HasThesisShape_RowsN_ColumnsIterations_InPercent()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var target = RobustnessTarget.Of(new IdentityOracle(), "identity scores");
        // n only scales the step here: n = 10 → 0.6 per step, n = 128 → 1.2 per step.
        var grid = RobustnessGrid.Evaluate(Evaluator(store), target, n => new ShiftAttack(n == 10 ? 0.6f : 1.2f, 2), Data(), [128, 10], [1, 2]);
        var frame = RobustnessGrid.Frame(grid);
        Assert.Equal(["n=10", "n=128"], frame.RowKeys);
        Assert.Equal(["iters=1", "iters=2"], frame.ColumnKeys);
        Assert.Equal(75.0, frame.GetColumn<double>("iters=1")["n=10"]);
        Assert.Equal(0.0, frame.GetColumn<double>("iters=1")["n=128"]);
        Assert.Equal(0.0, frame.GetColumn<double>("iters=2")["n=10"]);

        var thesis = RobustnessGrid.ThesisFrame(ThesisReference.Chapter6.Table("6.6"));
        Assert.Equal(["n=10", "n=128", "n=1024"], thesis.RowKeys);
        Assert.Equal(["iters=10", "iters=20", "iters=50", "iters=100"], thesis.ColumnKeys);
        Assert.Equal(ThesisReference.Chapter6.Value("6.6", "1024", "iters=100"), thesis.GetColumn<double>("iters=100")["n=1024"]);
        var hole = new Dictionary<(int, int), double> { [(10, 1)] = 1, [(128, 2)] = 2 };
        Assert.Contains("n = 10, iterations = 2", Assert.Throws<ArgumentException>(() => RobustnessGrid.Frame(hole)).Message);
    }

    [Fact]
    public void TheKeyHoldsTheTargetIdentity_NotASecret_AndAnEmptyIdentityIsRefused()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var cfg = Evaluator(store).Config(RobustnessTarget.Of(new IdentityOracle(), "ehd k=3 key-fp 1a2b3c"), new ShiftAttack(1, 1), Data());
        Assert.Equal("ehd k=3 key-fp 1a2b3c", cfg["target"]);
        var data = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(cfg["data"]);
        Assert.Equal(("toy", "test", 4, 0L), ((string)data["dataset"]!, (string)data["split"]!, (int)data["count"]!, (long)data["seed"]!));
        Assert.Throws<ArgumentException>(() => RobustnessTarget.Of(new IdentityOracle(), " "));
    }

    [Fact]
    public void Norms_OfAKnownPerturbation()
    {
        var norms = new PerturbationNorms();
        var x = Tensor.FromArray([0f, 0, 0, 0, 0, 0], 2, 3);
        norms.Add(x, Tensor.FromArray([0.3f, -0.4f, 0, 0, 0, 0.1f], 2, 3));
        Assert.Equal(2, norms.Count);
        Assert.Equal(0.4, norms.MaxLInf, 6);
        Assert.Equal((0.4 + 0.1) / 2, norms.MeanLInf, 6);
        Assert.Equal(0.5, norms.MaxL2, 6);        // 3-4-5
        Assert.Equal((0.5 + 0.1) / 2, norms.MeanL2, 6);
        Assert.Throws<ArgumentException>(() => norms.Add(x, Tensor.FromArray([0f, 0, 0], 1, 3)));
    }
}
