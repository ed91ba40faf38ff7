using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Models;

/// <summary>Surgery, hooks, freezing and layer factories on the thesis models (what QAT and activation capture need).</summary>
public class ModelSurgeryTests
{
    /// <summary>A Conv2d subclass with the same parameters that counts its calls (stands in for a quantized conv).</summary>
    private sealed class CountingConv : Conv2d
    {
        private readonly int[] _calls;
        public CountingConv(Conv2d c, int[] calls) : base(c.InChannels, c.OutChannels, c.KernelSize, c.Stride, c.Padding, bias: c.Bias is not null)
        {
            _calls = calls;
            using (Torch.NoGrad()) Weight.CopyFrom(c.Weight);
        }
        protected override Tensor ForwardCore(Tensor input) { _calls[0]++; return base.ForwardCore(input); }
    }

    /// <summary>Any module, wrapped: output scaled by 0 (a module of another kind than Conv2d).</summary>
    private sealed class Zeroed : Module<Tensor, Tensor>
    {
        public Zeroed(Module<Tensor, Tensor> inner) => RegisterModule("inner", inner);
        protected override Tensor ForwardCore(Tensor input) => Child<Module<Tensor, Tensor>>("inner").Forward(input) * 0f;
    }

    /// <summary>Counts what it creates and builds a Conv2d subclass, like a QAT factory would.</summary>
    private sealed class RecordingFactory : LayerFactory
    {
        public readonly Dictionary<string, int> Made = new();
        public readonly int[] ConvCalls = new int[1];
        private void Count(string what) => Made[what] = Made.GetValueOrDefault(what) + 1;
        public override Module<Tensor, Tensor> Conv2d(int inChannels, int outChannels, Pair kernelSize, Pair? stride = null,
            Pair? padding = null, bool bias = true, Generator? generator = null)
        {
            Count("conv"); return new CountingConv(new Conv2d(inChannels, outChannels, kernelSize, stride, padding, bias: bias, generator: generator), ConvCalls);
        }
        public override Module<Tensor, Tensor> Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
        { Count("linear"); return base.Linear(inFeatures, outFeatures, bias, generator); }
        public override Module<Tensor, Tensor> BatchNorm2d(int numFeatures) { Count("bn"); return base.BatchNorm2d(numFeatures); }
        public override Module<Tensor, Tensor> ReLU() { Count("relu"); return new LeakyReLU(0.1f); }
    }

    private static Tensor Images(int seed, int n = 2) => Tensor.Randn([n, 3, 32, 32], new Generator(seed));

    [Fact]
    public void ResNet20_ReplaceEveryConv2d_KeepsStateDict_AndForwardCallsTheReplacements()
    {
        var model = new ResNetCifar(20, generator: new Generator(1));
        model.Eval();
        var x = Images(2);
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        Tensor y0;
        using (Torch.NoGrad()) y0 = model.Forward(x);

        var calls = new int[1];
        var paths = model.Replace<Conv2d>(c => new CountingConv(c, calls));

        Assert.Equal(19, paths.Count);
        Assert.Equal("conv1", paths[0]);
        Assert.Contains("layer1.0.conv1", paths);
        Assert.Equal("layer3.2.conv2", paths[^1]);
        Assert.IsType<CountingConv>(model.Conv1);
        Assert.Equal(before.Keys, model.StateDict().Keys);
        foreach (var (k, v) in model.StateDict()) Assert.Equal(before[k], v.ToArray());
        using (Torch.NoGrad())
        {
            var y1 = model.Forward(x);
            Assert.Equal(19, calls[0]); // every replacement ran once: nothing still calls an old Conv2d
            Assert.Equal(y0.ToArray(), y1.ToArray());
        }
    }

    [Fact]
    public void ResNet20_ReplaceByPath_WithAnotherKindOfModule_ChangesForward()
    {
        var model = new ResNetCifar(20, generator: new Generator(3));
        model.Eval();
        var x = Images(4);
        float[] y0;
        using (Torch.NoGrad()) y0 = model.Forward(x).ToArray();
        var old = model.GetSubmodule<Conv2d>("layer3.2.conv2");

        Assert.Same(old, model.Replace("layer3.2.conv2", new Zeroed(old)));
        Assert.Contains("layer3.2.conv2.inner.weight", model.StateDict().Keys);

        // conv2 of the last block now outputs zeros: the block returns relu(bn2(0) + x), which the reference computes by hand.
        var block = (BasicBlock)model.GetSubmodule("layer3.2");
        using (Torch.NoGrad())
        {
            var h = model.Relu.Forward(model.Bn1.Forward(model.Conv1.Forward(x)));
            h = model.Stages[1].Forward(model.Stages[0].Forward(h));
            for (int b = 0; b < 2; b++) h = ((Sequential)model.GetSubmodule("layer3"))[b].Forward(h);
            var y = F.Relu(block.Bn2.Forward(Tensor.Zeros(h.Shape.ToArray())) + h);
            var expected = model.Classifier.Forward(y.Mean([2, 3])).ToArray();
            var actual = model.Forward(x).ToArray();
            Assert.Equal(expected, actual);
            Assert.NotEqual(y0, actual);
        }
    }

    [Fact]
    public void ResNet20_ReluModules_AreRegistered_WithoutChangingTheKeys()
    {
        var model = new ResNetCifar(20);
        var names = model.NamedModules().Where(m => m.Module is ReLU).Select(m => m.Name).ToList();
        Assert.Equal(19, names.Count);
        Assert.Equal(["relu", "layer1.0.relu1", "layer1.0.relu2"], names.Take(3));
        Assert.DoesNotContain(model.StateDict().Keys, k => k.Contains("relu", StringComparison.Ordinal));
    }

    [Fact]
    public void ResNet20_ForwardHookOnLayer3_CapturesActivations_PreHookCanChangeTheInput()
    {
        var model = new ResNetCifar(20, generator: new Generator(5));
        model.Eval();
        var captured = new List<Tensor>();
        var layer3 = model.GetSubmodule<Module<Tensor, Tensor>>("layer3");
        using (layer3.RegisterForwardHook((m, input, output) => captured.Add(output.Detach().Mean([2, 3]))))
        using (Torch.NoGrad())
        {
            model.Forward(Images(6, 3));
            model.Forward(Images(7, 5));
        }
        Assert.Equal([new Shape(3, 64), new Shape(5, 64)], captured.Select(c => c.Shape));
        // The captured features are what the classifier sees.
        using (Torch.NoGrad())
            AssertClose(model.Classifier.Forward(captured[1]).ToArray(), model.Forward(Images(7, 5)).ToArray());
        Assert.Equal(2, captured.Count); // removed by the using block

        // A pre-hook on the stem conv that zeroes the input: the model then computes its output on zeros.
        float[] onZeros;
        using (Torch.NoGrad()) onZeros = model.Forward(Tensor.Zeros(2, 3, 32, 32)).ToArray();
        var handle = model.GetSubmodule<Module<Tensor, Tensor>>("conv1").RegisterForwardPreHook((m, input) => input * 0f);
        using (Torch.NoGrad()) Assert.Equal(onZeros, model.Forward(Images(8)).ToArray());
        handle.Remove();
        using (Torch.NoGrad()) Assert.NotEqual(onZeros, model.Forward(Images(8)).ToArray());
    }

    [Fact]
    public void ResNet20_LinearProbe_FrozenBackboneGetsNoGrads_AndDoesNotMove()
    {
        var model = new ResNetCifar(20, generator: new Generator(9));
        model.RequiresGrad_(false);
        model.Classifier.RequiresGrad_(true);
        var backbone = model.NamedParameters().Where(p => !p.Name.StartsWith("linear.", StringComparison.Ordinal)).ToList();
        var snapshot = backbone.Select(p => p.Parameter.ToArray()).ToList();
        var head = model.Classifier.Parameters().First().ToArray();
        var opt = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 5e-4);
        opt.ZeroGrad();
        F.CrossEntropy(model.Forward(Images(10, 4)), Tensor.FromArray(new long[] { 0, 1, 2, 3 }, [4])).Backward();
        Assert.All(backbone, p => Assert.Null(p.Parameter.Grad));
        Assert.All(model.Classifier.Parameters(), p => Assert.NotNull(p.Grad));
        opt.Step();
        for (int i = 0; i < backbone.Count; i++) Assert.Equal(snapshot[i], backbone[i].Parameter.ToArray());
        Assert.NotEqual(head, model.Classifier.Parameters().First().ToArray());
    }

    [Fact]
    public void ResNet20_LayerFactory_BuildsEveryLayer_KeysUnchanged()
    {
        var factory = new RecordingFactory();
        var model = new ResNetCifar(20, generator: new Generator(11), layers: factory);
        Assert.Equal(19, factory.Made["conv"]);
        Assert.Equal(19, factory.Made["bn"]);
        Assert.Equal(19, factory.Made["relu"]);
        Assert.Equal(1, factory.Made["linear"]);
        Assert.Equal(new ResNetCifar(20).StateDict().Keys, model.StateDict().Keys);
        Assert.IsType<LeakyReLU>(model.GetSubmodule("layer2.1.relu2"));
        model.Eval();
        using (Torch.NoGrad()) model.Forward(Images(12));
        Assert.Equal(19, factory.ConvCalls[0]);
        // The factory's Conv2d subclass gets the model's kaiming init like a plain Conv2d: same generator, same weights.
        Assert.Equal(new ResNetCifar(20, generator: new Generator(11)).StateDict()["layer1.0.conv1.weight"].ToArray(),
            model.StateDict()["layer1.0.conv1.weight"].ToArray());
    }

    [Fact]
    public void SeqMnistLstm_FactoryHead_AndReplacement()
    {
        var factory = new RecordingFactory();
        var model = new SeqMnistLstm(16, generator: new Generator(13), layers: factory);
        Assert.Equal(1, factory.Made["linear"]);
        Assert.Equal(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"], model.StateDict().Keys);
        var x = Tensor.Randn([2, 5, 1], new Generator(14));
        using (Torch.NoGrad())
        {
            model.Replace("fc", new Zeroed(model.Fc));
            Assert.All(model.Forward(x).ToArray(), v => Assert.Equal(0f, v));
        }
        Assert.Equal(10, model.NumClasses);
        var ex = Assert.Throws<InvalidOperationException>(() => model.Replace("lstm", new Identity()));
        Assert.Contains("registered it as Lstm", ex.Message);
    }

    [Fact]
    public void MediumLstmLm_DecoderMustStayTied_HooksSeeTheEmbedding()
    {
        var model = new MediumLstmLm(20, embedDim: 8, hidden: 8, layers: 1, dropout: 0, generator: new Generator(15));
        var ex = Assert.Throws<InvalidOperationException>(() => model.Replace("decoder", new Linear(8, 20)));
        Assert.Contains("registered it as TiedLinear", ex.Message);
        Tensor? emb = null;
        using var _ = model.Encoder.RegisterForwardHook((m, i, o) => emb = o);
        model.Forward(Tensor.FromArray(new long[] { 1, 2, 3, 4 }, [2, 2]));
        Assert.Equal(new Shape(2, 2, 8), emb!.Shape);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"[{i}]: {actual[i]} vs {expected[i]}");
    }
}
