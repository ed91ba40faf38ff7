using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Serialization;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Models;

public class ResNetCifarTests
{
    private static Dictionary<string, Tensor> LoadFixture(string name) =>
        SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "fixtures", name + ".safetensors"));

    private static void Close(Tensor expected, Tensor actual, string what, double rtol = 1e-4, double atol = 1e-5)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        var e = expected.ToArray(); var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]), $"{what}[{i}]: got {a[i]:G8}, PyTorch {e[i]:G8}");
    }

    [Fact]
    public void StateDict_HasPyTorchNamesAndCounts()
    {
        var model = new ResNetCifar(20);
        var keys = model.StateDict().Keys.ToList();
        Assert.Equal(59 + 57, keys.Count);
        Assert.Equal(269_722, model.ParameterCount());
        Assert.Equal("conv1.weight", keys[0]);
        Assert.Contains("layer2.0.conv1.weight", keys);
        Assert.Contains("layer3.2.bn2.num_batches_tracked", keys);
        Assert.Equal("linear.bias", keys[^1]);
        var fx = LoadFixture("resnet20");
        var expected = fx.Keys.Where(k => k.StartsWith("param.", StringComparison.Ordinal)).Select(k => k["param.".Length..]).OrderBy(k => k, StringComparer.Ordinal);
        Assert.Equal(expected, keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Fact]
    public void ForwardBackward_MatchesPyTorch()
    {
        var fx = LoadFixture("resnet20");
        var model = new ResNetCifar(20);
        model.LoadStateDict(fx.Where(kv => kv.Key.StartsWith("param.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["param.".Length..], kv => kv.Value));

        model.Eval();
        using (Torch.NoGrad()) Close(fx["out.y_eval"], model.Forward(fx["in.x"]), "y_eval");

        model.Train();
        var x = fx["in.x"].RequiresGrad_();
        var y = model.Forward(x);
        Close(fx["out.y"], y, "y");
        var loss = F.CrossEntropy(y, fx["in.target"]);
        Close(fx["out.loss"], loss, "loss");
        loss.Backward();
        Close(fx["grad.in.x"], x.Grad!, "grad.in.x", rtol: 1e-3, atol: 1e-6);
        foreach (var (name, p) in model.NamedParameters())
            Close(fx["grad.param." + name], p.Grad!, "grad." + name, rtol: 1e-3, atol: 1e-5);
        foreach (var (name, b) in model.NamedBuffers())
            Close(fx["after.param." + name], b, "after." + name);
    }

    [Fact]
    public void OneChannelStandIn_AndBadInputMessage()
    {
        var model = new ResNetCifar(20, inChannels: 1);
        model.Eval();
        using (Torch.NoGrad()) Assert.Equal(new Shape(2, 10), model.Forward(Tensor.Randn([2, 1, 28, 28], new Generator(1))).Shape);
        var ex = Assert.Throws<ArgumentException>(() => new ResNetCifar(20).Forward(Tensor.Zeros(2, 1, 32, 32)));
        Assert.Contains("inChannels: 1", ex.Message);
        Assert.Throws<ArgumentException>(() => new ResNetCifar(21));
    }

    [Fact]
    public void ConvBnPairs_FoldEveryBatchNorm_AndKeepTheEvalOutputs()
    {
        var model = new ResNetCifar(20, generator: new Generator(5));
        // A few training steps' worth of statistics, so the batch norms are not near the identity.
        var g = new Generator(6);
        using (Torch.NoGrad())
            for (int i = 0; i < 3; i++) model.Forward(Tensor.Randn([8, 3, 32, 32], g) * 2f + 0.5f);
        model.Eval();
        var x = Tensor.Randn([4, 3, 32, 32], g);
        Tensor before;
        using (Torch.NoGrad()) before = model.Forward(x);
        var pairs = model.ConvBnPairs();
        Assert.Equal(19, pairs.Count);   // the stem and two per block of 9
        Assert.Equal(19, Fusion.FoldBatchNorms(model, pairs));
        Assert.DoesNotContain(model.Modules(), m => m is BatchNorm2d);
        using (Torch.NoGrad()) Close(before, model.Forward(x), "folded logits", rtol: 1e-4, atol: 1e-5);
    }

    [Fact]
    public void InferenceFusions_ComputeTheFoldedModelBitForBit_AndAttacksStillGetTheirGradient()
    {
        var g = new Generator(6);
        ResNetCifar Trained()
        {
            var m = new ResNetCifar(20, generator: new Generator(5));
            using (Torch.NoGrad())
                for (int i = 0; i < 3; i++) m.Forward(Tensor.Randn([8, 3, 32, 32], new Generator(6 + i)) * 2f + 0.5f);
            m.Eval();
            return m;
        }
        var folded = Trained();
        Fusion.FoldBatchNorms(folded, folded.ConvBnPairs());
        var fused = Trained();
        var groups = fused.InferenceFusions();
        Assert.Equal(19, groups.Count);
        Assert.Equal(9, groups.Count(c => c.Residual));   // conv2 of every block takes its shortcut
        Assert.Equal(19, Fusion.FuseConvBnRelu(fused, groups));
        Assert.DoesNotContain(fused.Modules(), m => m is BatchNorm2d or ReLU);
        Assert.Equal(folded.StateDict().Keys.Order(StringComparer.Ordinal), fused.StateDict().Keys.Order(StringComparer.Ordinal));

        var x = Tensor.Randn([4, 3, 32, 32], g);
        using (Torch.NoGrad())
            Assert.Equal(folded.Forward(x).ToArray(), fused.Forward(x).ToArray());   // the same float operations: the same bits

        // Consecutive fused blocks run depth-first together; a hooked block is run on its own (its hook sees its call), with the
        // same bits.
        int calls = 0;
        var hooked = (BasicBlock)fused.GetSubmodule("layer1.1");
        hooked.RegisterForwardHook((_, _, o) => { calls++; return o; });
        using (Torch.NoGrad())
            Assert.Equal(folded.Forward(x).ToArray(), fused.Forward(x).ToArray());
        Assert.Equal(1, calls);

        // An attack's input gradient runs the separate ops: the folded model's gradient exactly.
        var xa = x.Detach().RequiresGrad_();
        var xb = x.Detach().RequiresGrad_();
        var y = Tensor.FromArray(new long[] { 0, 3, 5, 9 }, 4);
        F.CrossEntropy(folded.Forward(xa), y).Backward();
        F.CrossEntropy(fused.Forward(xb), y).Backward();
        Assert.Equal(xa.Grad!.ToArray(), xb.Grad!.ToArray());
    }

    [Fact]
    public void A_block_whose_conv2_takes_the_residual_without_its_batch_norm_folded_refuses_to_run()
    {
        var model = new ResNetCifar(8, generator: new Generator(1));
        model.Eval();
        Fusion.FuseConvBnRelu(model, [new ConvFusion("layer1.0.conv2", Residual: true)]);
        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(Tensor.Zeros([1, 3, 32, 32])));
        Assert.Contains("fuse conv2 with bn2", e.Message);
    }
}
