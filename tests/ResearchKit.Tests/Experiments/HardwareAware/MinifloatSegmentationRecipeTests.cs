using ResearchKit.Experiments;
using ResearchKit.Experiments.HardwareAware;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Minifloat;
using ResearchKit.Runs;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.HardwareAware;

/// <summary>Seed 003's minifloat-vs-integer U-Net recipe: configs, quantization layout, bad settings, smoke runs and resume.</summary>
public class MinifloatSegmentationRecipeTests
{
    private static readonly RecipeOptions Silent = new() { Progress = SilentProgressSink.Instance };

    /// <summary>Throws once the training described by <paramref name="match"/> reaches <paramref name="step"/> (a simulated kill).</summary>
    private sealed class KillAt(string match, long step) : IProgressSink
    {
        private string _current = "";
        public void Start(string description, long totalSteps, long startStep) => _current = description;
        public void Step(in ProgressUpdate update)
        {
            if (_current.Contains(match, StringComparison.Ordinal) && update.Step == step) throw new OperationCanceledException("killed");
        }
        public void Evaluated(long step, IReadOnlyDictionary<string, double> metrics) { }
        public void Message(string text) { }
        public void Finish(long step) { }
    }

    [Fact]
    public void Registered_AsMinifloatUnet_SixBitMinifloat()
    {
        var r = Assert.IsType<MinifloatSegmentationRecipe>(Recipes.Get("minifloat-unet"));
        Assert.Equal((NumberFormat.Minifloat, 6), (r.Format, r.Bits));
        Assert.Equal(MinifloatFormat.E3M2, r.Minifloat);
    }

    [Fact]
    public void ConfigHash_IsStable_FloatConfigIsShared_AndCellsDiffer()
    {
        var m6 = new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6);
        var i6 = new MinifloatSegmentationRecipe(NumberFormat.Integer, 6);
        var f = new MinifloatSegmentationRecipe(NumberFormat.Float, 32);
        Assert.Equal(RunConfig.From(m6.Config(Preset.Quick, Silent)).Hash, RunConfig.From(new MinifloatSegmentationRecipe().Config(Preset.Quick, Silent)).Hash);
        // Every cell fine-tunes the same float run: its config ignores the format, bits and quantizer settings.
        string floatHash = RunConfig.From(f.Config(Preset.Quick, Silent)).Hash;
        foreach (var r in new[] { m6, i6, new MinifloatSegmentationRecipe(NumberFormat.Integer, 4, new() { Integer = IntegerQuantizers.Lsq, FirstLast = FirstLastPrecision.EightBit }) })
            Assert.Equal(floatHash, RunConfig.From(r.FloatRecipe.Config(Preset.Quick, Silent)).Hash);
        var hashes = new[] { m6, i6, f, new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { Minifloat = MinifloatFormat.E2M3 }),
                new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { FirstLast = FirstLastPrecision.EightBit }) }
            .Select(r => RunConfig.From(r.Config(Preset.Quick, Silent)).Hash).ToArray();
        Assert.Equal(hashes.Length, hashes.Distinct().Count());
        // A setting that shapes the float training (the loss) gives another float run.
        Assert.NotEqual(floatHash, RunConfig.From(new MinifloatSegmentationRecipe(NumberFormat.Float, 32, new() { Loss = SegmentationLossKind.Bce }).Config(Preset.Quick, Silent)).Hash);
    }

    [Fact]
    public void Config_RecordsFormatBitsStandInAndWhatIsNotStated()
    {
        var c = new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6).Config(Preset.Quick, Silent);
        Assert.Equal("Minifloat", c["format"]);
        Assert.Equal(6, c["bits"]);
        Assert.Contains("E3M2", (string)c["quantizers"]!, StringComparison.Ordinal);
        Assert.Contains("Airbus", (string)c["data_task"]!, StringComparison.Ordinal);
        Assert.Contains("constant width", (string)c["model"]!, StringComparison.Ordinal);
        Assert.Same(MinifloatSegmentationRecipe.NotStated, c["not_stated"]);
        var i = new MinifloatSegmentationRecipe(NumberFormat.Integer, 6).Config(Preset.Quick, Silent);
        Assert.Contains("DoReFa", (string)i["quantizers"]!, StringComparison.Ordinal);
        Assert.Contains("PACT", (string)i["quantizers"]!, StringComparison.Ordinal);
        Assert.False(new MinifloatSegmentationRecipe(NumberFormat.Float, 32).Config(Preset.Quick, Silent).ContainsKey("bits"));
    }

    [Theory]
    [InlineData(4, 2, 1)]
    [InlineData(5, 2, 2)]
    [InlineData(6, 3, 2)]
    [InlineData(7, 3, 3)]
    [InlineData(8, 4, 3)]
    public void DefaultSplit_HasTheWidth_AndTheStatedExponentBits(int bits, int e, int m)
    {
        var f = MinifloatSplits.Default(bits);
        Assert.Equal((bits, e, m), (f.BitWidth, f.ExponentBits, f.MantissaBits));
    }

    [Fact]
    public void DefaultSplits_AreTheOcpFormatsWhereOneExists()
    {
        // OCP MX v1.0 FP4 E2M1: bias 1, max 6, min subnormal 0.5; FP6 E3M2: max 28; OFP8 E4M3: max 448.
        Assert.Equal((1, 6f, 0.5f), (MinifloatSplits.E2M1.Bias, MinifloatSplits.E2M1.MaxFinite, MinifloatSplits.E2M1.MinSubnormal));
        Assert.Equal(28f, MinifloatSplits.Default(6).MaxFinite);
        Assert.Equal(448f, MinifloatSplits.Default(8).MaxFinite);
        Assert.Throws<ArgumentException>(() => MinifloatSplits.Default(3));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void DefaultUnsignedSplit_IsE3MbMinus3_Bias3_StoredInBBits(int bits)
    {
        var f = MinifloatSplits.DefaultUnsigned(bits);
        Assert.Equal((bits + 1, 3, bits - 3, 3), (f.BitWidth, f.ExponentBits, f.MantissaBits, f.Bias));
        var q = new MinifloatQuantizer(f, unsigned: true);
        Assert.Equal(bits, q.BitWidth);
        Assert.Equal(1 << bits, q.Grid().Shared.Length);
        Assert.Throws<ArgumentException>(() => MinifloatSplits.DefaultUnsigned(3));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Spec_MinifloatActivations_AreUnsignedByDefault_AtTheRunsBits(bool unsigned)
    {
        var t = new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { UnsignedActivations = unsigned }).Training(Preset.Smoke, Silent);
        var net = MinifloatSegmentationRecipe.Build(t, 0);
        ModelQuantizer.Quantize(net, MinifloatSegmentationRecipe.Spec(t));
        var acts = net.Modules().OfType<QuantReLU>().Select(m => Assert.IsType<MinifloatQuantizer>(m.Quantizer)).ToList();
        Assert.Equal(10, acts.Count);
        Assert.All(acts, q => Assert.Equal((unsigned, 6), (q.Unsigned, q.BitWidth)));
        Assert.All(acts, q => Assert.Equal(unsigned ? MinifloatSplits.DefaultUnsigned(6) : MinifloatFormat.E3M2, q.Format));
        var c = new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { UnsignedActivations = unsigned }).Config(Preset.Quick, Silent);
        Assert.Equal(unsigned, ((string)c["quantizers"]!).Contains("unsigned E3M3", StringComparison.Ordinal));
    }

    [Fact]
    public void ClipCalibration_SetsEveryPactAlphaToItsSitesPercentile()
    {
        var t = new MinifloatSegmentationRecipe(NumberFormat.Integer, 6).Training(Preset.Smoke, Silent);
        var net = MinifloatSegmentationRecipe.Build(t, 0);
        var x = Tensors.Tensor.Rand([4, 1, 32, 32], new Tensors.Generator(5));
        var clips = ActivationClipCalibration.Percentiles(net, x, 99.9);
        Assert.Equal(10, clips.Count);
        Assert.True(net.Training);   // mode restored
        ModelQuantizer.Quantize(net, MinifloatSegmentationRecipe.Spec(t));
        Assert.Equal(10, ActivationClipCalibration.InitializePact(net, clips));
        foreach (var (path, m) in net.NamedModules())
            if (m is QuantReLU { Quantizer: PactActivationQuantizer p }) Assert.Equal(clips[path], p.Alpha.Item());
        Assert.Throws<ArgumentException>(() => ActivationClipCalibration.Percentiles(net, x, 0));
    }

    [Fact]
    public void Percentile_Property_IsTheSmallestValueWithAtLeastPOfTheDataAtOrBelowIt()
    {
        var g = new Tensors.Generator(9);
        foreach (double p in new[] { 50.0, 90.0, 99.0, 99.9, 100.0 })
            for (int trial = 0; trial < 10; trial++)
            {
                var v = Tensors.Tensor.Randn([1 + trial * 37], g).Relu().ToArray();
                float? got = ActivationClipCalibration.Of((float[])v.Clone(), p);
                if (v.All(a => a == 0)) { Assert.Null(got); continue; }
                float q = v.Where(a => v.Count(b => b <= a) >= p / 100 * v.Length).Min();
                Assert.Equal(q > 0 ? q : v.Max(), got);
            }
    }

    [Fact]
    public void QatSeed_AndTask_EnterTheRightConfigs()
    {
        var s0 = new MinifloatSegmentationRecipe(NumberFormat.Integer, 6);
        var s1 = new MinifloatSegmentationRecipe(NumberFormat.Integer, 6, new() { QatSeed = 1 });
        Assert.Equal(1L, s1.Config(Preset.Quick, Silent)["qat_seed"]);
        Assert.Equal(0L, s0.Config(Preset.Quick, Silent)["qat_seed"]);   // default: the run options' seed
        Assert.NotEqual(RunConfig.From(s0.Config(Preset.Quick, Silent)).Hash, RunConfig.From(s1.Config(Preset.Quick, Silent)).Hash);
        Assert.Equal(RunConfig.From(s0.FloatRecipe.Config(Preset.Quick, Silent)).Hash, RunConfig.From(s1.FloatRecipe.Config(Preset.Quick, Silent)).Hash);
        var plain = new MinifloatSegmentationRecipe(NumberFormat.Float, 32, new() { HardTask = false });
        Assert.NotEqual(RunConfig.From(plain.Config(Preset.Quick, Silent)).Hash, RunConfig.From(s0.FloatRecipe.Config(Preset.Quick, Silent)).Hash);
        Assert.Contains("fragments", (string)s0.Config(Preset.Quick, Silent)["data_task"]!, StringComparison.Ordinal);
        Assert.Contains("percentile", (string)s0.Config(Preset.Quick, Silent)["quantizers"]!, StringComparison.Ordinal);
        Assert.Contains("initialized at 10", (string)new MinifloatSegmentationRecipe(NumberFormat.Integer, 6, new() { CalibrateClip = false }).Config(Preset.Quick, Silent)["quantizers"]!, StringComparison.Ordinal);
        Assert.Equal(3, MinifloatSegmentationRecipe.QuickSeeds.Distinct().Count());
    }

    [Theory]
    [InlineData(NumberFormat.Minifloat, 4)]
    [InlineData(NumberFormat.Minifloat, 6)]
    [InlineData(NumberFormat.Integer, 4)]
    [InlineData(NumberFormat.Integer, 8)]
    public void Spec_SameAsBody_QuantizesEveryConvAndReluAtB_ButNotTheLogits(NumberFormat format, int bits)
    {
        var r = new MinifloatSegmentationRecipe(format, bits);
        var t = r.Training(Preset.Smoke, Silent);
        var net = MinifloatSegmentationRecipe.Build(t, 0);
        var sites = ModelQuantizer.Quantize(net, MinifloatSegmentationRecipe.Spec(t));
        var convs = sites.Where(s => s.Kind == QuantSiteKind.Conv).ToList();
        // depth 2: inc (2) + 2 downs (2 each) + 2 ups (2 each) + outc = 11 convs; one ReLU after each 3x3 conv.
        Assert.Equal(11, convs.Count);
        Assert.All(convs, s => Assert.Equal(bits, s.WeightBits));
        Assert.Equal(10, sites.Count(s => s.Kind == QuantSiteKind.Activation && s.ActivationBits == bits));
        Assert.Equal("outc", convs[^1].Path);
        Assert.Null(convs[^1].ActivationBits);   // no quantizer on its output: the logits stay float
        var x = Tensors.Tensor.Rand([2, 1, 32, 32], new Tensors.Generator(3));
        var logits = net.Forward(x);
        Assert.Equal([2, 1, 32, 32], logits.Shape.ToArray());
    }

    [Fact]
    public void Spec_EightBitRule_PutsTheFirstConvAndTheLastReluAt8()
    {
        foreach (var format in new[] { NumberFormat.Minifloat, NumberFormat.Integer })
        {
            var t = new MinifloatSegmentationRecipe(format, 6, new() { FirstLast = FirstLastPrecision.EightBit }).Training(Preset.Smoke, Silent);
            var net = MinifloatSegmentationRecipe.Build(t, 0);
            var sites = ModelQuantizer.Quantize(net, MinifloatSegmentationRecipe.Spec(t));
            Assert.Equal(8, sites.First(s => s.Kind == QuantSiteKind.Conv).WeightBits);
            Assert.Equal(8, sites.Last(s => s.Kind == QuantSiteKind.Activation).ActivationBits);
            Assert.Equal(6, sites.Last(s => s.Kind == QuantSiteKind.Conv).WeightBits);
        }
        var mf = MinifloatSegmentationRecipe.Spec(new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { FirstLast = FirstLastPrecision.EightBit }).Training(Preset.Smoke, Silent));
        // Unsigned activations (default): the 8-bit last ReLU and the 6-bit body both use the unsigned E3M(b−3) rule.
        Assert.Equal(MinifloatSplits.DefaultUnsigned(8), Assert.IsType<MinifloatQuantizer>(mf.ActivationQuantizer(8)).Format);
        Assert.Equal(MinifloatSplits.DefaultUnsigned(6), Assert.IsType<MinifloatQuantizer>(mf.ActivationQuantizer(6)).Format);
        Assert.Equal(MinifloatFormat.E4M3, Assert.IsType<MinifloatQuantizer>(mf.WeightQuantizer(8, Tensors.Tensor.Ones(3))).Format);
        var signed = MinifloatSegmentationRecipe.Spec(new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { FirstLast = FirstLastPrecision.EightBit, UnsignedActivations = false }).Training(Preset.Smoke, Silent));
        Assert.Equal(MinifloatFormat.E4M3, Assert.IsType<MinifloatQuantizer>(signed.ActivationQuantizer(8)).Format);
        Assert.Equal(MinifloatFormat.E3M2, Assert.IsType<MinifloatQuantizer>(signed.ActivationQuantizer(6)).Format);
    }

    [Fact]
    public void BadSettings_AreRefusedWithTheFix()
    {
        Assert.Contains("bits: 32", Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe(NumberFormat.Float, 6)).Message, StringComparison.Ordinal);
        Assert.Contains("2 to 16", Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe(NumberFormat.Integer, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("4 to 8", Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 3)).Message, StringComparison.Ordinal);
        var e = Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { Minifloat = MinifloatFormat.E4M3 }));
        Assert.Contains("E4M3 has 8 bits", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe((NumberFormat)7, 6));
        Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe(NumberFormat.Integer, 6, new() { Layout = (UNetLayout)9 }));
        Assert.Contains("pass a 7-bit format", Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { ActivationMinifloat = MinifloatFormat.E3M2 })).Message, StringComparison.Ordinal);
        Assert.Contains("remove it", Assert.Throws<ArgumentException>(() => new MinifloatSegmentationRecipe(NumberFormat.Integer, 6, new() { ActivationMinifloat = MinifloatSplits.DefaultUnsigned(6) })).Message, StringComparison.Ordinal);
        // An explicit format of another width is fine when the bits say so.
        Assert.Equal(MinifloatFormat.E2M3, new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6, new() { Minifloat = MinifloatFormat.E2M3 }).Minifloat);
    }

    [Fact]
    public void SmokeMinifloat_TrainsTheFloatRunFirst_IsCached_AndTrainedReproducesItsMetrics()
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = new MinifloatSegmentationRecipe(NumberFormat.Minifloat, 6);
        var r = recipe.Run(store, Preset.Smoke, Silent);
        Assert.False(r.FromCache);
        foreach (var k in (string[])["pixel_accuracy", "iou", "dice"]) Assert.InRange(r.FinalMetrics[k], 0, 1);
        Assert.True(double.IsFinite(r.FinalMetrics["train_loss"]));
        Assert.True(recipe.FloatRecipe.Run(store, Preset.Smoke, Silent).FromCache);
        Assert.True(recipe.Run(store, Preset.Smoke, Silent).FromCache);
        var net = recipe.Trained(store, Preset.Smoke, Silent, out var run);
        Assert.True(run.FromCache);
        Assert.Contains(net.Modules(), m => m is QuantReLU);
        var t = recipe.Training(Preset.Smoke, Silent);
        var m = SegmentationMetrics.Evaluate(net, recipe.TestSet(Preset.Smoke, Silent).Batches(t.EvalBatchSize), MinifloatSegmentationRecipe.LossOf(t));
        Assert.Equal(r.FinalMetrics["pixel_accuracy"], m["pixel_accuracy"], 12);
        Assert.Equal(r.FinalMetrics["dice"], m["dice"], 12);
        // The integer cell of the same settings reuses the float run too: only one float run in the store; so does another QAT seed,
        // which fine-tunes the same float weights on another batch order.
        var i0 = new MinifloatSegmentationRecipe(NumberFormat.Integer, 6).Run(store, Preset.Smoke, Silent);
        var i1 = new MinifloatSegmentationRecipe(NumberFormat.Integer, 6, new() { QatSeed = 1 }).Run(store, Preset.Smoke, Silent);
        Assert.Equal(4, store.List().Count);
        Assert.NotEqual(i0.FinalMetrics["train_loss"], i1.FinalMetrics["train_loss"]);
    }

    [Fact]
    public void KilledQatRun_ResumesFromItsCheckpoint_AndMatchesAnUninterruptedRun()
    {
        var recipe = new MinifloatSegmentationRecipe(NumberFormat.Integer, 5);
        using var cleanDir = new TempRunsDir();
        using var clean = SqliteRunStore.Open(cleanDir.Path);
        var expected = recipe.Run(clean, Preset.Smoke, Silent).FinalMetrics;

        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var killing = Silent with { Progress = new KillAt("Integer", 3) };
        Assert.Throws<OperationCanceledException>(() => recipe.Run(store, Preset.Smoke, killing));
        var resumed = recipe.Run(store, Preset.Smoke, Silent);
        Assert.True(resumed.Resumed);
        Assert.Equal(expected["pixel_accuracy"], resumed.FinalMetrics["pixel_accuracy"], 12);
        Assert.Equal(expected["test_loss"], resumed.FinalMetrics["test_loss"], 12);
    }
}
