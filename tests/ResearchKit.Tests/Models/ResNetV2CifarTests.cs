using ResearchKit.Experiments.Chapter5;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tests.Models;

public class ResNetV2CifarTests
{
    // Parameter count from the architecture facts of Pang et al.'s utils/model.py (resnet_v2) and train.py, independently of
    // the model code: every conv has a bias (Keras default), batch norms have γ and β, stage widths 16/64/128 → 64/128/256,
    // projection shortcut (1×1 conv, no BN) on the first unit of each stage, the network's first unit has no BN-ReLU in front,
    // head BN(256) → dense(256 → D) → dense(D → C).
    private static long Conv(int k, int cin, int cout) => (long)k * k * cin * cout + cout;
    private static long Bn(int c) => 2L * c;

    private static long ExpectedParameters(int n, int classes, int? featureDim, int inChannels = 3, bool classifierBias = true)
    {
        long total = Conv(3, inChannels, 16) + Bn(16);
        int inP = 16;
        for (int s = 0; s < 3; s++)
        {
            int w = inP, outP = s == 0 ? 4 * inP : 2 * inP;
            total += (s == 0 ? 0 : Bn(inP)) + Conv(1, inP, w) + Bn(w) + Conv(3, w, w) + Bn(w) + Conv(1, w, outP) + Conv(1, inP, outP);
            total += (n - 1) * (Bn(outP) + Conv(1, outP, w) + Bn(w) + Conv(3, w, w) + Bn(w) + Conv(1, w, outP));
            inP = outP;
        }
        total += Bn(256);
        int f = featureDim ?? 256;
        if (featureDim is int d) total += 256L * d + d;
        return total + (long)f * classes + (classifierBias ? classes : 0);
    }

    [Fact]
    public void ResNet32_Cifar100_ParameterCount_MatchesTheArchitectureFacts()
    {
        // By hand (n = 5, C = 100, D = 256): stem 480; stage 1: 4,832 + 4 × 4,640; stage 2: 58,112 + 4 × 54,016;
        // stage 3: 230,912 + 4 × 214,528; head BN 512, embed 65,792, classifier 25,700 → 1,479,076.
        Assert.Equal(1_479_076, ExpectedParameters(5, 100, 256));
        var model = new ResNetV2Cifar(32, 100, generator: new Generator(0));
        Assert.Equal(ExpectedParameters(5, 100, 256), model.ParameterCount());
        Assert.Equal(5, model.BlocksPerStage);
        // 9n + 2 = 47 layers in Keras' count: stem + 45 bottleneck convs + 1 dense, plus 3 projections and Pang's second dense.
        Assert.Equal(1 + 9 * 5 + 3, model.Modules().OfType<Conv2d>().Count());
        Assert.Equal(2, model.Modules().OfType<Linear>().Count());

        foreach (var (depth, classes, dim) in new (int, int, int?)[] { (8, 10, 256), (20, 100, 128), (14, 20, null), (110, 100, 256) })
            Assert.Equal(ExpectedParameters((depth - 2) / 6, classes, dim), new ResNetV2Cifar(depth, classes, dim, generator: new Generator(0)).ParameterCount());
        Assert.Equal(ExpectedParameters(1, 10, 64, inChannels: 1, classifierBias: false),
            new ResNetV2Cifar(8, 10, 64, inChannels: 1, classifierBias: false, generator: new Generator(0)).ParameterCount());
    }

    [Fact]
    public void ParameterNames_AreStructuredLikePyTorch()
    {
        var model = new ResNetV2Cifar(20, 100, generator: new Generator(0));
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal("conv1.weight", names[0]);
        Assert.Equal("linear.bias", names[^1]);
        Assert.Equal("embed.weight", names[^4]);
        foreach (var n in new[] { "layer1.0.conv1.bias", "layer1.0.shortcut.weight", "layer1.1.bn1.weight", "layer2.0.bn1.weight",
                     "layer2.0.shortcut.weight", "layer3.2.conv3.weight", "bn2.weight" })
            Assert.Contains(n, names);
        // No BN-ReLU in front of the network's first unit; identity shortcuts after each stage's first unit.
        Assert.DoesNotContain("layer1.0.bn1.weight", names);
        Assert.DoesNotContain(names, n => n.StartsWith("layer3.1.shortcut", StringComparison.Ordinal));
        Assert.Contains("layer3.2.bn3.running_var", model.StateDict().Keys);
        Assert.Equal(new Shape(256, 128, 1, 1), ((Conv2d)model.NamedModules().Single(m => m.Name == "layer3.0.shortcut").Module).Weight.Shape);
    }

    [Fact]
    public void Outputs_Features_AndStageShapes()
    {
        var model = new ResNetV2Cifar(8, 100, generator: new Generator(1));
        model.Eval();
        var x = Tensor.Randn([2, 3, 32, 32], new Generator(2));
        var stageShapes = new List<Shape>();
        var handles = model.Stages.Select(s => s.RegisterForwardHook((m, i, o) => stageShapes.Add(o.Shape))).ToList();
        using (Torch.NoGrad())
        {
            var y = model.Forward(x);
            var f = model.Features(x);
            Assert.Equal(new Shape(2, 100), y.Shape);
            Assert.Equal(new Shape(2, 256), f.Shape);
            Assert.Equal(y.ToArray(), model.Classifier.Forward(f).ToArray());
        }
        foreach (var h in handles) h.Dispose();
        Assert.Equal(new[] { new Shape(2, 64, 32, 32), new Shape(2, 128, 16, 16), new Shape(2, 256, 8, 8) }, stageShapes.Take(3));

        var noDense = new ResNetV2Cifar(8, 10, featureDim: null, generator: new Generator(1));
        noDense.Eval();
        Assert.Null(noDense.Embed);
        Assert.Equal(256, noDense.FeatureDim);
        using (Torch.NoGrad())
        {
            var f = noDense.Features(x);
            Assert.Equal(new Shape(2, 256), f.Shape);
            Assert.True(f.ToArray().All(v => v >= 0)); // without the dense layer the features are pooled post-ReLU values
        }
        Assert.Equal(new Shape(2, 99), new ResNetV2Cifar(8, 100, featureDim: 99, generator: new Generator(1)).Features(x).Shape);
    }

    [Fact]
    public void OneChannelInput_Works_AndWrongChannelsAreExplained()
    {
        var model = new ResNetV2Cifar(8, 10, inChannels: 1, generator: new Generator(3));
        model.Eval();
        using (Torch.NoGrad())
        {
            var y = model.Forward(Tensor.Randn([2, 1, 28, 28], new Generator(4)));
            Assert.Equal(new Shape(2, 10), y.Shape);
            Assert.True(y.ToArray().All(float.IsFinite));
        }
        var ex = Assert.Throws<ArgumentException>(() => new ResNetV2Cifar(8, 10, generator: new Generator(3)).Forward(Tensor.Zeros(2, 1, 32, 32)));
        Assert.Contains("inChannels: 1", ex.Message);
    }

    [Fact]
    public void InvalidDepth_IsExplained()
    {
        var e = Assert.Throws<ArgumentException>(() => new ResNetV2Cifar(47));
        Assert.Contains("6n + 2", e.Message);
        Assert.Contains("pass depth: 32", e.Message); // 47 = 9·5 + 2 is Keras' count of Pang's ResNet-32
        Assert.Contains("got 33", Assert.Throws<ArgumentException>(() => new ResNetV2Cifar(33)).Message);
        Assert.Throws<ArgumentException>(() => new ResNetV2Cifar(2));
        Assert.Throws<ArgumentException>(() => new ResNetV2Cifar(8, 10, featureDim: 0));
        Assert.Throws<ArgumentException>(() => new ResNetV2Cifar(8, 0));
    }

    [Fact]
    public void Replace_TakesEffectInForward()
    {
        var model = new ResNetV2Cifar(14, 10, generator: new Generator(5));
        model.Eval();
        var x = Tensor.Randn([2, 3, 16, 16], new Generator(6));
        int calls = 0;
        var counting = new CountingReLU(() => calls++);
        model.Replace("layer2.1.relu3", counting);
        using (Torch.NoGrad()) model.Forward(x);
        Assert.Equal(1, calls);

        // n = 2: stem + head + 3 per unit, minus the missing relu1 of the first unit, minus the one replaced above.
        var replaced = model.Replace<ReLU>(_ => new CountingReLU(() => calls++));
        Assert.Equal(2 + 3 * 3 * 2 - 1 - 1, replaced.Count);
        calls = 0;
        using (Torch.NoGrad()) model.Forward(x);
        Assert.Equal(replaced.Count + 1, calls);

        var head = new Linear(256, 7, generator: new Generator(7));
        model.Replace("linear", head);
        Assert.Same(head, model.Classifier);
        using (Torch.NoGrad()) Assert.Equal(new Shape(2, 7), model.Forward(x).Shape);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ZeroResidualBranch_LeavesTheShortcut(long seed)
    {
        // Property of the unit: with conv3 = 0 the residual branch vanishes, so an identity unit returns its input exactly and a
        // projection unit returns shortcut(input): the sum is not activated (pre-activation design).
        var x = Tensor.Randn([2, 8, 6, 6], new Generator(seed));
        var identity = new PreActBottleneck(8, 2, 8, generator: new Generator(seed + 10));
        var projection = new PreActBottleneck(8, 2, 16, stride: 2, projection: true, generator: new Generator(seed + 20));
        foreach (var u in new[] { identity, projection })
        {
            u.Eval();
            using (Torch.NoGrad()) { ((Conv2d)u.Conv3).Weight.Fill_(0f); ((Conv2d)u.Conv3).Bias!.Fill_(0f); }
        }
        using (Torch.NoGrad())
        {
            Assert.Equal(x.ToArray(), identity.Forward(x).ToArray());
            Assert.Equal(projection.Shortcut!.Forward(x).ToArray(), projection.Forward(x).ToArray());
            Assert.Equal(new Shape(2, 16, 3, 3), projection.Forward(x).Shape);
        }
        Assert.Throws<ArgumentException>(() => new PreActBottleneck(8, 2, 16));
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences_OnATinyNetwork()
    {
        var model = new ResNetV2Cifar(8, 3, featureDim: 4, generator: new Generator(8));
        var x = Tensor.Randn([2, 3, 8, 8], new Generator(9));
        // Calibrate the running statistics (else eval-mode activations grow through the unnormalized residual stream and
        // float32 rounding swamps the differences), then use them: a fixed function of the input, so finite differences apply.
        using (Torch.NoGrad()) for (int i = 0; i < 60; i++) model.Forward(Tensor.Randn([8, 3, 8, 8], new Generator(100 + i)));
        model.Eval();
        x.RequiresGrad_();
        var w = Tensor.Randn([2, 3], new Generator(10));
        Tensor Objective(Tensor input) => (model.Forward(input) * w).Sum();

        var loss = Objective(x);
        loss.Backward();
        var gx = x.Grad!.ToArray();
        var deep = ((Conv2d)model.NamedModules().Single(m => m.Name == "layer2.0.conv2").Module).Weight;
        var gDeep = deep.Grad!.ToArray();
        var embed = ((Linear)model.Embed!).Weight;
        var gEmbed = embed.Grad!.ToArray();

        const float h = 1e-3f; // small: the tiny net has many ReLU kinks near the point (larger steps cross them)
        double Central(Tensor t, int i)
        {
            using var _ = Torch.NoGrad();
            var data = t.Detach();
            float v0 = data.ToArray()[i];
            SetAt(data, i, v0 + h); double up = Objective(x.Detach()).Item();
            SetAt(data, i, v0 - h); double down = Objective(x.Detach()).Item();
            SetAt(data, i, v0);
            return (up - down) / (2 * h);
        }
        foreach (int i in new[] { 0, 37, 100, 250, 383 }) Close(gx[i], Central(x, i), $"d/dx[{i}]");
        foreach (int i in new[] { 0, 500, 4095 }) Close(gDeep[i], Central(deep, i), $"d/d layer2.0.conv2.weight[{i}]");
        foreach (int i in new[] { 0, 513, 1023 }) Close(gEmbed[i], Central(embed, i), $"d/d embed.weight[{i}]");
    }

    [Fact]
    public void TrainingGradients_ReachEveryWeight()
    {
        var model = new ResNetV2Cifar(8, 5, generator: new Generator(11));
        model.Train();
        var x = Tensor.Randn([4, 3, 8, 8], new Generator(12));
        var loss = Functional.CrossEntropy(model.Forward(x), Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 4));
        loss.Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.NotNull(p.Grad);
            // Conv biases feed a batch norm (directly or through the residual stream), which removes per-channel constants
            // under batch statistics, so only the weights, norms and dense layers must receive a non-zero gradient.
            bool convBias = name.EndsWith(".bias", StringComparison.Ordinal) && !name.StartsWith("bn", StringComparison.Ordinal)
                && !name.Contains(".bn", StringComparison.Ordinal) && !name.StartsWith("embed", StringComparison.Ordinal) && !name.StartsWith("linear", StringComparison.Ordinal);
            if (!convBias) Assert.True(p.Grad!.ToArray().Any(g => g != 0f), $"{name} received no gradient");
        }
    }

    [Fact]
    public void Initialization_IsKerasHeNormal_AndSeeded()
    {
        var model = new ResNetV2Cifar(8, 10, generator: new Generator(13));
        var conv = ((Conv2d)model.NamedModules().Single(m => m.Name == "layer3.0.conv2").Module);
        var v = conv.Weight.ToArray(); // 128·128·9 = 147,456 draws, fan_in 1,152
        double target = Math.Sqrt(2.0 / 1152), bound = 2 * target / 0.87962566103423978;
        double mean = v.Average(), std = Math.Sqrt(v.Select(a => (a - mean) * (a - mean)).Average());
        Assert.InRange(std, 0.98 * target, 1.02 * target);
        Assert.True(v.All(a => Math.Abs(a) <= bound * 1.0001));
        Assert.True(conv.Bias!.ToArray().All(b => b == 0f));
        Assert.True(((Linear)model.Classifier).Bias!.ToArray().All(b => b == 0f));
        Assert.Equal(model.L2RegularizedWeights().Count(), model.Modules().OfType<Conv2d>().Count());

        var again = new ResNetV2Cifar(8, 10, generator: new Generator(13));
        Assert.Equal(model.StateDict().Values.SelectMany(t => t.ToArray()), again.StateDict().Values.SelectMany(t => t.ToArray()));
    }

    [Fact]
    public void QatNetwork_UsesThePangFeaturesAndClassifier()
    {
        var model = new ResNetV2Cifar(8, 10, featureDim: 32, inChannels: 1, generator: new Generator(14));
        var net = new QatNetwork(model, QatLoss.Gml, new QatTraining { Loss = QatLoss.Gml }, 10, new Generator(15));
        net.Eval();
        var x = Tensor.Randn([3, 1, 12, 12], new Generator(16));
        using (Torch.NoGrad())
        {
            Assert.Equal(model.Features(x).ToArray(), net.Features(x).ToArray());
            Assert.Equal(new Shape(3, 10), net.Forward(x).Shape);
        }
        Assert.Same(model.Classifier, net.Classifier);
    }

    private static void SetAt(Tensor t, int index, float value)
    {
        var a = t.ToArray();
        a[index] = value;
        t.CopyFrom(Tensor.FromArray(a, t.Shape.ToArray()));
    }

    private static void Close(double autograd, double numeric, string what) =>
        Assert.True(Math.Abs(autograd - numeric) <= 2e-3 + 3e-2 * Math.Abs(numeric), $"{what}: autograd {autograd:G6}, finite difference {numeric:G6}");

    private sealed class CountingReLU(Action onCall) : Module<Tensor, Tensor>
    {
        protected override Tensor ForwardCore(Tensor input) { onCall(); return input.Relu(); }
    }
}
