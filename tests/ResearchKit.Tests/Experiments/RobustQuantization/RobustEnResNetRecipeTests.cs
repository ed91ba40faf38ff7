using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Experiments.RobustQuantization;
using ResearchKit.Pruning;
using ResearchKit.Quantization;
using ResearchKit.Robustness;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.RobustQuantization;

/// <summary>Seed 002's recipe: its paper preset against the authors' code, smoke runs end to end, and the CW∞ margin.</summary>
public class RobustEnResNetRecipeTests
{
    private static readonly RecipeOptions Silent = new() { Progress = SilentProgressSink.Instance };

    [Fact]
    public void PaperPreset_IsTheAuthorsCode()
    {
        var t = new RobustEnResNetRecipe(TrainingObjective.Madry, 32).Training(Preset.Paper, Silent);
        // EnResNet code (BaoWangMath/EnResNet, main_pgd_enresnet5_20.py): EnResNet5_20, noise 0.1, CIFAR-10, crop + flip.
        Assert.Equal((5, 20, 0.1, "cifar10", true), (t.Members, t.Depth, t.NoiseCoef, t.Dataset, t.Augment));
        // PGD training: eps 0.031, 10 steps of 0.007 (random start is the kit's AdversarialTraining default).
        Assert.Equal((0.031f, 10, 0.007f), (t.Epsilon, t.AttackSteps, t.AttackStepSize));
        // SGD 0.1 Nesterov, momentum 0.9, wd 5e-4, x0.1 at epochs 80/120/160 of 200, batch 128.
        Assert.Equal((0.1, 0.9, 5e-4, true, 200, 128), (t.Lr, t.Momentum, t.WeightDecay, t.Nesterov, t.Epochs, t.BatchSize));
        Assert.Equal([80.0, 120.0, 160.0], t.LrDecayAt.Select(f => f * t.Epochs).ToArray());
        // Z. Li's Binary-Relax script for the EnResNet: eta = 1 fixed, hard phase from epoch 120 of 200, from scratch.
        var q = new RobustEnResNetRecipe(TrainingObjective.Madry, 2).Training(Preset.Paper, Silent);
        Assert.Equal((1.0, 1.0, 120, false), (q.BrInitialEta, q.BrGrowth, q.BrRelaxedEpochs, q.InitFromFloat));
        Assert.Equal(200, q.Epochs);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(16)]
    public void OtherBitWidths_AreRefused(int bits)
    {
        var e = Assert.Throws<ArgumentException>(() => new RobustEnResNetRecipe(TrainingObjective.Madry, bits));
        Assert.Contains("binary (1), ternary (2) and 4-bit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryConfig_SaysWhatIsNotStated_AndTheTradeOffWeightOnlyWhereItApplies()
    {
        var tradeOff = new RobustEnResNetRecipe(TrainingObjective.TradeOff, 4).Config(Preset.Quick, Silent);
        var madry = new RobustEnResNetRecipe(TrainingObjective.Madry, 4).Config(Preset.Quick, Silent);
        Assert.Equal(0.5, tradeOff["trade_off_weight"]);
        Assert.Null(madry["trade_off_weight"]);
        Assert.Same(RobustEnResNetRecipe.NotStated, tradeOff["not_stated"]);
        Assert.NotEqual(RunConfig.From(tradeOff).Hash, RunConfig.From(madry).Hash);
    }

    [Fact]
    public void SmokeTernaryMadry_TrainsFromItsFloatRun_IsCached_AndForwardsTheProjectedWeights()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = new RobustEnResNetRecipe(TrainingObjective.Madry, 2);
        var r = recipe.Run(store, Preset.Smoke, Silent);
        Assert.False(r.FromCache);
        Assert.InRange(r.FinalMetrics["accuracy"], 0, 1);
        Assert.True(double.IsFinite(r.FinalMetrics["loss"]));
        // The float run of the same objective was trained first, as its own run.
        Assert.True(new RobustEnResNetRecipe(TrainingObjective.Madry, 32).Run(store, Preset.Smoke, Silent).FromCache);
        var net = recipe.Trained(store, Preset.Smoke, Silent, out var run);
        Assert.True(run.FromCache);
        // The trained network forwards ternary weights: the stored sparsity is what the network uses, and it has zeros.
        var total = ChannelSparsity.Of(net).Total;
        Assert.Equal(r.FinalMetrics["sparsity"], total.UnstructuredSparsity, 12);
        Assert.Equal(r.FinalMetrics["channel_sparsity"], total.ChannelSparsity, 12);
        Assert.True(total.UnstructuredSparsity > 0);
        // Gradients reach the input through the quantized, noisy network.
        var (test, tf, name) = recipe.TestSet(Preset.Smoke, Silent);
        var data = RobustnessData.From(test, tf, name, count: 8, seed: 1);
        var x = data.Images.Clone().RequiresGrad_();
        var g = Autograd.Grad(RobustEnResNetAttacks.CwMargin(net.Forward(x), data.Labels), x);
        Assert.Contains(g.ToArray(), v => v != 0);
    }

    [Fact]
    public void Overrides_ChangeEveryStage_AndMakeADistinctRun()
    {
        var over = new EnResNetOverrides { WeightDecay = 0.02, Members = 1 };
        foreach (var preset in new[] { Preset.Smoke, Preset.Quick, Preset.Paper })
            foreach (int bits in new[] { 32, 2 })
            {
                var t = new RobustEnResNetRecipe(TrainingObjective.TradeOff, bits, overrides: over).Training(preset, Silent);
                Assert.Equal((0.02, 1), (t.WeightDecay, t.Members));
                var plain = new RobustEnResNetRecipe(TrainingObjective.TradeOff, bits).Training(preset, Silent);
                Assert.Equal(plain.LrDecayAt, t.LrDecayAt);
                Assert.Equal(plain with { WeightDecay = 0.02, Members = 1, LrDecayAt = t.LrDecayAt }, t);   // nothing else moves
            }
        var cfg = RunConfig.From(new RobustEnResNetRecipe(TrainingObjective.Madry, 2, overrides: over).Config(Preset.Quick, Silent));
        var plainCfg = RunConfig.From(new RobustEnResNetRecipe(TrainingObjective.Madry, 2).Config(Preset.Quick, Silent));
        Assert.NotEqual(plainCfg.Hash, cfg.Hash);
        Assert.Contains("\"overrides\"", cfg.Json);

        // A quantized run with overrides fine-tunes the float run with the same overrides.
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        new RobustEnResNetRecipe(TrainingObjective.Natural, 2, overrides: over).Run(store, Preset.Smoke, Silent);
        Assert.True(new RobustEnResNetRecipe(TrainingObjective.Natural, 32, overrides: over).Run(store, Preset.Smoke, Silent).FromCache);
        Assert.False(new RobustEnResNetRecipe(TrainingObjective.Natural, 32).Run(store, Preset.Smoke, Silent).FromCache);

        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustEnResNetRecipe(overrides: new EnResNetOverrides { WeightDecay = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RobustEnResNetRecipe(overrides: new EnResNetOverrides { Members = 0 }));
    }

    [Fact]
    public void CwMargin_IsTheBestWrongLogitMinusTheTrueOne_ClampedAtMinus50()
    {
        var logits = Tensor.FromArray(new float[] { 1, 5, 2, /**/ 0, -100, 3, /**/ 4, 4, 0 }, 3, 3);
        var labels = Tensor.FromArray(new long[] { 0, 1, 2 }, 3);
        // Row 0: max(5, 2) − 1 = 4. Row 1: max(0, 3) − (−100) = 103. Row 2: 4 − 0 = 4. (No clamp reached: all > −50.)
        Assert.Equal(4 + 103 + 4, RobustEnResNetAttacks.CwMargin(logits, labels).Item(), 4);
        var confident = Tensor.FromArray(new float[] { 100, 0, 0 }, 1, 3);
        Assert.Equal(-50, RobustEnResNetAttacks.CwMargin(confident, Tensor.FromArray(new long[] { 0 }, 1)).Item(), 4);
        var z = logits.Clone().RequiresGrad_();
        var g = Autograd.Grad(RobustEnResNetAttacks.CwMargin(z, labels), z).ToArray();
        // d/dZ: +1 on the best wrong logit, −1 on the true one, 0 elsewhere (row 2: a tie between 4 and 4 at classes 0, 1).
        Assert.Equal(new float[] { -1, 1, 0, 0, -1, 1 }, g[..6]);
        Assert.Equal(-1, g[8]);
        Assert.Equal(1, g[6] + g[7]);
    }
}
