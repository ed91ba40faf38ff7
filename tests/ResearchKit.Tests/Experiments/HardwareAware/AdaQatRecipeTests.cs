using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Experiments.HardwareAware;
using ResearchKit.Quantization;
using ResearchKit.Quantization.AdaQat;
using ResearchKit.Runs;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.HardwareAware;

/// <summary>The AdaQAT recipe: settings shared with chapter 5's fixed-precision runs, configs, smoke runs, and exact resumption.</summary>
public class AdaQatRecipeTests
{
    private static readonly RecipeOptions Silent = new() { Progress = SilentProgressSink.Instance };

    [Fact]
    public void IsRegistered_AndQuickSharesTheFixedPrecisionPipeline()
    {
        Assert.IsType<AdaQatRecipe>(Recipes.Get("adaqat"));
        var fixedRun = new DlQatRecipe(QatLoss.CrossEntropy, 4, 4).Training(Preset.Quick, Silent);
        var t = new AdaQatRecipe().Training(Preset.Quick, Silent);
        // Same data, batch, lr, optimizer, schedule and Scaled-Adjust as the W4A4 comparison run, and Training II's length.
        Assert.Equal((fixedRun.Dataset, fixedRun.BatchSize, fixedRun.Lr, fixedRun.Momentum, fixedRun.WeightDecay, fixedRun.Cosine, fixedRun.ScaledAdjustLast),
            (t.Qat.Dataset, t.Qat.BatchSize, t.Qat.Lr, t.Qat.Momentum, t.Qat.WeightDecay, t.Qat.Cosine, t.Qat.ScaledAdjustLast));
        Assert.Equal(fixedRun.Steps, t.Steps);
        Assert.Equal(QatLoss.CrossEntropy, t.Qat.Loss);
        Assert.Equal(fixedRun.Steps, new AdaQatRecipe(AdaQatScenario.FromScratch).Training(Preset.Quick, Silent).Steps);
        // Per layer trains as long too, so its accuracy compares with the fixed runs', and the config says where the length comes from.
        var perLayer = new AdaQatRecipe(granularity: BitWidthGranularity.PerLayer);
        Assert.Equal(fixedRun.Steps, perLayer.Training(Preset.Quick, Silent).Steps);
        var steps = (Dictionary<string, object?>)((Dictionary<string, object?>)perLayer.Config(Preset.Quick, Silent)["adaqat"]!)["steps"]!;
        Assert.Contains("Training II's length", (string)steps["source"]!, StringComparison.Ordinal);
        // The fixed first/last precision of §5.4.1 and the SAT residual rule, as Training II.
        Assert.Equal((8, true), (t.FirstLastBits, t.QuantizeResidualAdds));
    }

    [Fact]
    public void DefaultAdaQatValues_AreTheLibrarysDefaults_FromTheAuthorsCode()
    {
        var o = new AdaQatRecipe().Training(Preset.Quick, Silent).Options;
        var lib = new AdaQatOptions();
        Assert.Equal(lib, o);
    }

    [Fact]
    public void Config_IsStable_SaysEverySource_AndSeparatesSettings()
    {
        var r = new AdaQatRecipe();
        var a = RunConfig.From(r.Config(Preset.Quick, Silent));
        Assert.Equal(a.Hash, RunConfig.From(new AdaQatRecipe().Config(Preset.Quick, Silent)).Hash);
        var c = r.Config(Preset.Quick, Silent);
        Assert.Same(AdaQatRecipe.NotStated, c["not_stated"]);
        var ada = Assert.IsType<Dictionary<string, object?>>(c["adaqat"]);
        foreach (var (key, value) in ada)
        {
            var entry = Assert.IsType<Dictionary<string, object?>>(value);
            Assert.True(entry.ContainsKey("value"), key);
            Assert.False(string.IsNullOrWhiteSpace(entry["source"] as string), key);
        }
        Assert.False(c.ContainsKey("stage"));
        var others = new IRecipe[]
        {
            new AdaQatRecipe(AdaQatScenario.FromScratch), new AdaQatRecipe(granularity: BitWidthGranularity.PerLayer),
            new AdaQatRecipe(overrides: new AdaQatOverrides { Lambda = 0.01 }), new AdaQatRecipe(overrides: new AdaQatOverrides { InitialWeightBits = 5 }),
        };
        var hashes = others.Select(o => RunConfig.From(o.Config(Preset.Quick, Silent)).Hash).Append(a.Hash).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
        Assert.NotEqual(a.Hash, RunConfig.From(r.Config(Preset.Quick, Silent with { Seed = 1 })).Hash);
        // Paper: chapter 5's paper pipeline, one stage's 150 epochs.
        var paper = r.Config(Preset.Paper, Silent);
        Assert.Equal((null, 150), ((long?)paper["steps"], (int?)paper["epochs"]));
        Assert.StartsWith("resnet18-cifar", (string)paper["model"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void BadSettings_AreRefusedWithTheirName()
    {
        Assert.Contains("Lambda", Assert.Throws<ArgumentException>(() => new AdaQatRecipe(overrides: new AdaQatOverrides { Lambda = -1 })).Message, StringComparison.Ordinal);
        Assert.Contains("MinBits", Assert.Throws<ArgumentException>(() => new AdaQatRecipe(overrides: new AdaQatOverrides { MinBits = 1 })).Message, StringComparison.Ordinal);
        Assert.Contains("Steps", Assert.Throws<ArgumentException>(() => new AdaQatRecipe(overrides: new AdaQatOverrides { Steps = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("scenario", Assert.Throws<ArgumentException>(() => new AdaQatRecipe((AdaQatScenario)7)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SmokeFineTune_StartsFromTrainingI_LogsTrajectories_AndTrainedReloadsTheSameNetwork()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = new AdaQatRecipe();
        var r = recipe.Run(store, Preset.Smoke, Silent);
        Assert.False(r.FromCache);
        // The shared CE Training I ran first, as the fixed-precision runs' own run, and its accuracy is reported.
        var trainingI = new DlQatRecipe(QatLoss.CrossEntropy, 32, 32).Run(store, Preset.Smoke, Silent);
        Assert.True(trainingI.FromCache);
        Assert.Equal(trainingI.FinalMetrics["float_accuracy"], r.FinalMetrics["float_accuracy"]);
        Assert.InRange(r.FinalMetrics["accuracy"], 0, 1);
        long steps = recipe.Training(Preset.Smoke, Silent).Steps!.Value;
        // Per network: one width per role, so each step logs both, and every mean equals that width.
        var series = r.Metrics.Where(m => m.Name == "adaqat/weight_bits_int").ToList();
        Assert.Equal(Enumerable.Range(1, (int)steps).Select(i => (long)i), series.Select(m => m.Step));
        Assert.Equal(r.FinalMetrics["avg_wbits_int"], series[^1].Value);
        Assert.Equal(r.FinalMetrics["avg_wbits_int"], r.FinalMetrics["avg_wbits_int_param_weighted"]);
        Assert.Equal(r.FinalMetrics["avg_abits_int"], r.FinalMetrics["avg_abits_int_element_weighted"]);
        Assert.Contains(r.Metrics, m => m.Name == "bitwidth/weights");
        Assert.True(r.FinalMetrics["extra_forward_passes"] is > 0 and <= 2 * 4);

        var trained = recipe.Trained(store, Preset.Smoke, Silent, out var run);
        Assert.True(run.FromCache);
        // The per-site metrics are the reloaded widths, and the first/last layers are not learned sites.
        var sites = trained.BitWidths.Sites;
        Assert.DoesNotContain(sites, s => s.Path is "conv1" or "linear");
        foreach (var s in sites) Assert.Equal(r.FinalMetrics[(s.IsWeight ? "wbits/" : "abits/") + s.Path], s.BitWidth.Bits);
        // The reloaded network (weights, PACT α, widths) gives exactly the recorded accuracy.
        Assert.Equal(r.FinalMetrics["accuracy"], TwoStageQat.Evaluate(trained.Network, Pipeline.TestLoader(Preset.Smoke, Silent)));
    }

    private static DlQatRecipe Pipeline => AdaQatRecipe.Pipeline;

    [Fact]
    public void PerLayerBitSummary_WeighsSitesByTheirSize()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        // Widths that move fast, from scratch, so per-layer widths differ.
        var recipe = new AdaQatRecipe(AdaQatScenario.FromScratch, BitWidthGranularity.PerLayer, new AdaQatOverrides { BitLearningRate = 20, Steps = 3 });
        var trained = recipe.Trained(store, Preset.Smoke, Silent, out var run);
        var x = Pipeline.TestLoader(Preset.Smoke, Silent).Epoch(0).First().Images;
        var s = AdaQatBitSummary.Of(trained.BitWidths, trained.Network.Model, x);
        var weights = s.Sites.Where(e => e.IsWeight).ToList();
        var modules = trained.Network.Model.NamedModules().ToDictionary(m => m.Name, m => m.Module);
        foreach (var w in weights) Assert.Equal(((SharedQuantConv2d)modules[w.Path]).Weight.Numel, w.Size);
        Assert.Equal(weights.Sum(w => (double)w.Bits * w.Size) / weights.Sum(w => w.Size), s.WeightBitsParameterWeighted, 12);
        Assert.Equal(weights.Average(w => w.Bits), run.FinalMetrics["avg_wbits_int"], 12);
        Assert.Equal(s.ActivationBitsElementWeighted, run.FinalMetrics["avg_abits_int_element_weighted"], 12);
        Assert.All(s.Sites.Where(e => !e.IsWeight), a => Assert.True(a.Size > 0));
    }

    private sealed class InterruptAfter(long step) : ITrainerCallback
    {
        public void OnStepEnd(Trainer trainer, in StepInfo info)
        {
            if (info.Step == step) throw new InvalidOperationException("interrupted by the test");
        }
    }

    [Fact]
    public void InterruptedRun_ResumesToTheSameWidthsAndMetrics()
    {
        // Per layer with a large bit lr: the widths move (and rise) at every step, so their state matters.
        var recipe = new AdaQatRecipe(granularity: BitWidthGranularity.PerLayer, overrides: new AdaQatOverrides { BitLearningRate = 5, Lambda = 0, Steps = 6 });
        var options = Silent with { CheckpointEvery = 2 };
        using var cleanDir = new TempRunsDir();
        using var clean = SqliteRunStore.Open(cleanDir.Path);
        var reference = recipe.Run(clean, Preset.Smoke, options);

        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        Assert.Throws<InvalidOperationException>(() => recipe.Run(store, Preset.Smoke, options, [new InterruptAfter(5)]));
        var resumed = recipe.Run(store, Preset.Smoke, options);
        Assert.True(resumed.Resumed);
        Assert.Equal(reference.FinalMetrics.OrderBy(e => e.Key), resumed.FinalMetrics.OrderBy(e => e.Key));
        static List<MetricPoint> Widths(RunResult r) => r.Metrics.Where(m => m.Name.StartsWith("bitwidth/", StringComparison.Ordinal) || m.Name.StartsWith("adaqat/", StringComparison.Ordinal))
            .OrderBy(m => m.Step).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(Widths(reference), Widths(resumed));
        // The widths moved after the checkpoint the run resumed from (step 4), so the test covers restored state.
        var at4 = Widths(reference).Where(m => m.Step == 4 && m.Name.StartsWith("bitwidth/", StringComparison.Ordinal)).Select(m => m.Value);
        var at6 = Widths(reference).Where(m => m.Step == 6 && m.Name.StartsWith("bitwidth/", StringComparison.Ordinal)).Select(m => m.Value);
        Assert.NotEqual(at4, at6);
    }
}
