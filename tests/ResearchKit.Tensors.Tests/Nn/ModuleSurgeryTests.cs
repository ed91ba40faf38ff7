using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>Module surgery (get/set/replace submodules), forward hooks, freezing and layer extensibility.</summary>
public class ModuleSurgeryTests
{
    /// <summary>A Linear whose forward uses 2·weight: stands in for a fake-quantized layer (same parameters and names).</summary>
    private sealed class DoubledLinear : Linear
    {
        public DoubledLinear(int inFeatures, int outFeatures) : base(inFeatures, outFeatures) { }
        public static DoubledLinear From(Linear l)
        {
            var d = new DoubledLinear(l.InFeatures, l.OutFeatures);
            using (Torch.NoGrad()) { d.Weight.CopyFrom(l.Weight); d.Bias!.CopyFrom(l.Bias!); }
            return d;
        }
        protected override Tensor EffectiveWeight() => Weight * 2f;
    }

    /// <summary>Wraps a layer and counts its calls; has the wrapped parameters under "inner.".</summary>
    private sealed class Counting : Module<Tensor, Tensor>
    {
        public int Calls;
        public Counting(Module<Tensor, Tensor> inner) => RegisterModule("inner", inner);
        protected override Tensor ForwardCore(Tensor input) { Calls++; return Child<Module<Tensor, Tensor>>("inner").Forward(input); }
    }

    /// <summary>A module that caches its child in a field: replacing that child must be refused.</summary>
    private sealed class CachesChild : Module<Tensor, Tensor>
    {
        private readonly Linear _fc;
        public CachesChild() => _fc = RegisterModule("fc", new Linear(2, 2));
        protected override Tensor ForwardCore(Tensor input) => _fc.Forward(input);
    }

    /// <summary>A module that registers its child as a Linear (its Forward relies on that).</summary>
    private sealed class TypedChild : Module<Tensor, Tensor>
    {
        public TypedChild() => RegisterModule("fc", new Linear(2, 2));
        protected override Tensor ForwardCore(Tensor input) => Child<Linear>("fc").Forward(input);
    }

    private static Sequential Mlp() =>
        new(new Linear(4, 3, generator: new Generator(1)), new ReLU(), new Sequential(new Linear(3, 2, generator: new Generator(2)), new Tanh()));

    private static Dictionary<string, float[]> Snapshot(Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    [Fact]
    public void GetSubmodule_WalksDottedPaths()
    {
        var m = Mlp();
        Assert.Same(m, m.GetSubmodule(""));
        Assert.IsType<Linear>(m.GetSubmodule("2.0"));
        Assert.IsType<Tanh>(m.GetSubmodule<Module<Tensor, Tensor>>("2.1"));
        var ex = Assert.Throws<ArgumentException>(() => m.GetSubmodule<Conv2d>("2.0"));
        Assert.Contains("'2.0' is a Linear, not a Conv2d", ex.Message);
    }

    [Fact]
    public void BadPath_ListsTheChildrenAtTheFailingLevel()
    {
        var m = Mlp();
        var ex = Assert.Throws<ArgumentException>(() => m.GetSubmodule("2.5.weight"));
        Assert.Contains("'2' (Sequential) has no child '5'", ex.Message);
        Assert.Contains("its children are: 0, 1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => m.Replace("7", new ReLU()));
        Assert.Contains("Sequential has no child '7'; its children are: 0, 1, 2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => m.GetSubmodule("0.weight"));
        Assert.Contains("it is a parameter, not a submodule", ex.Message);
        Assert.Throws<ArgumentException>(() => m.Replace("", new ReLU()));
    }

    [Fact]
    public void ReplaceByPath_KeepsStateDictKeysAndValues_AndForwardUsesTheReplacement()
    {
        var m = Mlp();
        var x = Tensor.Randn([5, 4], new Generator(3));
        var before = Snapshot(m);
        var keys = m.StateDict().Keys.ToList();
        var old = (Linear)m.GetSubmodule("2.0");
        var y0 = m.Forward(x).ToArray();

        var returned = m.Replace("2.0", DoubledLinear.From(old));

        Assert.Same(old, returned);
        Assert.IsType<DoubledLinear>(m.GetSubmodule("2.0"));
        Assert.Equal(keys, m.StateDict().Keys);
        foreach (var (k, v) in Snapshot(m)) Assert.Equal(before[k], v);
        // The nested Sequential reads its layers from the registry: the forward changes.
        var h = Functional.Relu(((Linear)m[0]).Forward(x));
        var expected = Functional.Tanh(Functional.Linear(h, old.Weight * 2f, old.Bias)).ToArray();
        AssertClose.Equal(expected, m.Forward(x).ToArray(), what: "forward after replace");
        Assert.NotEqual(y0, m.Forward(x).ToArray());
    }

    [Fact]
    public void SetSubmodule_ReplacesOrAdds_LikeTorch()
    {
        var m = Mlp();
        var tanh = m.GetSubmodule("2.1");
        m.SetSubmodule("2.1", new Sigmoid());
        Assert.IsType<Sigmoid>(m.GetSubmodule("2.1"));
        Assert.NotSame(tanh, m.GetSubmodule("2.1"));
        m.SetSubmodule("2.2", new Identity());
        Assert.Equal(["0", "1", "2"], m.GetSubmodule("2").NamedChildren().Select(c => c.Name).Take(3));
        Assert.Equal(3, ((Sequential)m.GetSubmodule("2")).Count);
        Assert.Throws<ArgumentException>(() => m.SetSubmodule("2.9", new Identity(), strict: true));
        Assert.Throws<ArgumentException>(() => m.SetSubmodule("9.0", new Identity()));
    }

    [Fact]
    public void ReplaceByType_ReplacesEveryDescendant_ReturnsPaths_KeepsState()
    {
        var m = Mlp();
        var x = Tensor.Randn([5, 4], new Generator(4));
        var before = Snapshot(m);
        var linears = m.Modules().OfType<Linear>().ToList();

        var paths = m.Replace<Linear>(DoubledLinear.From);

        Assert.Equal(["0", "2.0"], paths);
        Assert.All(m.Modules().OfType<Linear>(), l => Assert.IsType<DoubledLinear>(l));
        Assert.Equal(before.Keys, m.StateDict().Keys);
        foreach (var (k, v) in Snapshot(m)) Assert.Equal(before[k], v);
        var h = Functional.Relu(Functional.Linear(x, linears[0].Weight * 2f, linears[0].Bias));
        var expected = Functional.Tanh(Functional.Linear(h, linears[1].Weight * 2f, linears[1].Bias)).ToArray();
        AssertClose.Equal(expected, m.Forward(x).ToArray(), what: "forward after Replace<Linear>");
        // A factory that returns the module itself keeps it and reports nothing.
        Assert.Empty(m.Replace<Linear>(l => l));
    }

    [Fact]
    public void ReplaceByType_WrapperHoldingTheOldModule_IsNotRecursedInto_AndFilterWorks()
    {
        var m = Mlp();
        var wrappers = new List<Counting>();
        var paths = m.Replace<Linear>(l => { var c = new Counting(l); wrappers.Add(c); return c; }, where: (path, _) => path != "0");
        Assert.Equal(["2.0"], paths);
        Assert.Single(wrappers);
        Assert.Contains("2.0.inner.weight", m.StateDict().Keys);
        m.Forward(Tensor.Randn([2, 4], new Generator(5)));
        m.Forward(Tensor.Randn([2, 4], new Generator(6)));
        Assert.Equal(2, wrappers[0].Calls);
    }

    [Fact]
    public void ReplaceByType_SharedModule_IsReplacedOnceAndStaysShared()
    {
        var shared = new Linear(3, 3);
        var m = new Sequential(shared, new ReLU(), shared);
        int calls = 0;
        var paths = m.Replace<Linear>(l => { calls++; return DoubledLinear.From(l); });
        Assert.Equal(["0", "2"], paths);
        Assert.Equal(1, calls);
        Assert.Same(m[0], m[2]);
    }

    [Fact]
    public void Replace_IncompatibleKind_IsRefused_AndTheModelIsUnchanged()
    {
        var typed = new TypedChild();
        var ex = Assert.Throws<InvalidOperationException>(() => typed.Replace("fc", new Identity()));
        Assert.Contains("registered it as Linear", ex.Message);
        typed.Replace("fc", new DoubledLinear(2, 2)); // a subclass is fine

        var cached = new CachesChild();
        ex = Assert.Throws<InvalidOperationException>(() => cached.Replace("fc", new DoubledLinear(2, 2)));
        Assert.Contains("field _fc", ex.Message);
        Assert.IsNotType<DoubledLinear>(cached.GetSubmodule("fc"));

        var seq = new Sequential(new Linear(2, 2), new Sequential(new ReLU()));
        ex = Assert.Throws<InvalidOperationException>(() => seq.Replace("1.0", seq));
        Assert.Contains("cycle", ex.Message);

        // Replace<T> checks everything first: one bad replacement leaves the others undone.
        var mixed = new Sequential(new Linear(2, 2), new TypedChild());
        Assert.Throws<InvalidOperationException>(() => mixed.Replace<Linear>(l => new Identity()));
        Assert.IsType<Linear>(mixed[0]);
    }

    [Fact]
    public void Hooks_RunInOrder_PreHookReplacesInput_PostHookReplacesOutput_RemovalWorks()
    {
        var lin = new Linear(3, 2, generator: new Generator(7));
        var x = Tensor.Randn([4, 3], new Generator(8));
        var plain = lin.Forward(x).ToArray();
        var log = new List<string>();
        var h1 = lin.RegisterForwardPreHook((m, input) => { log.Add("pre1"); return input * 2f; });
        var h2 = lin.RegisterForwardPreHook((m, input) => { log.Add("pre2"); Assert.Same(lin, m); });
        Tensor? seenInput = null;
        var h3 = lin.RegisterForwardHook((m, input, output) => { log.Add("post1"); seenInput = input; return output + 1f; });
        var h4 = lin.RegisterForwardHook((m, input, output) => log.Add("post2"));

        var y = lin.Forward(x);

        Assert.Equal(["pre1", "pre2", "post1", "post2"], log);
        Assert.Equal((x * 2f).ToArray(), seenInput!.ToArray()); // the post-hook sees the pre-hooks' input
        AssertClose.Equal((Functional.Linear(x * 2f, lin.Weight, lin.Bias) + 1f).ToArray(), y.ToArray());

        h1.Remove(); h3.Dispose(); h3.Dispose(); // removing twice is harmless
        log.Clear();
        Assert.Equal(plain, lin.Forward(x).ToArray());
        Assert.Equal(["pre2", "post2"], log);
        using (h2) using (h4) { }
        log.Clear();
        lin.Forward(x);
        Assert.Empty(log);
    }

    [Fact]
    public void Hook_CanRemoveItselfWhileRunning()
    {
        var relu = new ReLU();
        int calls = 0;
        RemovableHandle? handle = null;
        handle = relu.RegisterForwardHook((m, x, y) => { calls++; handle!.Remove(); });
        relu.Forward(Tensor.Ones(2));
        relu.Forward(Tensor.Ones(2));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void RequiresGrad_FreezesParameters_NoGrads_OptimizerSkipsThem()
    {
        var m = Mlp();
        var frozen = m.GetSubmodule("0").RequiresGrad_(false);
        Assert.Same(m.GetSubmodule("0"), frozen);
        var w0 = ((Linear)m[0]).Weight.ToArray();
        var w1Before = ((Linear)m.GetSubmodule("2.0")).Weight.ToArray();
        var opt = new Sgd(m.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 0.01);
        for (int i = 0; i < 2; i++)
        {
            opt.ZeroGrad();
            m.Forward(Tensor.Randn([5, 4], new Generator(9 + i))).Sum().Backward();
            Assert.All(m.GetSubmodule("0").Parameters(), p => Assert.Null(p.Grad));
            Assert.All(m.GetSubmodule("2").Parameters(), p => Assert.NotNull(p.Grad));
            opt.Step();
        }
        Assert.Equal(w0, ((Linear)m[0]).Weight.ToArray());
        Assert.NotEqual(w1Before, ((Linear)m.GetSubmodule("2.0")).Weight.ToArray());

        m.RequiresGrad_(true);
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void ConvSubclass_EffectiveWeight_ChangesForward_KeepsNames()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1, generator: new Generator(10));
        var half = new HalvedConv(conv);
        var x = Tensor.Randn([1, 2, 5, 5], new Generator(11));
        Assert.Equal(conv.StateDict().Keys, half.StateDict().Keys);
        AssertClose.Equal(Functional.Conv2d(x, conv.Weight * 0.5f, conv.Bias, 1, 1).ToArray(), half.Forward(x).ToArray());
    }

    private sealed class HalvedConv : Conv2d
    {
        public HalvedConv(Conv2d c) : base(c.InChannels, c.OutChannels, c.KernelSize, c.Stride, c.Padding)
        {
            using (Torch.NoGrad()) { Weight.CopyFrom(c.Weight); Bias!.CopyFrom(c.Bias!); }
        }
        protected override Tensor EffectiveWeight() => Weight * 0.5f;
    }
}
