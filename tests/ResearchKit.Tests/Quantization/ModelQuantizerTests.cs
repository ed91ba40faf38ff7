using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Quantization;

public class ModelQuantizerTests
{
    private static QuantSite Site(IReadOnlyList<QuantSite> report, string path) =>
        report.SingleOrDefault(s => s.Path == path) ?? throw new Xunit.Sdk.XunitException($"no site '{path}' in the report");

    [Fact]
    public void ResNetV2_BothDenseHeadLayers_AreTheLastLayer_AtFirstLastBits_AndTheFootprintAgrees()
    {
        // Pang et al.'s head is bn2 → relu → pool → embed (features) → linear (classes); an MMC or GML head reads embed's
        // output and never uses linear, so "the last layer" (§5.4.1) must cover both.
        var model = new ResNetV2Cifar(depth: 14, numClasses: 10, featureDim: 16, inChannels: 1, generator: new Generator(0));
        var spec = QuantSpec.DoReFaPact(2, 2);
        var predicted = ResearchKit.Quantization.MemoryFootprint.SitesFor(model, spec);
        var report = ModelQuantizer.Quantize(model, spec);
        Assert.Equal(spec.FirstLastBits, Site(report, "embed").WeightBits);
        Assert.Equal(spec.FirstLastBits, Site(report, "linear").WeightBits);
        Assert.Equal(spec.FirstLastBits, Site(report, "conv1").WeightBits);
        Assert.All(report.Where(s => s.Kind == QuantSiteKind.Conv && s.Path != "conv1"), s => Assert.Equal(2, s.WeightBits));
        Assert.Equal(report.Where(s => s.Kind != QuantSiteKind.Activation).Select(s => (s.Path, s.WeightBits)),
            predicted.Where(s => s.Kind != QuantSiteKind.Activation).Select(s => (s.Path, s.WeightBits)));
    }

    [Fact]
    public void ResNet18_W2A2_PrecisionExceptionsByName()
    {
        var model = new ResNet18Cifar(10, generator: new Generator(0));
        var report = ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(2, 2));

        Assert.Equal(20, report.Count(s => s.Kind == QuantSiteKind.Conv));
        Assert.Equal(17, report.Count(s => s.Kind == QuantSiteKind.Activation));
        Assert.Equal(new QuantSite("conv1", QuantSiteKind.Conv, 8, null), Site(report, "conv1"));
        Assert.Equal(new QuantSite("fc", QuantSiteKind.Linear, 8, null), Site(report, "fc"));
        Assert.Equal(new QuantSite("layer4.1.relu2", QuantSiteKind.Activation, null, 8), Site(report, "layer4.1.relu2"));
        Assert.All(report.Where(s => s.Kind == QuantSiteKind.Conv && s.Path != "conv1"), s => Assert.Equal(2, s.WeightBits));
        Assert.All(report.Where(s => s.Kind == QuantSiteKind.Activation && s.Path != "layer4.1.relu2"), s => Assert.Equal(2, s.ActivationBits));
        Assert.Equal(2, Site(report, "layer2.0.downsample.0").WeightBits);
        Assert.Equal(2, Site(report, "relu").ActivationBits); // NS in the thesis: the stem's output activation is at A bits here

        Assert.Equal(8, model.GetSubmodule<SharedQuantConv2d>("conv1").WeightQuant!.BitWidth);
        Assert.Equal(2, model.GetSubmodule<SharedQuantConv2d>("layer3.1.conv2").WeightQuant!.BitWidth);
        Assert.Equal(8, model.GetSubmodule<SharedQuantLinear>("fc").WeightQuant!.BitWidth);
        Assert.Null(model.GetSubmodule<SharedQuantLinear>("fc").InputQuant);
        Assert.Equal(8, model.GetSubmodule<QuantReLU>("layer4.1.relu2").Quantizer.BitWidth);
        Assert.IsType<BatchNorm2d>(model.GetSubmodule("layer2.0.downsample.1")); // batch norm untouched
        Assert.IsType<BatchNorm2d>(model.GetSubmodule("layer1.0.bn1"));
        var names = model.StateDict().Keys.ToHashSet();
        Assert.Contains("fc.bias", names); // float bias, same key
        Assert.Contains("layer1.0.relu1.quant_alpha", names); // PACT's α is trained
        Assert.Contains("layer1.0.conv1.weight", names);
    }

    [Fact]
    public void ResNet20_W2A2_PrecisionExceptionsByName()
    {
        var model = new ResNetCifar(20, generator: new Generator(0));
        var report = ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(2, 2));
        Assert.Equal(8, Site(report, "conv1").WeightBits);
        Assert.Equal(8, Site(report, "linear").WeightBits);
        Assert.Equal(8, Site(report, "layer3.2.relu2").ActivationBits);
        Assert.Equal(2, Site(report, "layer2.0.conv1").WeightBits);
        Assert.Equal(2, Site(report, "layer3.2.relu1").ActivationBits);
        Assert.Equal(19 + 1 + 19, report.Count);
    }

    [Fact]
    public void FloatResiduals_MoveTheQuantizerToBlockInputs()
    {
        var model = new ResNet18Cifar(10, generator: new Generator(0));
        var report = ModelQuantizer.Quantize(model, QuantSpec.Lsq(4, 4, quantizeResidualAdds: false));
        Assert.Equal(32, Site(report, "layer1.0.relu2").ActivationBits);
        Assert.IsType<ReLU>(model.GetSubmodule("layer1.0.relu2"));
        Assert.Null(Site(report, "layer1.0.conv1").ActivationBits); // its input is the quantized stem ReLU
        Assert.Equal(4, Site(report, "layer1.1.conv1").ActivationBits);
        Assert.Equal(4, Site(report, "layer2.0.downsample.0").ActivationBits);
        Assert.Null(Site(report, "layer2.0.conv2").ActivationBits);
        Assert.Equal(4, Site(report, "layer2.0.relu1").ActivationBits);
        Assert.Equal(new QuantSite("fc", QuantSiteKind.Linear, 8, 8), Site(report, "fc"));
        Assert.NotNull(model.GetSubmodule<SharedQuantLinear>("fc").InputQuant);
    }

    [Fact]
    public void Converted_SharesTheFloatTensors_AndTrainsOneStep()
    {
        var model = new ResNet18Cifar(10, generator: new Generator(3));
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(2, 2));
        var after = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, t) in before) Assert.Same(t, after[name]); // no copy: Training I → II keeps the instances
        Assert.Same(before["layer2.0.conv1.weight"], model.GetSubmodule<SharedQuantConv2d>("layer2.0.conv1").Weight);
        Assert.Same(before["fc.bias"], model.GetSubmodule<SharedQuantLinear>("fc").Bias);

        model.Train();
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        var x = Tensor.Randn([2, 3, 32, 32], new Generator(4));
        var target = Tensor.FromArray(new long[] { 1, 7 }, [2]);
        var w0 = before["layer1.0.conv1.weight"].ToArray();
        var loss = F.CrossEntropy(model.Forward(x), target);
        Assert.True(float.IsFinite(loss.Item()));
        loss.Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"{name} has no gradient");
            Assert.True(p.Grad!.ToArray().All(float.IsFinite), $"{name} has a non-finite gradient");
        }
        opt.Step();
        Assert.NotEqual(w0, before["layer1.0.conv1.weight"].ToArray());
    }

    [Fact]
    public void W32A32_LeavesOutputsEqual()
    {
        var model = new ResNetCifar(20, generator: new Generator(5));
        model.Eval();
        var x = Tensor.Randn([2, 3, 32, 32], new Generator(6));
        float[] y0, y1;
        using (Torch.NoGrad()) y0 = model.Forward(x).ToArray();
        var spec = QuantSpec.DoReFaPact(QuantSpec.Float, QuantSpec.Float) with { FirstLastBits = QuantSpec.Float };
        var report = ModelQuantizer.Quantize(model, spec);
        Assert.All(report, s => Assert.True((s.WeightBits ?? 32) == 32 && (s.ActivationBits ?? 32) == 32, s.ToString()));
        Assert.IsType<SharedQuantConv2d>(model.GetSubmodule("layer1.0.conv1"));
        using (Torch.NoGrad()) y1 = model.Forward(x).ToArray();
        Assert.Equal(y0, y1);
    }

    [Fact]
    public void Refuses_BadBits_And_DoubleConversion()
    {
        var model = new ResNetCifar(20, generator: new Generator(0));
        var ex = Assert.Throws<ArgumentException>(() => ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(20, 2)));
        Assert.Contains("[1, 16]", ex.Message);
        Assert.IsType<Conv2d>(model.GetSubmodule("conv1")); // unchanged
        ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(4, 4));
        var again = Assert.Throws<InvalidOperationException>(() => ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(4, 4)));
        Assert.Contains("already quantized", again.Message);
    }

    [Fact]
    public void QuantReLU_PactIsPactAlone_OthersApplyReluFirst()
    {
        var pact = new QuantReLU(new PactActivationQuantizer(2, 3f));
        Assert.False(pact.AppliesRelu);
        Assert.Equal(new[] { 0f, 0f, 1f, 3f }, pact.Forward(Tensor.FromArray(new[] { -2f, 0.2f, 1f, 5f })).ToArray());
        Assert.Contains(pact.NamedParameters(), p => p.Name == "quant_alpha");
        var lsq = new QuantReLU(LsqQuantizer.ForActivations(2, 1f));
        Assert.True(lsq.AppliesRelu);
        Assert.Equal(new[] { 0f, 0f, 1f, 3f }, lsq.Forward(Tensor.FromArray(new[] { -2f, 0.2f, 1f, 5f })).ToArray());
        var act = new QuantAct(new PactActivationQuantizer(2, 3f));
        Assert.Equal(new[] { 0f, 3f }, act.Forward(Tensor.FromArray(new[] { -1f, 4f })).ToArray());
    }
}
