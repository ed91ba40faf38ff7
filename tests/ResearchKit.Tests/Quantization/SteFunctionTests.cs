using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class SteFunctionTests
{
    [Fact]
    public void RoundSte_RoundsToNearestEven_AndPassesGradientThrough()
    {
        var x = T(0.4f, 0.6f, 2.5f, -1.5f, -3.7f).RequiresGrad_();
        var y = RoundSte.Apply(x);
        // 2.5 → 2 and −1.5 → −2: ties to even, like torch.round.
        Close([0f, 1f, 2f, -2f, -4f], y.ToArray(), 0f);
        (y * T(1f, 2f, 3f, 4f, 5f)).Sum().Backward();
        Close([1f, 2f, 3f, 4f, 5f], x.Grad!.ToArray(), 0f);   // dy/dx := 1
    }

    [Fact]
    public void FloorSte_Floors_AndPassesGradientThrough()
    {
        var x = T(0.4f, 0.999f, -0.5f, 2f).RequiresGrad_();
        var y = FloorSte.Apply(x);
        Close([0f, 0f, -1f, 2f], y.ToArray(), 0f);
        y.Sum().Backward();
        Close([1f, 1f, 1f, 1f], x.Grad!.ToArray(), 0f);
    }

    [Fact]
    public void SignSte_IsBinary_WithHardTanhGradient()
    {
        var x = T(-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f).RequiresGrad_();
        var y = SignSte.Apply(x);
        // sign(0) = +1 (Eq. 2.24: +1 if x ≥ 0), so the output has no zeros.
        Close([-1f, -1f, -1f, 1f, 1f, 1f, 1f], y.ToArray(), 0f);
        y.Sum().Backward();
        // Gradient 1 where |x| ≤ 1 (inclusive at ±1), 0 outside: BNN's hard-tanh STE.
        Close([0f, 1f, 1f, 1f, 1f, 1f, 0f], x.Grad!.ToArray(), 0f);
    }

    [Fact]
    public void SteFunctions_RecordNothing_WithoutRequiresGrad()
    {
        var y = RoundSte.Apply(T(0.3f, 0.7f));
        Assert.False(y.RequiresGrad);
        Close([0f, 1f], y.ToArray(), 0f);
    }
}
