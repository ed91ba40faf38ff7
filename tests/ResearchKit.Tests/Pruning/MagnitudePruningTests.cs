using ResearchKit.Pruning;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Pruning.PruningTestUtil;

namespace ResearchKit.Tests.Pruning;

public class MagnitudePruningTests
{
    private static readonly double[] Objectives = [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1];

    private static float[] RandomWeights(int seed, int n, float scale)
    {
        var rnd = new Random(seed);
        var w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float)((rnd.NextDouble() * 2 - 1) * scale);
        return w;
    }

    [Theory]
    [InlineData(1, 1000, 0.1f, 3e-4)]
    [InlineData(2, 777, 0.5f, 3e-4)]
    [InlineData(3, 2048, 2f, 1e-2)]
    public void Algorithm3_MatchesLiteralLoop_AndReachesEachObjectiveWithinEpsilonBand(int seed, int n, float scale, double eps)
    {
        var w = RandomWeights(seed, n, scale);
        var mags = w.Select(MathF.Abs).ToArray();
        foreach (var p in Objectives)
        {
            double t = MagnitudePruning.Algorithm3Threshold(w, p, eps, out long k);
            var (refT, refK) = ReferenceAlgorithm3(mags, p, eps);
            Assert.Equal(refK, k);
            Assert.Equal(refT, t);
            long pruned = mags.Count(a => a <= t);
            Assert.True((double)pruned / n >= p, $"p={p}: achieved {(double)pruned / n}");
            if (k > 0)
            {
                // First grid point reaching it: one step lower does not; the overshoot is the last ε band only.
                long below = mags.Count(a => a <= (k - 1) * eps);
                Assert.True((double)below / n < p);
                long band = mags.Count(a => a > (k - 1) * eps && a <= t);
                Assert.Equal(pruned - below, band);
            }
        }
    }

    [Fact]
    public void Algorithm3_OnSmallLstmWeights_GroupThresholdIsFirstGridPoint()
    {
        var model = new TinyLstm(new Generator(5), input: 8, hidden: 16);
        foreach (var p in TicketConfig.ThesisObjectives)
        {
            var plan = PruningPlan.Recurrent(model, p);
            var res = plan.Prune(model)["lstm"];
            var mags = Abs([model.Rnn.NamedParameters().First(x => x.Name == "weight_ih_l0").Parameter,
                            model.Rnn.NamedParameters().First(x => x.Name == "weight_hh_l0").Parameter]);
            var (refT, refK) = ReferenceAlgorithm3(mags, p, 3e-4);
            Assert.Equal(refT, res.Threshold);
            Assert.Equal(refK, res.Tensors[0].Steps);
            Assert.True(res.Sparsity >= p);
            Assert.Equal(mags.LongLength, res.Total);
            Assert.Equal(mags.Count(a => a <= refT), res.Pruned);
            // Within the ε band: everything pruned beyond the target sits in (t − ε, t].
            long target = MagnitudePruning.TargetCount(mags.Length, p);
            Assert.Equal(res.Pruned - target, mags.Count(a => a <= refT) - target);
            Assert.True(mags.Count(a => a <= refT - 3e-4) < target);
        }
    }

    [Fact]
    public void TargetCount_IsSmallestCountWhoseFractionReachesObjective()
    {
        foreach (long n in new long[] { 1, 7, 10, 100, 1000, 68_000, 1_234_567 })
            foreach (var p in new[] { 0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.0 / 3 })
            {
                long c = MagnitudePruning.TargetCount(n, p);
                Assert.True((double)c / n >= p);
                if (c > 0) Assert.True((double)(c - 1) / n < p);
            }
        Assert.Equal(3, MagnitudePruning.TargetCount(10, 0.3)); // 0.3·10 is 3.0000000000000004 in double: still 3
    }

    [Fact]
    public void Quantile_PrunesExactTargetCount_TiesByPosition()
    {
        // Many exact ties: only the first positions of the tied value are pruned.
        var w = new float[] { 0.5f, -0.1f, 0.1f, 0.3f, -0.1f, 0.2f, 0.1f, 0.9f, -0.3f, 0.1f };
        var lin = Tensor.FromArray(w, 10);
        var model = new ParamHolder(lin);
        var plan = new PruningPlan([new PruningGroup("g", ["w"], 0.3)], PruningMethod.Quantile);
        var r = plan.Prune(model);
        var m = r.Masks["w"]!.ToArray();
        // |w| sorted: 0.1 at positions 1,2,4,6,9; target 3 → positions 1, 2, 4.
        Assert.Equal(new float[] { 1, 0, 0, 1, 0, 1, 1, 1, 1, 1 }, m);
        Assert.Equal(3, r["g"].Pruned);
        Assert.Equal(0.1f, (float)r["g"].Threshold!.Value);

        // Algorithm 3 on the same data prunes the whole tied band instead (overshoot).
        var r3 = plan.WithMethod(PruningMethod.Threshold, 0.05).Prune(model);
        Assert.Equal(5, r3["g"].Pruned);
    }

    [Theory]
    [InlineData(11, 1000)]
    [InlineData(12, 4097)]
    public void Quantile_HitsExactCountOnRandomTensors_AndMatchesSortReference(int seed, int n)
    {
        var w = RandomWeights(seed, n, 1f);
        w[3] = w[5]; w[7] = -w[5]; // ties
        var model = new ParamHolder(Tensor.FromArray(w, n));
        var masks = new PruningMasks();
        foreach (var p in TicketConfig.ThesisObjectives)
        {
            var r = new PruningPlan([new PruningGroup("g", ["w"], p)], PruningMethod.Quantile).Prune(model, masks);
            long target = MagnitudePruning.TargetCount(n, p);
            Assert.Equal(target, r["g"].Pruned);
            Assert.True(r.Masks.IsMonotoneExtensionOf(masks));
            // Reference: stable sort of (|w| masked to 0, position), prune the first `target`.
            var prev = masks["w"]?.ToArray();
            var order = Enumerable.Range(0, n).OrderBy(i => prev is not null && prev[i] == 0 ? 0f : MathF.Abs(w[i])).ThenBy(i => i).Take((int)target).ToHashSet();
            var m = r.Masks["w"]!.ToArray();
            for (int i = 0; i < n; i++) Assert.Equal(order.Contains(i) ? 0f : 1f, m[i]);
            masks = r.Masks;
        }
    }

    [Fact]
    public void GroupScope_SharesOneThreshold_PerTensorScope_PrunesEachTensorToObjective()
    {
        // Two tensors of very different scales: a global threshold prunes the small one almost entirely.
        var small = Tensor.FromArray(RandomWeights(21, 200, 0.01f), 200);
        var large = Tensor.FromArray(RandomWeights(22, 300, 1f), 300);
        var model = new ParamHolder(small, large);
        var group = new PruningPlan([new PruningGroup("g", ["w", "v"], 0.5)], PruningMethod.Quantile).Prune(model)["g"];
        var per = new PruningPlan([new PruningGroup("g", ["w", "v"], 0.5, ThresholdScope.PerTensor)], PruningMethod.Quantile).Prune(model)["g"];

        Assert.Equal(250, group.Pruned);
        Assert.Equal(200, group.Tensors[0].Pruned); // all of the small tensor (|w| ≤ 0.01 < any large weight below the cut)
        Assert.Equal(50, group.Tensors[1].Pruned);
        Assert.NotNull(group.Threshold);
        Assert.All(group.Tensors, t => Assert.Equal(group.Threshold!.Value, t.Threshold));

        Assert.Null(per.Threshold);
        Assert.Equal(100, per.Tensors[0].Pruned);
        Assert.Equal(150, per.Tensors[1].Pruned);
        Assert.NotEqual(per.Tensors[0].Threshold, per.Tensors[1].Threshold);

        // Algorithm 3 per tensor: each tensor's threshold is its own first grid point.
        var per3 = new PruningPlan([new PruningGroup("g", ["w", "v"], 0.5, ThresholdScope.PerTensor)], epsilon: 1e-3).Prune(model)["g"];
        Assert.Equal(ReferenceAlgorithm3(Abs([small]), 0.5, 1e-3).Threshold, per3.Tensors[0].Threshold);
        Assert.Equal(ReferenceAlgorithm3(Abs([large]), 0.5, 1e-3).Threshold, per3.Tensors[1].Threshold);
    }

    [Fact]
    public void RecurrentPlan_NeverPrunesBiases_AndSeparatesObjectives()
    {
        var model = new TinyLm(new Generator(3));
        var before = WeightsOf(model);
        var plan = PruningPlan.Recurrent(model, 0.8, otherWeightsObjective: 0.5);
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1"], plan["lstm"].ParameterNames);
        Assert.Equal(["encoder.weight", "decoder.weight"], plan["other"].ParameterNames);
        var r = plan.Prune(model);
        r.Masks.Apply(model);
        Assert.True(r["lstm"].Sparsity >= 0.8 && r["lstm"].Sparsity < 0.85);
        Assert.True(r["other"].Sparsity >= 0.5 && r["other"].Sparsity < 0.6);
        foreach (var (name, p) in model.NamedParameters())
        {
            bool bias = name.Contains("bias");
            Assert.Equal(bias, !r.Masks.Contains(name));
            if (bias) Assert.Equal(before[name], p.ToArray()); // untouched, bit for bit
        }
    }

    [Fact]
    public void Masks_AreMonotoneAcrossRounds_EvenWhenWeightsChange()
    {
        var model = new TinyLstm(new Generator(9));
        var masks = new PruningMasks();
        var rnd = new Random(4);
        foreach (var p in TicketConfig.ThesisObjectives)
        {
            // Retrain stand-in: perturb the surviving weights, so magnitudes reorder between rounds.
            using (Torch.NoGrad())
                foreach (var (_, w) in model.NamedParameters())
                {
                    var s = w.AsSpan();
                    for (int i = 0; i < s.Length; i++) s[i] += (float)(rnd.NextDouble() - 0.5) * 0.2f;
                }
            masks.Apply(model);
            var r = PruningPlan.Recurrent(model, p, 0.2).Prune(model, masks);
            Assert.True(r.Masks.IsMonotoneExtensionOf(masks));
            Assert.True(r["lstm"].Sparsity >= p);
            masks = r.Masks;
        }
        Assert.False(new PruningMasks().IsMonotoneExtensionOf(masks)); // the reverse direction is not monotone
    }

    [Fact]
    public void LowerObjectiveThanCurrentSparsity_KeepsMasks()
    {
        var model = new ParamHolder(Tensor.FromArray(RandomWeights(31, 100, 1f), 100));
        foreach (var method in new[] { PruningMethod.Threshold, PruningMethod.Quantile })
        {
            var high = new PruningPlan([new PruningGroup("g", ["w"], 0.9)], method, 1e-3).Prune(model);
            high.Masks.Apply(model);
            var low = new PruningPlan([new PruningGroup("g", ["w"], 0.3)], method, 1e-3).Prune(model, high.Masks);
            Assert.Equal(high.Masks["w"]!.ToArray(), low.Masks["w"]!.ToArray());
        }
    }

    [Fact]
    public void PatternSelection_GlobsOverFullNames()
    {
        var model = new TinyLm(new Generator(1));
        var g = PruningGroup.Match(model, "hh", 0.5, ["rnn.weight_hh_l?"]);
        Assert.Equal(["rnn.weight_hh_l0", "rnn.weight_hh_l1"], g.ParameterNames);
        var all = PruningGroup.Match(model, "w", 0.5, ["*weight*"], exclude: ["rnn.*_l1"]);
        Assert.Equal(["encoder.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "decoder.weight"], all.ParameterNames);
    }

    [Fact]
    public void BadInput_ThrowsWithClearMessages()
    {
        var model = new TinyLm(new Generator(1));
        Assert.Contains("matches no parameter", Assert.Throws<ArgumentException>(() => PruningGroup.Match(model, "x", 0.5, ["*weight_xx*"])).Message);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new PruningGroup("x", ["encoder.weight"], 50)).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new PruningGroup("x", ["a", "a"], 0.5)).Message);
        Assert.Contains("no parameters", Assert.Throws<ArgumentException>(() => new PruningGroup("x", [], 0.5)).Message);
        Assert.Contains("one group only", Assert.Throws<ArgumentException>(() => new PruningPlan([new PruningGroup("a", ["encoder.weight"], 0.5), new PruningGroup("b", ["encoder.weight"], 0.5)])).Message);
        Assert.Contains("unique", Assert.Throws<ArgumentException>(() => new PruningPlan([new PruningGroup("a", ["encoder.weight"], 0.5), new PruningGroup("a", ["decoder.weight"], 0.5)])).Message);
        Assert.Contains("3e-4", Assert.Throws<ArgumentOutOfRangeException>(() => new PruningPlan([new PruningGroup("a", ["encoder.weight"], 0.5)], epsilon: 0)).Message);
        Assert.Contains("does not have", Assert.Throws<ArgumentException>(() => new PruningPlan([new PruningGroup("a", ["nope.weight"], 0.5)]).Prune(model)).Message);
        Assert.Contains("matches no parameter", Assert.Throws<ArgumentException>(() => PruningPlan.Recurrent(new ParamHolder(Tensor.Zeros(3)), 0.5)).Message);
        Assert.Contains("no weight matrices", Assert.Throws<ArgumentException>(() => PruningPlan.Recurrent(new Lstm(2, 3), 0.5, 0.5)).Message);
        using (Torch.NoGrad()) model.Encoder.Weight.AsSpan()[4] = float.NaN;
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => PruningPlan.Recurrent(model, 0.5, 0.5).Prune(model)).Message);
        Assert.Throws<ArgumentException>(() => MagnitudePruning.Algorithm3Threshold(ReadOnlySpan<float>.Empty, 0.5, 3e-4, out _));
    }

    private static Dictionary<string, float[]> WeightsOf(Module m)
    {
        var d = new Dictionary<string, float[]>();
        foreach (var (n, p) in m.NamedParameters()) d[n] = p.ToArray();
        return d;
    }
}

/// <summary>A module holding free parameters "w" (and "v").</summary>
internal sealed class ParamHolder : Module
{
    public ParamHolder(Tensor w, Tensor? v = null)
    {
        RegisterParameter("w", w);
        if (v is not null) RegisterParameter("v", v);
    }
}
