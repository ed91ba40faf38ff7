using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.Chapter5;

/// <summary>Chapter 5 two-stage QAT (Alg. 5): clamp, stage hand-over, quantized levels, ΔP, recipe smoke runs and paper values.</summary>
public class DlQatTests
{
    private static QatNetwork SmallNet(QatLoss loss, QatTraining s, long seed = 1) =>
        new(new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(seed)), loss, s, 10, new Generator(seed + 1));

    private static DataLoader Loader(int count, int batch)
    {
        var sample = Samples.FashionMnist().Subset(Enumerable.Range(0, count).ToArray(), "fm");
        return new DataLoader(sample, batch, shuffle: true, 0, Transforms.ToFloat() /* §5.4.1: /255, no standardization */, dropLast: true);
    }

    private static Module Find(Module root, string path) => root.NamedModules().Single(nm => nm.Name == path).Module;

    [Fact]
    public void TrainingI_ForwardSeesSymmetricClamp_OfTheFloatWeights()
    {
        var s = new QatTraining { Loss = QatLoss.CrossEntropy };
        var net = SmallNet(QatLoss.CrossEntropy, s);
        var conv = (Conv2d)Find(net.Model, "layer2.0.conv1");
        TwoStageQat.ApplyClamp(net, s);
        var wrapped = Assert.IsType<SharedQuantConv2d>(Find(net.Model, "layer2.0.conv1"));
        Assert.Same(conv.Weight, wrapped.Weight); // the parameter is the float one
        var w = conv.Weight.ToArray();
        float max = w.Max(v => MathF.Abs(MathF.Tanh(v)));
        var expected = w.Select(v => MathF.Tanh(v) / max).ToArray();
        var seen = Assert.IsType<SatWeightClamp>(wrapped.WeightQuant).Quantize(conv.Weight).ToArray();
        for (int i = 0; i < w.Length; i++) Assert.Equal(expected[i], seen[i], 1e-5);
        // The layer's forward is conv(x, clamp(W)).
        var x = Tensor.Randn([2, 16, 8, 8], new Generator(3));
        var manual = Functional.Conv2d(x, Tensor.FromArray(expected, conv.Weight.Shape.ToArray()), null, conv.Stride, conv.Padding, conv.Dilation, conv.Groups).ToArray();
        var got = wrapped.Forward(x).ToArray();
        for (int i = 0; i < got.Length; i++) Assert.Equal(manual[i], got[i], 1e-3);
        // The literal Eq. 5.2 option gives [0, 1].
        var lit = new SatWeightClamp(WeightClampMode.Literal).Quantize(conv.Weight).ToArray();
        Assert.All(lit, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void TrainingII_StartsFromTrainingIWeights_WithTwoBitMiddleAndEightBitFirstLast()
    {
        var s = new QatTraining { Loss = QatLoss.CrossEntropy, Steps = 2, BatchSize = 16, LogEvery = 1 };
        var net = SmallNet(QatLoss.CrossEntropy, s);
        using var train = Loader(64, 16);
        TwoStageQat.ApplyClamp(net, s);
        TwoStageQat.TrainStage(net, train, s, 1);
        var afterI = net.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        TwoStageQat.RemoveClamp(net);
        var sites = TwoStageQat.Quantize(net, s);
        var beforeII = net.Model.StateDict();
        foreach (var (k, v) in afterI) Assert.Equal(v, beforeII[k].ToArray());

        Assert.Equal(8, sites.Single(q => q.Path == "conv1").WeightBits);
        Assert.Equal(8, sites.Single(q => q.Path == "linear").WeightBits);
        var mid = Assert.IsType<SharedQuantConv2d>(Find(net.Model, "layer2.0.conv1"));
        Assert.Equal(2, mid.WeightQuant!.BitWidth);
        var levels = mid.WeightQuant.Quantize(mid.Weight).ToArray().Distinct().OrderBy(v => v).ToArray();
        Assert.All(levels, v => Assert.Contains(new[] { -1f, -1f / 3, 1f / 3, 1f }, l => MathF.Abs(l - v) < 1e-5f));
        var first = Assert.IsType<SharedQuantConv2d>(Find(net.Model, "conv1"));
        Assert.Equal(8, first.WeightQuant!.BitWidth);
        foreach (var v in first.WeightQuant.Quantize(first.Weight).ToArray())
            Assert.True(MathF.Abs((v + 1f) * 255f / 2f - MathF.Round((v + 1f) * 255f / 2f)) < 1e-3f);
        // The last layer (no BN after it) is 8-bit with Scaled-Adjust: levels (2k/255 − 1)/sqrt(n_out Var).
        var last = Assert.IsType<SharedQuantLinear>(Find(net.Model, "linear"));
        var dq = Assert.IsType<DoReFaWeightQuantizer>(last.WeightQuant);
        Assert.True(dq.ScaledAdjust);
        Assert.Equal(8, dq.BitWidth);

        TwoStageQat.TrainStage(net, train, s, 2);
        Assert.NotEqual(afterI["layer2.0.conv1.weight"], net.Model.StateDict()["layer2.0.conv1.weight"].ToArray());
    }

    [Fact]
    public void DeltaP_IsFloatMinusQuant_InPercentagePoints()
    {
        Assert.Equal(3.5, new QatResult(0.92, 0.885, 0, 0).DeltaP, 9);
        Assert.Equal(-1.0, QatResult.DeltaPoints(0.50, 0.51), 9);
    }

    [Theory]
    [InlineData(QatLoss.CrossEntropy)]
    [InlineData(QatLoss.Ams)]
    [InlineData(QatLoss.Gml)]
    public void SmokeRun_EachLoss_TrainsEndToEnd_WithFiniteAccuracies(QatLoss loss)
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = new DlQatRecipe(loss, 2, 2);
        var options = new RecipeOptions { Progress = SilentProgressSink.Instance };
        var r = recipe.Run(store, Preset.Smoke, options);
        Assert.False(r.FromCache);
        foreach (var k in new[] { "float_accuracy", "quant_accuracy", "delta_p" }) Assert.True(double.IsFinite(r.FinalMetrics[k]), k);
        Assert.InRange(r.FinalMetrics["quant_accuracy"], 0, 1);
        Assert.Equal(100 * (r.FinalMetrics["float_accuracy"] - r.FinalMetrics["quant_accuracy"]), r.FinalMetrics["delta_p"], 9);
        var cfg = recipe.Config(Preset.Smoke, options);
        Assert.Equal(loss.ToString(), cfg["loss"]);
        Assert.Equal(2, cfg["weight_bits"]);
        Assert.True(recipe.Run(store, Preset.Smoke, options).FromCache);
    }

    [Fact]
    public void AmsAndGmlHeads_GiveTheirClassParametersToTheOptimizer()
    {
        var s = new QatTraining();
        var ams = SmallNet(QatLoss.Ams, s);
        Assert.Contains(ams.NamedParameters(), p => p.Name == "head.ams.weight");
        var gml = SmallNet(QatLoss.Gml, s);
        Assert.Contains(gml.NamedParameters(), p => p.Name == "head.gml.means");
    }

    [Fact]
    public void PaperPreset_MatchesSection541()
    {
        Assert.IsType<DlQatRecipe>(Recipes.Get("dlqat"));
        var o = new RecipeOptions();
        foreach (var (loss, lr) in new[] { (QatLoss.CrossEntropy, 0.01), (QatLoss.Ams, 0.01), (QatLoss.Gml, 0.2) })
        {
            var t = new DlQatRecipe(loss, 2, 2).Training(Preset.Paper, o);
            Assert.Equal(lr, t.Lr);                  // §5.4.1
            Assert.Equal(768, t.BatchSize);          // §5.4.1 CIFAR
            Assert.Equal(150, t.Epochs);             // §5.4.1
            Assert.Null(t.Steps);
            Assert.True(t.Cosine);                   // [48]'s schedule NS: cosine
            Assert.Equal(30f, t.AmsScale);           // §5.4.1 after [114]
            Assert.Equal(0.35f, t.AmsMargin);        // Table 5.2
            Assert.Equal(0.7f, t.GmlAlpha);          // Table 5.1
        }
        var net = DlQatRecipe.Network(Preset.Paper, new DlQatRecipe(QatLoss.Ams).Training(Preset.Paper, o), 0);
        Assert.IsType<ResNet18Cifar>(net.Model);
        Assert.DoesNotContain(net.Model.NamedParameters(), p => p.Name == "fc.bias"); // AMS: bias-free (§5.4.1)
    }
}
