using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.AutogradEngine;

/// <summary>
/// Defect 1 of the engine-correctness issue: without version counters, an in-place write between forward and
/// backward silently corrupted gradients (<c>w.Grad</c> came out [30, 40] instead of [3, 4]).
/// </summary>
public class VersionCounterTests
{
    private static InvalidOperationException AssertModifiedInPlace(Action backward, string op)
    {
        var e = Assert.Throws<InvalidOperationException>(backward);
        Assert.Contains("modified by an inplace operation", e.Message);
        Assert.Contains($"'{op}'", e.Message);
        return e;
    }

    [Fact]
    public void InPlaceWriteToASavedInput_IsRefusedAtBackward_NotSilentlyWrong()
    {
        var w = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var x = Tensor.FromArray([3f, 4]);
        var y = (w * x).Sum();
        x.Mul_(10f);
        var e = AssertModifiedInPlace(() => y.Backward(), "mul");
        Assert.Contains("version 1; expected version 0", e.Message);
        Assert.Null(w.Grad); // refused before any rule ran: nothing half-written
    }

    [Fact]
    public void ChangingAWeightUnderNoGrad_BetweenForwardAndBackward_IsRefused()
    {
        var w = Tensor.FromArray([1f, 2]).RequiresGrad_();
        w.Name = "fc.weight";
        var x = Tensor.FromArray([3f, 4]).RequiresGrad_();
        var y = (w * x).Sum();
        using (Torch.NoGrad()) w.Add_(Tensor.FromArray([5f, 5]));
        var e = AssertModifiedInPlace(() => y.Backward(), "mul");
        Assert.Contains("'fc.weight'", e.Message);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void EveryKindOfInPlaceWrite_BumpsTheSharedVersion()
    {
        var t = Tensor.Zeros([2, 3]);
        int v = t.Version;
        t.Add_(1f); Assert.Equal(++v, t.Version);
        t.Mul_(2f); Assert.Equal(++v, t.Version);
        t.Mul_(Tensor.FromArray([1f, 2, 3])); Assert.Equal(++v, t.Version);
        t.Div_(Tensor.FromArray([1f, 2, 3])); Assert.Equal(++v, t.Version);
        t.Clamp_(0f, 1f); Assert.Equal(++v, t.Version);
        t.Fill_(3f); Assert.Equal(++v, t.Version);
        t.CopyFrom(Tensor.Ones([2, 3])); Assert.Equal(++v, t.Version);
        t.AsSpan()[0] = 7f; Assert.Equal(++v, t.Version);
        // Views and detached aliases share the storage, hence the counter, in both directions.
        var row = t.Select(0, 1);
        row.Fill_(0f); Assert.Equal(++v, t.Version);
        t.Detach().Add_(1f); Assert.Equal(++v, row.Version);
        // Reading does not count.
        _ = t.AsReadOnlySpan(); _ = t.ToArray(); _ = t.Sum();
        Assert.Equal(v, t.Version);
    }

    [Fact]
    public void WriteThroughAViewOrASpan_OfASavedTensor_IsRefused()
    {
        var w = Tensor.FromArray([1f, 2, 3, 4]).RequiresGrad_();
        var x = Tensor.FromArray([1f, 1, 1, 1]);
        var y = (w * x).Sum();
        x.Slice(0, 1, 3).Fill_(9f);
        AssertModifiedInPlace(() => y.Backward(), "mul");

        var x2 = Tensor.FromArray([1f, 1, 1, 1]);
        var y2 = (w * x2).Sum();
        x2.AsSpan()[2] = 5f;
        AssertModifiedInPlace(() => y2.Backward(), "mul");
    }

    [Fact]
    public void ASavedOutput_ModifiedUnderNoGrad_IsRefused()
    {
        var x = Tensor.FromArray([0.5f, -1f]).RequiresGrad_();
        var y = x.Exp(); // exp's backward reads its own output
        using (Torch.NoGrad()) y.Mul_(2f);
        AssertModifiedInPlace(() => y.Sum().Backward(), "exp");
    }

    [Fact]
    public void AnOpThatSavesNothing_StillBackpropagatesAfterTheWrite_AsInPyTorch()
    {
        // add reads no tensor data in backward, so PyTorch allows this and so do we.
        var w = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var x = Tensor.FromArray([3f, 4]);
        var y = (w + x).Sum();
        x.Mul_(10f);
        y.Backward();
        Assert.Equal(new[] { 1f, 1 }, w.Grad!.ToArray());
    }

    [Fact]
    public void WritesAfterBackward_AreFine_AsInAnOptimizerStep()
    {
        var w = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var x = Tensor.FromArray([3f, 4]);
        (w * x).Sum().Backward();
        using (Torch.NoGrad()) w.Sub_(w.Grad!, 0.1f);
        Assert.Equal(new[] { 3f, 4 }, w.Grad!.ToArray());
        Assert.Equal(new[] { 0.7f, 1.6f }, w.ToArray());
    }

    private sealed class SavesX : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0]); return x[0] * x[0]; }
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * ctx.SavedTensors[0] * 2f];
    }

    [Fact]
    public void CustomFunction_SavedTensorsAreVersionChecked()
    {
        var x = Tensor.FromArray([1f, 2]).RequiresGrad_();
        var y = new SavesX().Apply(x);
        using (Torch.NoGrad()) x.Mul_(3f);
        AssertModifiedInPlace(() => y.Sum().Backward(), "SavesX");
    }
}
