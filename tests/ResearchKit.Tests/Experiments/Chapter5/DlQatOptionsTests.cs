using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Quantization;
using ResearchKit.Runs;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.Chapter5;

/// <summary>The DL-QAT recipe's options (α, m, lr, GML init, method, preprocessing) and its shared Training I (Alg. 5).</summary>
public class DlQatOptionsTests
{
    private sealed class StartRecorder : IProgressSink
    {
        public readonly List<string> Started = new();
        public void Start(string description, long totalSteps, long startStep) { lock (Started) Started.Add(description); }
        public void Step(in ProgressUpdate update) { }
        public void Evaluated(long step, IReadOnlyDictionary<string, double> metrics) { }
        public void Message(string text) { }
        public void Finish(long step) { }
    }

    private static readonly RecipeOptions Opts = new() { Progress = SilentProgressSink.Instance };

    private static Module Find(Module root, string path) => root.NamedModules().Single(nm => nm.Name == path).Module;

    [Fact]
    public void MarginsAndGmlInit_ReachTheHead()
    {
        var gml = new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { GmlAlpha = 0.3f, GmlInitStd = 0.072f });
        var net = DlQatRecipe.Network(Preset.Smoke, gml.Training(Preset.Smoke, Opts), 0);
        var head = Assert.IsType<GmlHead>(net.Head);
        Assert.Equal(0.3f, head.Gml.Alpha);
        Assert.Equal(0.072f, head.Gml.InitStd);
        var means = head.Gml.Means.ToArray();
        double std = Math.Sqrt(means.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.04, 0.11); // drawn with the small std, not N(0, 1)

        var ams = new DlQatRecipe(QatLoss.Ams, 2, 2, new DlQatOptions { AmsMargin = 0.1f });
        var amsHead = Assert.IsType<AmsHead>(DlQatRecipe.Network(Preset.Smoke, ams.Training(Preset.Smoke, Opts), 0).Head);
        Assert.Equal(0.1f, amsHead.Ams.Margin);
        Assert.Equal(30f, amsHead.Ams.Scale);
    }

    [Fact]
    public void LearningRate_QuickIs001ForEveryLoss_PaperIsSection541_OverrideWins()
    {
        foreach (var loss in Enum.GetValues<QatLoss>())
        {
            Assert.Equal(QatTraining.QuickLr, new DlQatRecipe(loss).Training(Preset.Quick, Opts).Lr);
            Assert.Equal(0.01, new DlQatRecipe(loss).Training(Preset.Smoke, Opts).Lr);
            Assert.Equal(QatTraining.PaperLr(loss), new DlQatRecipe(loss).Training(Preset.Paper, Opts).Lr);
            Assert.Equal(0.2, new DlQatRecipe(loss, 2, 2, new DlQatOptions { Lr = 0.2 }).Training(Preset.Quick, Opts).Lr);
        }
    }

    [Theory]
    [InlineData(QatMethod.Sat)]
    [InlineData(QatMethod.Lsq)]
    [InlineData(QatMethod.Pact)]
    public void Method_ChoosesTheQuantizersAndTheResidualBits(QatMethod method)
    {
        var recipe = new DlQatRecipe(QatLoss.Gml, method == QatMethod.Pact ? 1 : 2, 2, new DlQatOptions { Method = method });
        var t = recipe.Training(Preset.Smoke, Opts);
        var net = DlQatRecipe.Network(Preset.Smoke, t, 0);
        var sites = TwoStageQat.Quantize(net, t);
        var conv = Assert.IsType<SharedQuantConv2d>(Find(net.Model, "layer2.0.conv1"));
        var relu2 = sites.Single(s => s.Path == "layer1.0.relu2");
        switch (method)
        {
            case QatMethod.Lsq:
                Assert.IsType<LsqQuantizer>(conv.WeightQuant);
                Assert.Equal(QuantSpec.Float, relu2.ActivationBits); // 32-bit residuals
                Assert.IsType<LsqQuantizer>(Assert.IsType<QuantReLU>(Find(net.Model, "layer1.0.relu1")).Quantizer);
                break;
            case QatMethod.Pact:
                Assert.IsType<DoReFaWeightQuantizer>(conv.WeightQuant);
                Assert.Equal(1, conv.WeightQuant!.BitWidth);         // binary weights
                Assert.Equal(QuantSpec.Float, relu2.ActivationBits);
                Assert.IsType<PactActivationQuantizer>(Assert.IsType<QuantReLU>(Find(net.Model, "layer1.0.relu1")).Quantizer);
                break;
            default:
                Assert.IsType<DoReFaWeightQuantizer>(conv.WeightQuant);
                Assert.Equal(2, relu2.ActivationBits);               // residuals at A bits (§5.4.2)
                Assert.IsType<PactActivationQuantizer>(Assert.IsType<QuantReLU>(Find(net.Model, "layer1.0.relu2")).Quantizer);
                break;
        }
        Assert.Equal(method.ToString(), recipe.Config(Preset.Smoke, Opts)["quant_method"]);
    }

    [Fact]
    public void Config_DiffersForEachOption_AndTrainingIConfigIgnoresBitsAndMethod()
    {
        string Hash(DlQatRecipe r) => RunConfig.From(r.Config(Preset.Quick, Opts)).Hash;
        string Hash1(DlQatRecipe r) => RunConfig.From(r.TrainingIConfig(Preset.Quick, Opts)).Hash;
        var baseline = new DlQatRecipe(QatLoss.Gml, 2, 2);
        var variants = new[]
        {
            new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { GmlAlpha = 0.3f }),
            new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { AmsMargin = 0.1f }),
            new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { Lr = 0.2 }),
            new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { GmlInitStd = 0.072f }),
            new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { Standardize = true }),
            new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { Dataset = "cifar100" }),
        };
        var hashes = variants.Select(Hash).Append(Hash(baseline)).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
        // Training I differs with each of these, too; but not with W, A or the method.
        var first = variants.Select(Hash1).Append(Hash1(baseline)).ToList();
        Assert.Equal(first.Count, first.Distinct().Count());
        var sameFloat = new[] { new DlQatRecipe(QatLoss.Gml, 1, 2), new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { Method = QatMethod.Lsq }),
            new DlQatRecipe(QatLoss.Gml, 1, 2, new DlQatOptions { Method = QatMethod.Pact }), new DlQatRecipe(QatLoss.Gml, 32, 32) };
        Assert.All(sameFloat, r => Assert.Equal(Hash1(baseline), Hash1(r)));
        Assert.Equal(4, sameFloat.Take(3).Select(Hash).Append(Hash(baseline)).Distinct().Count());
        // W = A = 32 is Training I itself.
        Assert.Equal(Hash1(baseline), Hash(new DlQatRecipe(QatLoss.Gml, 32, 32)));
        // The rescale range only shapes the paper preset's augmentation, and is recorded there.
        var rescaled = new DlQatRecipe(QatLoss.Gml, 2, 2, new DlQatOptions { RescaleRange = (0.8, 1.2) });
        Assert.NotEqual(RunConfig.From(baseline.Config(Preset.Paper, Opts)).Hash, RunConfig.From(rescaled.Config(Preset.Paper, Opts)).Hash);
        Assert.Contains("[0.8, 1.2]", (string)rescaled.Config(Preset.Paper, Opts)["augmentation"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("smoke")]
    [InlineData("quick")]
    public void Preprocessing_SmokeAndQuick_DivideBy255_NoStandardization_NoAugmentation(string presetName)
    {
        var p = Presets.Parse(presetName);
        var recipe = new DlQatRecipe(QatLoss.CrossEntropy, 2, 2);
        var t = recipe.Training(p, Opts);
        var (train, test) = DlQatRecipe.InputTransforms(p, t);
        Assert.Equal("Compose(ToFloat())", train.ToString());
        Assert.Equal("Compose(ToFloat())", test.ToString());
        var cfg = recipe.Config(p, Opts);
        Assert.Equal("none", cfg["augmentation"]);
        Assert.Contains("no standardization", (string)cfg["preprocessing"]!, StringComparison.Ordinal);

        // The values the network sees: the sample's bytes / 255, in [0, 1].
        var sample = Samples.FashionMnist().Subset(Enumerable.Range(0, 64).ToArray(), "fm");
        using var loader = new DataLoader(sample, 64, shuffle: false, 0, train);
        var x = loader.Epoch(0).First().Images.ToArray();
        Assert.True(x.Min() >= 0f && x.Max() <= 1f);
        Assert.True(x.Max() > 0.9f);                         // not standardized, not shrunk
        var raw = sample.Pixels.Take(64 * sample.ImageSize).Select(b => (float)b).ToArray();
        Assert.Equal(raw.Length, x.Length);
        for (int i = 0; i < x.Length; i++) Assert.Equal(raw[i] / 255f, x[i], 1e-6f);

        var std = new DlQatRecipe(QatLoss.CrossEntropy, 2, 2, new DlQatOptions { Standardize = true });
        Assert.Contains("Normalize", DlQatRecipe.InputTransforms(p, std.Training(p, Opts)).Test.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocessing_Paper_RescaleCropFlipThenDivideBy255()
    {
        var t = new DlQatRecipe(QatLoss.Gml).Training(Preset.Paper, Opts);
        var (train, test) = DlQatRecipe.InputTransforms(Preset.Paper, t);
        Assert.Equal("Compose(RandomRescale(minScale=0.9, maxScale=1.1), RandomCrop(size=(32, 32), padding=4, fill=0), RandomHorizontalFlip(p=0.5), ToFloat())", train.ToString());
        Assert.Equal("Compose(ToFloat())", test.ToString());
    }

    [Fact]
    public void TrainingI_IsSharedByTheBitSettingsOfOneLoss_AndLoadedBack()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recorder = new StartRecorder();
        var options = Opts with { Progress = recorder };
        var r22 = new DlQatRecipe(QatLoss.Gml, 2, 2).Run(store, Preset.Smoke, options);
        var r12 = new DlQatRecipe(QatLoss.Gml, 1, 2).Run(store, Preset.Smoke, options);
        var r32 = new DlQatRecipe(QatLoss.Gml, 32, 32).Run(store, Preset.Smoke, options);
        Assert.Single(recorder.Started, d => d.StartsWith("Training I (", StringComparison.Ordinal));
        Assert.Equal(2, recorder.Started.Count(d => d.StartsWith("Training II (", StringComparison.Ordinal)));
        Assert.True(r32.FromCache);
        Assert.Equal(r22.FinalMetrics["float_accuracy"], r12.FinalMetrics["float_accuracy"]);
        Assert.Equal(r22.FinalMetrics["float_accuracy"], r32.FinalMetrics["float_accuracy"]);

        // Another loss trains its own Training I.
        new DlQatRecipe(QatLoss.CrossEntropy, 2, 2).Run(store, Preset.Smoke, options);
        Assert.Equal(2, recorder.Started.Count(d => d.StartsWith("Training I (", StringComparison.Ordinal)));

        // The stored weights give back the recorded accuracies.
        var recipe = new DlQatRecipe(QatLoss.Gml, 2, 2);
        using var test = recipe.TestLoader(Preset.Smoke, options);
        Assert.Equal(r22.FinalMetrics["quant_accuracy"], TwoStageQat.Evaluate(recipe.Trained(store, Preset.Smoke, options), test));
        Assert.Equal(r32.FinalMetrics["float_accuracy"], TwoStageQat.Evaluate(new DlQatRecipe(QatLoss.Gml, 32, 32).Trained(store, Preset.Smoke, options), test));
        Assert.Equal(5, recorder.Started.Count); // GML: I + 2 × II; CE: I + II; nothing retrained by Trained
    }

    [Fact]
    public void TrainingII_LsqFromTheSharedWeights_RoundTripsItsCheckpoint()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = new DlQatRecipe(QatLoss.CrossEntropy, 2, 2, new DlQatOptions { Method = QatMethod.Lsq });
        var r = recipe.Run(store, Preset.Smoke, Opts);
        using var test = recipe.TestLoader(Preset.Smoke, Opts);
        Assert.Equal(r.FinalMetrics["quant_accuracy"], TwoStageQat.Evaluate(recipe.Trained(store, Preset.Smoke, Opts), test));
    }
}
