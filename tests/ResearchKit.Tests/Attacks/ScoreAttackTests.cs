using ResearchKit.Attacks;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Attacks.AttackTestUtil;

namespace ResearchKit.Tests.Attacks;

/// <summary>Square, the transfer wrapper and the model oracle.</summary>
public class ScoreAttackTests
{
    [Fact]
    public void Square_LowersAccuracy_WithinBudget_Deterministically()
    {
        var model = SmallCnn(seed: 12);
        var (x, _) = Batch(8, 140);
        var y = Predictions(model, x);
        var threat = new ThreatModel(AttackNorm.LInf, 0.1f);
        var oracle = new ModelOracle(model);
        var square = new SquareAttack(oracle, threat, queryBudget: 100, pInit: 0.3f, seed: 1);
        var adv = square.Perturb(x, y);
        InsideThreat(x, adv, threat, "Square");
        Assert.True(Accuracy(model, adv, y) < 1.0, "Square fooled none of 8 inputs");
        Assert.InRange(square.Queries, 8, 8 * 100);
        Assert.Equal(square.Queries, oracle.Queries);
        var again = new SquareAttack(new ModelOracle(model), threat, queryBudget: 100, pInit: 0.3f, maxBatch: 3, seed: 1).Perturb(x, y);
        Assert.Equal(adv.ToArray(), again.ToArray());
        // Every pixel sits at a vertex of the box (x ± ε, then clipped): Square never leaves the vertices.
        var a = adv.ToArray(); var c = x.ToArray();
        for (int k = 0; k < a.Length; k++)
            Assert.True(Math.Abs(a[k] - Math.Clamp(c[k] + 0.1f, 0f, 1f)) < 1e-6f || Math.Abs(a[k] - Math.Clamp(c[k] - 0.1f, 0f, 1f)) < 1e-6f);
    }

    [Fact]
    public void Transfer_CraftsOnTheSurrogate_AndCountsItsQueries()
    {
        var surrogate = SmallCnn(seed: 13);
        var (x, y) = Batch(4, 150);
        var inner = new Pgd(surrogate, ThreatModel.Thesis, steps: 3);
        var transfer = new TransferAttack(inner, "small-cnn-13");
        var adv = transfer.Perturb(x, y);
        Assert.Equal(new Pgd(surrogate, ThreatModel.Thesis, steps: 3).Perturb(x, y).ToArray(), adv.ToArray());
        Assert.Equal(12, transfer.Queries);
        Assert.Equal("Transfer(PGD)", transfer.Name);
        Assert.Equal("small-cnn-13", transfer.Config["surrogate"]);
        Assert.Equal(3, transfer.Config["inner.steps"]);
    }

    [Fact]
    public void ModelOracle_ChunksCountsAndRestoresTheMode()
    {
        var model = SmallCnn(seed: 14);
        var (x, _) = Batch(7, 160);
        model.Train();
        var whole = new ModelOracle(model);
        var chunked = new ModelOracle(model, maxBatch: 3);
        var a = whole.Scores(x); var b = chunked.Scores(x);
        Assert.True(model.Training);
        Assert.False(a.RequiresGrad);
        Assert.Equal(7, whole.Queries);
        Assert.Equal(7, chunked.Queries);
        Assert.True(MaxAbsDiff(a, b) < 1e-6f);
        Assert.Equal(new long[] { 7, 5 }, a.Shape.ToArray().Select(v => (long)v).ToArray());
    }
}
