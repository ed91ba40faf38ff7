using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

public class AutogradEngineTests
{
    [Fact]
    public void Backward_SimpleChain_GivesAnalyticGradient()
    {
        var x = Tensor.FromArray([1f, 2, 3]).RequiresGrad_();
        var y = (x * x * 3f).Sum();
        y.Backward();
        Assert.Equal(new[] { 6f, 12, 18 }, x.Grad!.ToArray());
    }

    [Fact]
    public void Gradients_Accumulate_UntilCleared()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        (x * 2f).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal(new[] { 5f, 5 }, x.Grad!.ToArray());
        x.Grad = null;
        (x * 1f).Sum().Backward();
        Assert.Equal(new[] { 1f, 1 }, x.Grad!.ToArray());
    }

    [Fact]
    public void DiamondGraph_SumsBothPaths()
    {
        var x = Tensor.FromArray([2f]).RequiresGrad_();
        var a = x * 3f;
        var y = (a * a + a).Sum(); // 9x² + 3x → 18x + 3
        y.Backward();
        Assert.Equal(39f, x.Grad!.Item(), 4);
    }

    [Fact]
    public void SharedGradient_IsNotAliasedBetweenLeaves()
    {
        var a = Tensor.Ones(2).RequiresGrad_();
        var b = Tensor.Ones(2).RequiresGrad_();
        (a + b).Sum().Backward();
        using (Torch.NoGrad()) a.Grad!.Mul_(10f);
        Assert.Equal(new[] { 1f, 1 }, b.Grad!.ToArray());
    }

    [Fact]
    public void NoGrad_And_Detach_StopRecording()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        Tensor y;
        using (Torch.NoGrad()) y = x * 2f;
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.False(x.Detach().RequiresGrad);
        using (Torch.NoGrad())
        using (Torch.EnableGrad())
            Assert.True((x * 2f).RequiresGrad);
    }

    [Fact]
    public void Backward_OnTensorWithoutGrad_ExplainsFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Tensor.Ones(2) * 2f).Sum().Backward());
        Assert.Contains("RequiresGrad", ex.Message);
    }

    [Fact]
    public void Backward_NonScalarWithoutGradient_Throws_AndShapeMismatchNamesShapes()
    {
        var x = Tensor.Ones(2, 2).RequiresGrad_();
        var y = x * 2f;
        Assert.Throws<ArgumentException>(() => y.Backward());
        var ex = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones(3)));
        Assert.Contains("(3,)", ex.Message);
        Assert.Contains("(2, 2)", ex.Message);
    }

    [Fact]
    public void AutogradGrad_ReturnsInputGradient_WithoutTouchingGrad()
    {
        var w = Tensor.FromArray([1f, -1f]).RequiresGrad_();
        var x = Tensor.FromArray([0.5f, 2f]).RequiresGrad_();
        var loss = (w * x).Sum();
        var gx = Autograd.Grad(loss, x);
        Assert.Equal(new[] { 1f, -1f }, gx.ToArray());
        Assert.Null(x.Grad);
        Assert.Null(w.Grad);
    }

    [Fact]
    public void AutogradGrad_IntermediateInput()
    {
        var x = Tensor.FromArray([1f, 2f]).RequiresGrad_();
        var h = x * 3f;
        var y = (h * h).Sum();
        var gh = Autograd.Grad(y, h);
        Assert.Equal(new[] { 6f, 12f }, gh.ToArray());
    }

    [Fact]
    public void AutogradGrad_UnusedInput_ThrowsOrZeros()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var z = Tensor.Ones(3).RequiresGrad_();
        var y = x.Sum();
        Assert.Throws<InvalidOperationException>(() => Autograd.Grad([y], [x, z]));
        var g = Autograd.Grad([x.Sum()], [x, z], allowUnused: true);
        Assert.Equal(new float[3], g[1].ToArray());
    }

    [Fact]
    public void CreateGraph_GivesSecondDerivative()
    {
        var x = Tensor.FromArray([2f]).RequiresGrad_();
        var y = (x * x * x).Sum();                      // x³
        var g = Autograd.Grad(y, x, createGraph: true); // 3x² = 12
        Assert.Equal(12f, g.Item(), 4);
        var g2 = Autograd.Grad(g.Sum(), x);    // 6x = 12
        Assert.Equal(12f, g2.Item(), 4);
    }

    [Fact]
    public void RetainGrad_KeepsIntermediateGradient()
    {
        var x = Tensor.FromArray([1f, 2f]).RequiresGrad_();
        var h = (x * 2f).RetainGrad();
        (h * h).Sum().Backward();
        Assert.Equal(new[] { 4f, 8f }, h.Grad!.ToArray());
    }

    private sealed class RoundSte : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0].Round();
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
    }

    private sealed class ClippedIdentity : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) { ctx.SaveForBackward(inputs[0]); return inputs[0]; }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * ctx.SavedTensors[0].Abs().Le(1f)];
    }

    private sealed class WrongShape : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0] * 1f;
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [Tensor.Ones(5)];
    }

    [Fact]
    public void CustomFunction_StraightThroughEstimator()
    {
        var x = Tensor.FromArray([0.4f, 1.6f]).RequiresGrad_();
        var y = new RoundSte().Apply(x);
        Assert.Equal(new[] { 0f, 2f }, y.ToArray());
        Assert.Equal("RoundSte", y.GradFn!.Name);
        (y * Tensor.FromArray([3f, 5f])).Sum().Backward();
        Assert.Equal(new[] { 3f, 5f }, x.Grad!.ToArray());
    }

    [Fact]
    public void CustomFunction_ReturningItsInput_StillRecordsAndClips()
    {
        var x = Tensor.FromArray([0.5f, 2f, -3f]).RequiresGrad_();
        var y = new ClippedIdentity().Apply(x);
        Assert.NotSame(x, y);
        Assert.True(x.IsLeaf);
        y.Sum().Backward();
        Assert.Equal(new[] { 1f, 0f, 0f }, x.Grad!.ToArray());
    }

    [Fact]
    public void CustomFunction_WrongGradientShape_IsReported()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => new WrongShape().Apply(x).Sum().Backward());
        Assert.Contains("WrongShape", ex.Message);
        Assert.Contains("(5,)", ex.Message);
    }
}
