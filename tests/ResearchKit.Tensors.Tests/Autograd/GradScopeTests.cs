using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>
/// Defect 4: <c>Autograd.Grad</c> computed every reachable gradient (an attack step paid for all weight gradients),
/// wrote <c>.Grad</c> of retained tensors against its doc, and kept every saved tensor after backward.
/// </summary>
public class GradScopeTests
{
    /// <summary>Identity whose backward counts its calls.</summary>
    private sealed class CountingIdentity : Function
    {
        public int BackwardCalls;
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) => x[0].Clone();
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) { BackwardCalls++; return [g]; }
    }

    [Fact]
    public void Grad_RunsOnlyTheBranchesThatLeadToTheRequestedInputs()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var w = Tensor.FromArray([3f, 4]).RequiresGrad_();
        var onW = new CountingIdentity();
        var onX = new CountingIdentity();
        var loss = (onW.Apply(w) * onX.Apply(x)).Sum();
        var gx = Autograd.Grad(loss, x);
        Assert.Equal(new[] { 3f, 4 }, gx.ToArray());
        Assert.Equal(1, onX.BackwardCalls);
        Assert.Equal(0, onW.BackwardCalls); // the weight branch never runs
        Assert.Null(w.Grad);
        Assert.Null(x.Grad);
    }

    /// <summary>Records which inputs its backward was asked for.</summary>
    private sealed class MulRecordingNeeds : Function
    {
        public readonly List<(bool, bool)> Asked = new();
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0], x[1]); return x[0] * x[1]; }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g)
        {
            bool na = ctx.NeedsInputGrad(0), nb = ctx.NeedsInputGrad(1);
            Asked.Add((na, nb));
            return [na ? g * ctx.SavedTensors[1] : null, nb ? g * ctx.SavedTensors[0] : null];
        }
    }

    [Fact]
    public void NeedsInputGrad_IsFalseForAnInputThatRequiresGradButWasNotAskedFor()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var w = Tensor.FromArray([3f, 4]).RequiresGrad_();
        var f = new MulRecordingNeeds();
        Autograd.Grad(f.Apply(x, w).Sum(), x, retainGraph: true);
        f.Apply(x, w).Sum().Backward();
        Assert.Equal(new[] { (true, false), (true, true) }, f.Asked);
    }

    [Fact]
    public void Grad_ThroughConvAndLinear_MatchesTheFullPass_AndLeavesWeightsUntouched()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1, generator: new Generator(1));
        var fc = new Linear(3 * 4 * 4, 5, generator: new Generator(2));
        var x = Tensor.Randn([2, 2, 4, 4], new Generator(3)).RequiresGrad_();
        var loss = fc.Forward(conv.Forward(x).Relu().Flatten(1)).Square().Sum();
        var gx = Autograd.Grad(loss, x, retainGraph: true);
        foreach (var p in conv.Parameters().Concat(fc.Parameters())) Assert.Null(p.Grad);
        loss.Backward();
        AssertClose.Equal(x.Grad!, gx, rtol: 1e-6, atol: 1e-6, what: "∂loss/∂x");
    }

    [Fact]
    public void Grad_DoesNotWriteRetainedGradients()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var h = (x * 3f).RetainGrad();
        var loss = (h * h).Sum();
        Autograd.Grad(loss, x, retainGraph: true);
        Assert.Null(h.Grad);
        Assert.Null(x.Grad);
        loss.Backward();
        Assert.Equal(new[] { 6f, 12 }, h.Grad!.ToArray());
    }

    [Fact]
    public void Grad_OfAnIntermediate_StopsThere()
    {
        var w = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var upstream = new CountingIdentity();
        var h = upstream.Apply(w) * 2f;
        var g = Autograd.Grad((h * h).Sum(), h);
        Assert.Equal(new[] { 4f, 8 }, g.ToArray());
        Assert.Equal(0, upstream.BackwardCalls);
    }

    [Fact]
    public void SecondBackwardWithoutRetainGraph_ThrowsLikePyTorch()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var loss = (x * x).Sum();
        loss.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("backward through the graph a second time", e.Message);
        Assert.Contains("retainGraph: true", e.Message);

        var loss2 = (x.Sin() * x).Sum();
        Autograd.Grad(loss2, x);
        Assert.Throws<InvalidOperationException>(() => Autograd.Grad(loss2, x));
    }

    [Fact]
    public void RetainGraph_AllowsASecondPass_WithTheSameResult()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var loss = (x.Sin() * x).Sum();
        var g1 = Autograd.Grad(loss, x, retainGraph: true).ToArray();
        var g2 = Autograd.Grad(loss, x).ToArray();
        Assert.Equal(g1, g2);
    }

    /// <summary>Saves a large tensor of its own making, so its lifetime shows whether the graph still holds it.</summary>
    private sealed class SavesScratch : Function
    {
        public WeakReference? Scratch;
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x)
        {
            var s = Tensor.Ones([1 << 16]);
            Scratch = new WeakReference(s);
            ctx.SaveForBackward(s);
            return x[0] * 2f;
        }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * 2f];
    }

    [Fact]
    public void SavedTensors_AreFreedAfterBackward_WhileTheGraphIsStillReferenced()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var f = new SavesScratch();
        var loss = f.Apply(x).Sum();
        loss.Backward();
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.False(f.Scratch!.IsAlive);
        GC.KeepAlive(loss);
    }

    [Fact]
    public void RetainGraph_KeepsSavedTensors()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var f = new SavesScratch();
        var loss = f.Apply(x).Sum();
        loss.Backward(retainGraph: true);
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.True(f.Scratch!.IsAlive);
        GC.KeepAlive(loss);
    }

    [Fact]
    public void CreateGraph_RetainsByDefault()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var loss = (x * x * x).Sum();
        var g = Autograd.Grad(loss, x, createGraph: true);
        var g2 = Autograd.Grad(loss, x); // the graph survived the createGraph pass
        Assert.Equal(g.ToArray(), g2.ToArray());
    }
}

/// <summary>
/// After backward the graph lets go of the activations, as PyTorch's does: a loss kept for logging (or last step's
/// graph, alive until the variable is reassigned) must not pin every intermediate tensor of the forward pass.
/// </summary>
public class ReleasedGraphMemoryTests
{
    private static (Tensor Loss, WeakReference Hidden) Forward(Tensor x, Tensor w)
    {
        var h = (x * w).Sin();        // saved by the mul below
        var z = h * h + h;            // add's rule keeps shapes only
        var c = Tensor.Cat([z, h], 0); // cat keeps sizes only
        return (c.LeakyRelu(0.1f).Sum(), new WeakReference(h));
    }

    [Fact]
    public void AfterBackward_IntermediatesAreCollectable_WhileTheLossIsStillReferenced()
    {
        var x = Tensor.Randn([1 << 12], new Generator(1));
        var w = Tensor.Randn([1 << 12], new Generator(2)).RequiresGrad_();
        var (loss, hidden) = Forward(x, w);
        loss.Backward();
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.False(hidden.IsAlive, "the released graph still references an intermediate activation");
        Assert.NotNull(loss.GradFn);
        GC.KeepAlive(loss);
    }

    [Fact]
    public void RetainGraph_KeepsThem_AndTheSecondPassAgrees()
    {
        var x = Tensor.Randn([64], new Generator(1));
        var w = Tensor.Randn([64], new Generator(2)).RequiresGrad_();
        var (loss, hidden) = Forward(x, w);
        loss.Backward(retainGraph: true);
        var first = w.Grad!.ToArray();
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.True(hidden.IsAlive);
        w.Grad = null;
        loss.Backward();
        Assert.Equal(first, w.Grad!.ToArray());
    }

    [Fact]
    public void AGraphWithoutSavedTensors_CanStillBeDifferentiatedAgain_AfterItsInputsWereReleased()
    {
        // As in PyTorch: add and views save nothing, so a second backward is allowed; the stand-ins route it.
        var w = Tensor.FromArray([1f, 2, 3]).RequiresGrad_();
        var y = (w + 1f).Reshape(3, 1).Slice(0, 1, 3).Sum();
        y.Backward();
        y.Backward();
        Assert.Equal(new[] { 0f, 2, 2 }, w.Grad!.ToArray());
    }
}
