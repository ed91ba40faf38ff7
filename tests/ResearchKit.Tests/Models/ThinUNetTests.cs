using ResearchKit.Data;
using ResearchKit.Losses;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tensors.Serialization;
using ResearchKit.Training;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Models;

public class ThinUNetTests
{
    // Parameters of a 3×3 double convolution a → b with batch norm (bias-free convs, BN weight + bias per conv).
    private static long DoubleConv(long a, long b) => 9 * a * b + 2 * b + 9 * b * b + 2 * b;

    [Theory]
    [InlineData(1, 8, 8, false, UNetUpsampling.TransposedConv)]
    [InlineData(2, 16, 12, true, UNetUpsampling.TransposedConv)]
    [InlineData(3, 24, 16, true, UNetUpsampling.Nearest)]
    [InlineData(4, 32, 48, false, UNetUpsampling.Nearest)]
    public void Output_HasInputSpatialShape(int depth, int h, int w, bool doubleWidth, UNetUpsampling up)
    {
        var model = new ThinUNet(baseWidth: 4, depth: depth, inChannels: 2, numClasses: 3, doubleWidth: doubleWidth, upsampling: up, generator: new Generator(1));
        var y = model.Forward(Tensor.Randn([2, 2, h, w], new Generator(2)));
        Assert.Equal(new Shape(2, 3, h, w), y.Shape);
        model.Eval();
        using (Torch.NoGrad()) Assert.Equal(new Shape(1, 3, h, w), model.Forward(Tensor.Randn([1, 2, h, w], new Generator(3))).Shape);
    }

    [Fact]
    public void SizeNotDivisibleBy2PowDepth_NamesTheFix()
    {
        var model = new ThinUNet(baseWidth: 4, depth: 4, inChannels: 1);
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 1, 28, 32)));
        Assert.Contains("divisible by 2^depth = 16", ex.Message);
        Assert.Contains("28×32", ex.Message);
        Assert.Contains("32×32", ex.Message); // the padded size to use
        var wrongChannels = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(1, 3, 32, 32)));
        Assert.Contains("inChannels: 3", wrongChannels.Message);
        Assert.Throws<ArgumentException>(() => new ThinUNet(depth: 0));
        Assert.Throws<ArgumentException>(() => new ThinUNet(baseWidth: 0));
        Assert.Throws<ArgumentException>(() => new ThinUNet(numClasses: 0));
    }

    [Fact]
    public void ParameterCount_Base32Depth4_MatchesFormula()
    {
        // Widths 32·2^i, i = 0..4; up level l: ConvTranspose2d(w[l+1] → w[l], 2×2, bias) then DoubleConv(2·w[l] → w[l]); 1×1 head with bias.
        long[] w = [32, 64, 128, 256, 512];
        long expected = DoubleConv(3, w[0]);
        for (int i = 1; i <= 4; i++) expected += DoubleConv(w[i - 1], w[i]);
        for (int l = 0; l < 4; l++) expected += 4 * w[l + 1] * w[l] + w[l] + DoubleConv(2 * w[l], w[l]);
        expected += w[0] * 1 + 1;
        Assert.Equal(expected, new ThinUNet(baseWidth: 32, depth: 4, inChannels: 3, numClasses: 1).ParameterCount());
        Assert.Equal(7_763_041, expected); // what the same layers built in PyTorch 1.13 count (sum of p.numel()), so a formula slip shows up too
    }

    [Fact]
    public void ParameterCount_ConstantWidthNearest_MatchesFormula()
    {
        // Every level 32 wide, no up-convolution: decoder double convs see 32 + 32 channels.
        long expected = DoubleConv(1, 32) + 6 * DoubleConv(32, 32) + 6 * DoubleConv(64, 32) + 32 + 1;
        var model = new ThinUNet(baseWidth: 32, depth: 6, inChannels: 1, doubleWidth: false, upsampling: UNetUpsampling.Nearest);
        Assert.Equal(expected, model.ParameterCount());
    }

    [Fact]
    public void StateDict_HasPyTorchStyleNames()
    {
        var model = new ThinUNet(baseWidth: 4, depth: 4, inChannels: 3);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal(9 * 6 + 4 * 2 + 2, names.Count); // 9 double convs × (2 conv weights + 2 BN affine pairs), 4 up-convs, head
        Assert.Equal(["inc.conv.0.weight", "inc.conv.1.weight", "inc.conv.1.bias", "inc.conv.3.weight", "inc.conv.4.weight", "inc.conv.4.bias"], names.Take(6));
        Assert.Contains("down1.conv.conv.0.weight", names);
        Assert.Contains("down4.conv.conv.4.bias", names);
        Assert.Contains("up1.up.weight", names);
        Assert.Contains("up1.up.bias", names);
        Assert.Contains("up4.conv.conv.3.weight", names);
        Assert.Equal(["outc.weight", "outc.bias"], names.TakeLast(2));
        var sd = model.StateDict();
        Assert.Contains("up2.conv.conv.1.running_mean", sd.Keys);
        Assert.Equal(new Shape(64, 32, 2, 2), sd["up1.up.weight"].Shape);          // widths 4·2^i: ConvTranspose2d(64 → 32) is (in, out, kH, kW)
        Assert.Equal(new Shape(32, 64, 3, 3), sd["up1.conv.conv.0.weight"].Shape); // 64 = 32 skip + 32 upsampled
        // Without batch norm the 3×3 convolutions carry biases and the Sequential indices shift (conv, relu, conv, relu).
        var plain = new ThinUNet(baseWidth: 4, depth: 1, inChannels: 1, batchNorm: false).NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal(["inc.conv.0.weight", "inc.conv.0.bias", "inc.conv.2.weight", "inc.conv.2.bias"], plain.Take(4));
    }

    [Theory]
    [InlineData(UNetUpsampling.TransposedConv, true)]
    [InlineData(UNetUpsampling.Nearest, false)]
    public void Gradient_ReachesEveryParameter(UNetUpsampling up, bool batchNorm)
    {
        var model = new ThinUNet(baseWidth: 4, depth: 3, inChannels: 1, upsampling: up, batchNorm: batchNorm, generator: new Generator(5));
        var x = Tensor.Randn([3, 1, 16, 16], new Generator(6));
        var mask = x.Gt(0.3f).Float();
        new BceDiceLoss().Forward(model.Forward(x), mask).Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"{name}: no gradient");
            Assert.True(p.Grad!.ToArray().Any(g => g != 0f), $"{name}: gradient is all zero");
            Assert.True(p.Grad.ToArray().All(float.IsFinite), $"{name}: non-finite gradient");
        }
    }

    [Fact]
    public void NearestUpsample_CopiesEachPixelToA2x2Block_AndSumsGradients()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2).RequiresGrad_();
        var y = new UNetNearestUpsample().Forward(x);
        Assert.Equal(new Shape(1, 1, 4, 4), y.Shape);
        Assert.Equal([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], y.ToArray());
        var weights = Tensor.FromArray(Enumerable.Range(1, 16).Select(i => (float)i).ToArray(), 1, 1, 4, 4);
        (y * weights).Sum().Backward();
        // d/dx of Σ w·y: the sum of the weights over each pixel's 2×2 block (1+2+5+6, 3+4+7+8, 9+10+13+14, 11+12+15+16).
        Assert.Equal([14f, 22f, 46f, 54f], x.Grad!.ToArray());
    }

    private static void Close(Tensor expected, Tensor actual, string what, double rtol = 1e-4, double atol = 1e-5)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        var e = expected.ToArray(); var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]), $"{what}[{i}]: got {a[i]:G8}, PyTorch {e[i]:G8}");
    }

    // Fixtures from tests/fixtures/make_unet_fixtures.py: the same architecture written in PyTorch 1.13, default init.
    [Theory]
    [InlineData("unet_tconv", 4, 2, 2, 1, true, UNetUpsampling.TransposedConv)]
    [InlineData("unet_nearest", 3, 2, 1, 2, false, UNetUpsampling.Nearest)]
    public void ForwardBackward_MatchesPyTorch(string fixture, int baseWidth, int depth, int inChannels, int classes, bool doubleWidth, UNetUpsampling up)
    {
        var fx = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", fixture + ".safetensors"));
        var model = new ThinUNet(baseWidth, depth, inChannels, classes, doubleWidth, up);
        var state = fx.Where(kv => kv.Key.StartsWith("param.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["param.".Length..], kv => kv.Value);
        Assert.Equal(state.Keys.Order(StringComparer.Ordinal), model.StateDict().Keys.Order(StringComparer.Ordinal));
        model.LoadStateDict(state);

        model.Eval();
        using (Torch.NoGrad()) Close(fx["out.y_eval"], model.Forward(fx["in.x"]), "y_eval");

        model.Train();
        var x = fx["in.x"].Clone().RequiresGrad_();
        var y = model.Forward(x);
        Close(fx["out.y"], y, "y");
        var loss = F.BinaryCrossEntropyWithLogits(y, fx["in.mask"]);
        Close(fx["out.loss"], loss, "loss");
        loss.Backward();
        Close(fx["grad.in.x"], x.Grad!, "grad.in.x", rtol: 1e-3, atol: 1e-6);
        foreach (var (name, p) in model.NamedParameters())
            Close(fx["grad.param." + name], p.Grad!, "grad." + name, rtol: 1e-3, atol: 1e-5);
        foreach (var (name, b) in model.NamedBuffers())
            Close(fx["after.param." + name], b, "after." + name);
    }

    [Fact]
    public void SameSeed_SameWeights()
    {
        var a = new ThinUNet(baseWidth: 4, depth: 2, inChannels: 1, generator: new Generator(9)).StateDict();
        var b = new ThinUNet(baseWidth: 4, depth: 2, inChannels: 1, generator: new Generator(9)).StateDict();
        foreach (var (k, v) in a) Assert.Equal(v.ToArray(), b[k].ToArray());
    }

    [Fact]
    public void TinyTraining_OnForegroundSegmentation_LowersLossAndRaisesIou()
    {
        var data = ForegroundSegmentation.Build(SyntheticShapes.Dataset(32, 12, seed: 3),
            new ForegroundSegmentationOptions(Seed: 4, Size: 16));
        var model = new ThinUNet(baseWidth: 8, depth: 2, inChannels: 1, generator: new Generator(7));
        var loss = new BceDiceLoss();
        var opt = new Adam(model.Parameters(), lr: 1e-2);
        var before = SegmentationMetrics.Evaluate(model, data.Batches(16), loss.Forward);
        var rng = new Random(8);
        for (int step = 0; step < 40; step++)
        {
            var idx = Enumerable.Range(0, 8).Select(_ => rng.Next(data.Count)).ToArray();
            var (x, y) = data.Gather(idx);
            opt.ZeroGrad();
            loss.Forward(model.Forward(x), y).Backward();
            opt.Step();
        }
        var after = SegmentationMetrics.Evaluate(model, data.Batches(16), loss.Forward);
        Assert.True(after["loss"] < 0.6 * before["loss"], $"loss {before["loss"]:F4} → {after["loss"]:F4}");
        Assert.True(after["iou"] > before["iou"], $"IoU {before["iou"]:F3} → {after["iou"]:F3}");
    }
}
