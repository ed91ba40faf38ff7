using ResearchKit.Data;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using Xunit.Abstractions;
using static ResearchKit.Tests.Quantization.Export.ExportTestModels;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Quantization.Export;

public class IntegerExportTests(ITestOutputHelper output)
{
    // Logits of the integer model and of the fake-quantized model agree to this absolute tolerance on every image where no
    // activation sits at a rounding tie (the difference is float32 rounding in the fake-quantized convolutions; measured
    // about 1e-6, see the tests' output).
    private const float LogitTolerance = 1e-4f;

    private static float[] Run(Module<Tensor, Tensor> model, Tensor x)
    {
        using (Torch.NoGrad()) return model.Forward(x).ToArray();
    }

    private static int[] Argmax(float[] logits, int classes) =>
        Enumerable.Range(0, logits.Length / classes).Select(i => Array.IndexOf(logits, logits.Skip(i * classes).Take(classes).Max(), i * classes) - i * classes).ToArray();

    // ───────────────────────────── single layers ─────────────────────────────

    [Theory]
    [InlineData("dorefa2")]
    [InlineData("dorefa1")]
    [InlineData("bwn")]
    [InlineData("bwn-per-channel")]
    [InlineData("twn")]
    public void QuantLinear_DecodesToTheFakeQuantizedWeightsBitForBit(string kind)
    {
        IQuantizer wq = kind switch
        {
            "dorefa2" => new DoReFaWeightQuantizer(2),
            "dorefa1" => new DoReFaWeightQuantizer(1),
            "bwn" => new BinaryQuantizer(),
            "bwn-per-channel" => new BinaryQuantizer(QuantGranularity.PerChannel),
            _ => new TernaryQuantizer(QuantGranularity.PerChannel),
        };
        var layer = new QuantLinear(37, 7, wq, generator: new Generator(2));
        var export = IntegerExport.Export(new Sequential(layer));
        var l = Assert.Single(export.Layers);
        float[] q;
        using (Torch.NoGrad()) q = wq.Quantize(layer.Weight).ToArray();
        var decoded = l.DecodeWeights();
        Assert.Equal(q.Select(BitConverter.SingleToInt32Bits), decoded.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(0, l.MaxDecodeError);
        int bits = kind == "dorefa2" || kind == "twn" ? 2 : 1; // binary weights (2 levels) pack at 1 bit
        Assert.Equal(bits, l.Bits);
        Assert.Equal((37 * 7 * bits + 7) / 8, l.PackedBytes);
        Assert.Equal(l.PackedBytes, export.PackedWeightBytes);
        Assert.Equal(4 * 7, export.FloatParameterBytes); // the float bias
        Assert.Equal(kind.EndsWith("per-channel") || kind == "twn" ? 7 : 1, l.First.Count);
        Assert.Null(l.InputGrid);
    }

    [Fact]
    public void ScaledAdjustLayers_Export_ForEveryDraw()
    {
        // The last layer of DL-QAT (Eq. 5.5) divides Q by sqrt(n_out·Var[Q]): one more rounding on each side of the
        // decode check than plain DoReFa. Many draws of weights and bit widths, as training produces them.
        double worst = 0;
        for (int seed = 0; seed < 60; seed++)
            foreach (int bits in new[] { 1, 2, 3, 8 })
            {
                var wq = new DoReFaWeightQuantizer(bits, scaledAdjust: true);
                var layer = new QuantLinear(64, 10, wq, generator: new Generator(seed));
                var l = Assert.Single(IntegerExport.Export(new Sequential(layer)).Layers);
                float[] q;
                using (Torch.NoGrad()) q = wq.Quantize(layer.Weight).ToArray();
                var decoded = l.DecodeWeights();
                for (int i = 0; i < q.Length; i++) Assert.True(Math.Abs(q[i] - decoded[i]) <= 1e-6f * Math.Abs(l.Step[0]) + 1e-6f, $"seed {seed}, {bits} bits, weight {i}");
                worst = Math.Max(worst, l.MaxDecodeError);
            }
        Assert.InRange(worst, 0, IntegerExport.MaxDecodeUnits);
    }

    [Theory]
    [InlineData("lsq4-per-channel", 4)]
    [InlineData("dorefa8", 8)]
    [InlineData("fixed-point", 7)] // signed Q1.5: 1 + 1 + 5 bits
    public void QuantLinear_OtherUniformGrids_DecodeWithinTheStatedError(string kind, int bits)
    {
        var layer = new QuantLinear(37, 7, kind switch
        {
            "lsq4-per-channel" => LsqQuantizer.ForWeights(4, QuantGranularity.PerChannel, channels: 7),
            "dorefa8" => new DoReFaWeightQuantizer(8),
            _ => new FixedPointQuantizer(1, 5),
        }, generator: new Generator(3));
        if (layer.WeightQuant is LsqQuantizer lsq) lsq.InitializeStep(layer.Weight);
        var l = Assert.Single(IntegerExport.Export(new Sequential(layer)).Layers);
        Assert.Equal(bits, l.Bits);
        float[] q;
        using (Torch.NoGrad()) q = layer.WeightQuant.Quantize(layer.Weight).ToArray();
        var decoded = l.DecodeWeights();
        int per = q.Length / 7;
        for (int i = 0; i < q.Length; i++)
        {
            int g = l.PerChannel ? i / per : 0;
            float top = MathF.Max(MathF.Abs(l.First[g]), MathF.Abs(l.First[g] + ((1 << bits) - 1) * l.Step[g]));
            Assert.True(MathF.Abs(q[i] - decoded[i]) <= IntegerExport.MaxDecodeUnits * (MathF.BitIncrement(top) - top), $"weight {i}: {q[i]:R} vs {decoded[i]:R}");
        }
        Assert.InRange(l.MaxDecodeError, 0, IntegerExport.MaxDecodeUnits);
        output.WriteLine($"{kind}: max decode error {l.MaxDecodeError:G3} units in the last place of the largest level");
    }

    [Fact]
    public void QuantLinear_IntegerForward_MatchesFakeQuantized_WithOwnInputQuantizer()
    {
        var layer = new QuantLinear(40, 6, new DoReFaWeightQuantizer(3), new PactActivationQuantizer(4, initialAlpha: 2f), generator: new Generator(5));
        var model = new Sequential(layer);
        var export = IntegerExport.Export(model);
        var grid = export.Layer("0").InputGrid;
        Assert.NotNull(grid);
        Assert.False(grid!.InputOnGrid);
        Assert.Equal(16, grid.Levels);
        var x = Tensor.Randn([50, 40], new Generator(6)) * 1.5f;
        var fake = Run(model, x);
        var integer = Run(new IntegerLinear(export.Layer("0")), x);
        QuantTestUtil.Close(fake, integer, LogitTolerance);
    }

    // ───────────────────────────── ResNet-8: integer vs fake-quantized ─────────────────────────────

    [Theory]
    [InlineData("W2A2")]
    [InlineData("BinaryA2")]
    public void ResNet8_IntegerInference_GivesTheFakeQuantizedPredictions(string which)
    {
        var spec = which == "W2A2" ? W2A2 : BinaryA2;
        var model = TrainedResNet8(spec);
        var export = IntegerExport.Export(model, FashionBatch(0, 4));

        // The first conv sees the normalized image and the classifier the average pool: float activations; every other
        // conv reads a PACT output and multiplies integer codes.
        foreach (var l in export.Layers)
            Assert.Equal(l.Name is not ("conv1" or "linear"), l.InputGrid is not null);
        Assert.Equal(8, export.Layer("conv1").Bits);
        Assert.Equal(8, export.Layer("linear").Bits);
        Assert.All(export.Layers.Where(l => l.Name is not ("conv1" or "linear")), l => Assert.Equal(which == "W2A2" ? 2 : 1, l.Bits));
        Assert.All(export.Layers.Where(l => l.InputGrid is not null), l => Assert.Equal(2, l.InputGrid!.Bits));

        var integerModel = IntegerResNet8(spec, export);
        Assert.Equal(7, integerModel.Modules().Count(m => m is IntegerConv2d));
        Assert.Single(integerModel.Modules().OfType<IntegerLinear>());

        const int n = 128;
        var x = FashionBatch(0, n);
        var fakeActs = RecordActivations(model);
        var intActs = RecordActivations(integerModel);
        var fake = Run(model, x);
        var integer = Run(integerModel, x);
        var pf = Argmax(fake, 10);
        var pi = Argmax(integer, 10);

        // Where an activation code differs, the fake-quantized model's float32 rounding put its pre-activation on the other
        // side of a rounding midpoint (the integer model computes the exact lattice value); find, per image, the first
        // quantized activation whose output differs and check every difference there is such a tie.
        var flipped = new HashSet<int>();
        int ties = 0;
        foreach (var (path, (fin, fout)) in fakeActs)
        {
            var iout = intActs[path].Output;
            var q = (PactActivationQuantizer)model.GetSubmodule<QuantReLU>(path).Quantizer;
            float step = q.Alpha.Item() / q.Steps;
            int per = fout.Length / n;
            var newlyFlipped = new HashSet<int>();
            for (int e = 0; e < fout.Length; e++)
            {
                if (fout[e] == iout[e] || flipped.Contains(e / per)) continue;
                double frac = fin[e] / step - Math.Floor(fin[e] / step);
                Assert.True(Math.Abs(frac - 0.5) < 1e-3,
                    $"{path}[{e}]: the integer model's activation {iout[e]} differs from the fake-quantized {fout[e]}, whose input {fin[e]:R} is not at a rounding tie (fraction {frac:G4} of a step)");
                ties++;
                newlyFlipped.Add(e / per);
            }
            flipped.UnionWith(newlyFlipped);
        }
        float maxDiff = 0, maxDiffAll = 0;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 10; c++)
            {
                float d = MathF.Abs(fake[i * 10 + c] - integer[i * 10 + c]);
                maxDiffAll = MathF.Max(maxDiffAll, d);
                if (!flipped.Contains(i)) maxDiff = MathF.Max(maxDiff, d);
            }
        int distinct = pf.Distinct().Count();
        float acc = pf.Zip(Samples.FashionMnist().Labels.Take(n)).Count(t => t.First == t.Second) / (float)n;
        output.WriteLine($"{which}: {n} images, {distinct} distinct predicted classes, fake-quant accuracy {acc:P1}; max |Δlogit| = {maxDiff:G3} " +
            $"on the {n - flipped.Count} images without a rounding tie, {maxDiffAll:G3} over all; {ties} tied activations in {flipped.Count} images");
        output.WriteLine(export.Describe());
        Assert.True(distinct >= 2, $"the test needs varied predictions, got {distinct} class(es)");
        Assert.Equal(pf, pi);
        Assert.True(maxDiff <= LogitTolerance, $"max |Δlogit| = {maxDiff:G4} > {LogitTolerance} on images without ties");
        // Ties are not rare at the 8-bit activation before the pool (~3,000 values per image, steps of ~0.01, float32
        // errors of ~1e-6): most images must still be tie-free for the tolerance above to mean something, and a tie moves
        // one activation by one 8-bit step, a small change of the logits.
        Assert.True(n - flipped.Count >= n / 2, $"only {n - flipped.Count} of {n} images are free of rounding ties");
        Assert.True(maxDiffAll <= 0.1f, $"max |Δlogit| = {maxDiffAll:G4} over all images, more than tied activations can explain");
    }

    /// <summary>Input and output of every <see cref="QuantReLU"/> at the next forward pass, by path, in forward order.</summary>
    private static OrderedActs RecordActivations(Module model)
    {
        var acts = new OrderedActs();
        foreach (var (path, m) in model.NamedModules())
            if (m is QuantReLU r)
            {
                string p = path;
                r.RegisterForwardHook((_, x, y) => acts[p] = (x.ToArray(), y.ToArray()));
            }
        return acts;
    }

    /// <summary>Activations in the order they ran.</summary>
    private sealed class OrderedActs : IEnumerable<KeyValuePair<string, (float[] Input, float[] Output)>>
    {
        private readonly List<KeyValuePair<string, (float[] Input, float[] Output)>> _list = [];
        public (float[] Input, float[] Output) this[string path]
        {
            get => _list.Single(kv => kv.Key == path).Value;
            set => _list.Add(new(path, value));
        }
        public IEnumerator<KeyValuePair<string, (float[] Input, float[] Output)>> GetEnumerator() => _list.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    // ───────────────────────────── sizes ─────────────────────────────

    [Theory]
    [InlineData("W2A2")]
    [InlineData("BinaryA2")]
    public void ResNet8_RealSize_MatchesTheFormula(string which)
    {
        var spec = which == "W2A2" ? W2A2 : BinaryA2;
        var model = new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(0));
        var sites = ModelQuantizer.Quantize(model, spec);
        var export = IntegerExport.Export(model);
        var formula = MemoryFootprint.Compute(model, sites, spec.ActivationBits, [1, 28, 28]);
        CheckSizes(model, sites, export, formula, $"ResNet-8 {which}");
    }

    [Fact]
    public void ResNet18_BinaryA2_RealSize_MatchesTheFormula()
    {
        var model = new ResNet18Cifar(10, generator: new Generator(0));
        var sites = ModelQuantizer.Quantize(model, BinaryA2);
        var export = IntegerExport.Export(model);
        var formula = MemoryFootprint.Compute(model, sites, 2, [3, 32, 32]);
        CheckSizes(model, sites, export, formula, "ResNet-18 binary/A2");
    }

    private void CheckSizes(Module model, IReadOnlyList<QuantSite> sites, ExportedModel export, MemoryFootprintResult formula, string what)
    {
        // Real bytes: Σ ⌈n_l·b_l/8⌉ from the sites' bit widths and the weights' sizes.
        long expected = 0;
        foreach (var s in sites.Where(s => s.Kind != QuantSiteKind.Activation))
        {
            var w = model.NamedParameters().Single(p => p.Name == s.Path + ".weight").Parameter;
            expected += ((long)w.Numel * s.WeightBits!.Value + 7) / 8;
            Assert.Equal(s.WeightBits, export.Layer(s.Path).Bits);
        }
        Assert.Equal(expected, export.PackedWeightBytes);
        // The formula counts N·b/8 per layer without rounding up to whole bytes: at most one byte less per layer.
        double formulaWeights = formula.Parameters.Where(p => p.Role == ParameterRole.Weight).Sum(p => p.Bytes);
        Assert.InRange(export.PackedWeightBytes - formulaWeights, 0, export.Layers.Count - 1e-9);
        // Float parameters (biases, batch norm γ/β, PACT α) at 32 bits: the formula's other parameter terms.
        double formulaFloats = formula.Parameters.Where(p => p.Role != ParameterRole.Weight).Sum(p => p.Bytes);
        Assert.Equal(formulaFloats, export.FloatParameterBytes);
        output.WriteLine($"{what}: packed weights {export.PackedWeightBytes} B (formula {formulaWeights} B), float parameters " +
            $"{export.FloatParameterBytes} B (formula {formulaFloats} B), scales {export.ScaleBytes} B, buffers {export.BufferBytes} B; " +
            $"real total {export.TotalBytes} B vs formula parameter bytes {formula.ParameterBytes} B");
    }

    // ───────────────────────────── save / load ─────────────────────────────

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalIntegerInference()
    {
        var model = TrainedResNet8(BinaryA2);
        var export = IntegerExport.Export(model, FashionBatch(0, 4));
        string dir = Path.Combine(Path.GetTempPath(), "rk-integer-export-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "resnet8-binary-a2.safetensors");
            export.Save(path);
            Assert.Equal([path], Directory.GetFiles(dir)); // atomic write: no temporary file left
            var loaded = ExportedModel.Load(path);
            output.WriteLine($"file {new FileInfo(path).Length} B, export total {export.TotalBytes} B (the rest is the JSON header)");

            Assert.Equal(export.Layers.Select(l => l.Name), loaded.Layers.Select(l => l.Name));
            foreach (var (a, b) in export.Layers.Zip(loaded.Layers))
            {
                Assert.Equal(a.Codes.Data.ToArray(), b.Codes.Data.ToArray());
                Assert.Equal(a.Bits, b.Bits);
                Assert.Equal(a.First, b.First);
                Assert.Equal(a.Step, b.Step);
                Assert.Equal(a.Bias, b.Bias);
                Assert.Equal(a.Conv, b.Conv);
                Assert.Equal(a.InputGrid, b.InputGrid);
                Assert.Equal(a.WeightShape, b.WeightShape);
            }
            Assert.Equal(export.PackedWeightBytes, loaded.PackedWeightBytes);
            Assert.Equal(export.FloatParameterBytes, loaded.FloatParameterBytes);
            Assert.Equal(export.BufferBytes, loaded.BufferBytes);
            Assert.Equal(export.TotalBytes, loaded.TotalBytes);

            var x = FashionBatch(200, 24);
            var direct = Run(IntegerResNet8(BinaryA2, export), x);
            var fromFile = Run(IntegerResNet8(BinaryA2, loaded), x);
            Assert.Equal(direct, fromFile);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    // ───────────────────────────── errors ─────────────────────────────

    [Fact]
    public void Export_OfAFloatModel_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => IntegerExport.Export(new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(0))));
        Assert.Contains("no quantized convolution or linear layer", e.Message);
    }

    [Fact]
    public void Export_OfAPowerOfTwoGrid_IsRefused_NamingLayerAndQuantizer()
    {
        var model = new Sequential(new QuantLinear(8, 4, new DoReFaWeightQuantizer(2)), new QuantLinear(4, 3, new PowerOfTwoQuantizer(-4, 0)));
        var e = Assert.Throws<ArgumentException>(() => IntegerExport.Export(model));
        Assert.Contains("'1'", e.Message);
        Assert.Contains("PowerOfTwoQuantizer", e.Message);
        Assert.Contains("not uniform", e.Message);
    }

    [Fact]
    public void IntegerLayer_RefusesAnInputOffTheRecordedGrid()
    {
        var model = TrainedResNet8(W2A2);
        var export = IntegerExport.Export(model, FashionBatch(0, 2));
        var integerModel = IntegerResNet8(W2A2, export);
        // Change α of the activation that feeds layer1.0.conv2 after the export: its output leaves the recorded grid.
        var pact = (PactActivationQuantizer)integerModel.GetSubmodule<QuantReLU>("layer1.0.relu1").Quantizer;
        using (Torch.NoGrad()) pact.Alpha.CopyFrom(pact.Alpha * 1.37f);
        var e = Assert.Throws<InvalidOperationException>(() => Run(integerModel, FashionBatch(0, 2)));
        Assert.Contains("layer1.0.conv2", e.Message);
        Assert.Contains("layer1.0.relu1", e.Message);
    }

    [Fact]
    public void Apply_ToAModelOfAnotherArchitecture_IsRefused_AndLeavesItUnchanged()
    {
        var export = IntegerExport.Export(TrainedResNet8(W2A2));
        var other = new ResNetCifar(14, 10, inChannels: 1, generator: new Generator(1));
        ModelQuantizer.Quantize(other, W2A2);
        var e = Assert.Throws<ArgumentException>(() => IntegerInference.Apply(other, export));
        Assert.Contains("missing from the export", e.Message);
        Assert.Empty(other.Modules().OfType<IntegerConv2d>());
    }
}
