using System.Diagnostics;
using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Experiments.Chapter6;
using ResearchKit.Models;
using ResearchKit.Robustness;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tests.Data;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;
using Xunit.Abstractions;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Experiments.Chapter6;

/// <summary>The MMC head, the chapter-6 recipes end to end at smoke, and a white-box attack on a trained member.</summary>
public class Chapter6RecipeTests(ITestOutputHelper output)
{
    private static readonly RecipeOptions Silent = new() { Progress = SilentProgressSink.Instance };

    [Fact]
    public void MmcHead_ScoresAreMinusHalfSquaredDistances_ToFixedCenters()
    {
        var t = new QatTraining { Loss = QatLoss.Mmc };
        var net = new QatNetwork(new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(1)), QatLoss.Mmc, t, 10, new Generator(1));
        var head = Assert.IsType<MmcHead>(net.Head);
        Assert.Empty(head.Parameters());                        // preset centers: nothing for the optimizer
        Assert.Equal([10, 64], head.Mmc.PresetCenters.Shape.ToArray());
        var x = Tensor.Rand([4, 1, 28, 28], new Generator(2));
        var y = Tensor.FromArray(new long[] { 0, 3, 5, 9 }, 4);
        net.Eval();
        var f = net.Features(x);
        var scores = net.Forward(x);
        Assert.Equal([4, 10], scores.Shape.ToArray());
        // Score j = −½‖f − μ_j‖²; the loss is the batch mean of ½‖f − μ_y‖², i.e. −mean of the label's score.
        var fa = f.ToArray(); var mu = head.Mmc.PresetCenters.ToArray(); var s = scores.ToArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 10; j++)
            {
                double d = 0;
                for (int k = 0; k < 64; k++) d += Math.Pow(fa[i * 64 + k] - mu[j * 64 + k], 2);
                Assert.Equal(-0.5 * d, s[i * 10 + j], Math.Max(1e-3, 1e-5 * d));
            }
        double expected = -new[] { 0, 3, 5, 9 }.Select((c, i) => (double)s[i * 10 + c]).Average();
        Assert.Equal(expected, net.Loss(x, y).Item(), Math.Max(1e-3, 1e-5 * Math.Abs(expected)));
    }

    [Fact]
    public void MmcHead_OnFeaturesNarrowerThanClassesMinusOne_FailsClearly()
    {
        var e = Assert.Throws<ArgumentException>(() => new QatNetwork(new ResNetCifar(8, 100, generator: new Generator(0)), QatLoss.Mmc, new QatTraining { Loss = QatLoss.Mmc }, 100));
        Assert.Contains("99", e.Message, StringComparison.Ordinal);
        Assert.Contains("64", e.Message, StringComparison.Ordinal);
        // The paper preset's network (Pang et al.'s ResNet-32, 256 dense features) fits CIFAR-100's 100 centers.
        var recipe = new EhdMemberRecipe(QatLoss.Mmc);
        var paper = Chapter6Network.Build(Preset.Paper, recipe.Training(Preset.Paper, new RecipeOptions()), 0);
        Assert.IsType<ResNetV2Cifar>(paper.Model);
        Assert.Equal(new[] { 2, 100 }, paper.Forward(Tensor.Rand([2, 3, 32, 32], new Generator(1))).Shape.ToArray());
    }

    [Theory]
    [InlineData(QatLoss.CrossEntropy)]
    [InlineData(QatLoss.Gml)]
    [InlineData(QatLoss.Mmc)]
    public void EhdMember_Smoke_Trains_IsCached_AndGivesItsNetwork(QatLoss loss)
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = new EhdMemberRecipe(loss, memberSeed: 3);
        var r = recipe.Run(store, Preset.Smoke, Silent);
        Assert.False(r.FromCache);
        Assert.InRange(r.FinalMetrics["accuracy"], 0, 1);
        Assert.True(double.IsFinite(r.FinalMetrics["loss"]));
        Assert.True(recipe.Run(store, Preset.Smoke, Silent).FromCache);
        // The stored weights reproduce the stored accuracy.
        var net = recipe.Trained(store, Preset.Smoke, Silent, out var run);
        Assert.True(run.FromCache);
        var (test, tf, _) = recipe.TestSet(Preset.Smoke, Silent);
        using var loader = new DataLoader(test, 200, shuffle: false, 0, tf);
        Assert.Equal(r.FinalMetrics["accuracy"], TwoStageQat.Evaluate(net, loader));
        // Another init seed is another member.
        Assert.False(new EhdMemberRecipe(loss, memberSeed: 4).Run(store, Preset.Smoke, Silent).FromCache);
    }

    [Theory]
    [InlineData(QatLoss.Mmc, 2, 2)]
    [InlineData(QatLoss.Gml, 32, 32)]
    [InlineData(QatLoss.CrossEntropy, 1, 4)]
    public void AppendixA_Smoke_TrainsAndGivesTheNetworkToAttack(QatLoss loss, int w, int a)
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = new QuantizedRobustnessRecipe(loss, w, a);
        var net = recipe.Trained(store, Preset.Smoke, Silent, out var run);
        Assert.InRange(run.FinalMetrics["accuracy"], 0, 1);
        Assert.Equal(loss, net.Head.Kind);
        var (test, tf, _) = recipe.TestSet(Preset.Smoke, Silent);
        var data = RobustnessData.From(test, tf, "fashion-mnist-sample", count: 16, seed: 1);
        var x = data.Images.Clone().RequiresGrad_();
        var g = Autograd.Grad(AppendixAPgd.Objective(net, PgdAttackLoss.OwnLoss)(x, data.Labels), x);
        Assert.Equal(x.Shape.ToArray(), g.Shape.ToArray());     // gradients reach the input through the quantizers
        Assert.Contains(g.ToArray(), v => v != 0);
        Assert.True(recipe.Run(store, Preset.Smoke, Silent).FromCache);
    }

    [MirrorFact]
    public void QuickCeMember_OnFashionMnist_FallsBelow10PercentUnderPgd()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        using var cache = new DataTempDir();
        var data = DataTestSupport.Isolated(cache.Path);
        data.MirrorDir = DataTestSupport.Mirror;
        var options = Silent with { Data = data };
        // Two epochs instead of the preset's four: the suite's time on 2 cores (the notebooks train the full quick members).
        var recipe = new EhdMemberRecipe(QatLoss.CrossEntropy, memberSeed: 0, new EhdMemberOptions { QuickEpochs = 2 });
        var sw = Stopwatch.StartNew();
        var net = recipe.Trained(store, Preset.Quick, options, out var run);
        output.WriteLine($"quick CE member (2 epochs, Fashion-MNIST, ResNet-8): trained in {sw.Elapsed.TotalSeconds:F0} s, clean accuracy {run.FinalMetrics["accuracy"]:P1}");
        Assert.True(run.FinalMetrics["accuracy"] > 0.8, $"clean accuracy {run.FinalMetrics["accuracy"]:P1}");

        var (test, tf, name) = recipe.TestSet(Preset.Quick, options);
        var subset = RobustnessData.From(test, tf, name, count: 500, seed: 0);
        long correct = 0;
        var advNorm = new PerturbationNorms();
        for (int s = 0; s < subset.Count; s += 100)
        {
            var x = subset.Images.Narrow(0, s, 100);
            var y = subset.Labels.Narrow(0, s, 100);
            var adv = AppendixAPgd.Attack(net).Perturb(x, y);   // the kit's PGD with App. A's settings
            advNorm.Add(x, adv);
            using (Torch.NoGrad()) correct += RobustnessEvaluator.Correct(net.Forward(adv), y);
        }
        double acc = (double)correct / subset.Count;
        output.WriteLine($"PGD-{AppendixAPgd.Iterations} (eps 8/255, step 2/255) on 500 test images: adversarial accuracy {acc:P1}, max Linf {advNorm.MaxLInf * 255:F2}/255");
        Assert.True(advNorm.MaxLInf <= 8f / 255f + 1e-6);
        Assert.True(acc < 0.10, $"adversarial accuracy {acc:P1} is not below 10 %");
    }
}
