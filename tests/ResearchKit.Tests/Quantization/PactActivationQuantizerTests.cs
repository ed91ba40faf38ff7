using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class PactActivationQuantizerTests
{
    // α = 2, b = 2: a = 3 steps of 2/3. x = [−1, 0.3, 0.5, 1.2, 2, 3].
    private static readonly float[] X = [-1f, 0.3f, 0.5f, 1.2f, 2f, 3f];

    [Fact]
    public void Forward_ClampsAndQuantizes_HandComputed()
    {
        var q = new PactActivationQuantizer(2, initialAlpha: 2f);
        // clamp → [0, 0.3, 0.5, 1.2, 2, 2]; ÷(2/3) → [0, 0.45, 0.75, 1.8, 3, 3]; round → [0, 0, 1, 2, 3, 3]; ×(2/3).
        Close([0f, 0f, 2f / 3f, 4f / 3f, 2f, 2f], q.Quantize(T(X)).ToArray());
        Close([0f, 2f / 3f, 4f / 3f, 2f], q.Grid().Shared);
        Assert.Equal(2, q.BitWidth);
    }

    [Fact]
    public void Backward_IsPactsRule_HandComputed()
    {
        var q = new PactActivationQuantizer(2, initialAlpha: 2f);
        var x = T(X).RequiresGrad_();
        (q.Quantize(x) * T(1f, 2f, 3f, 4f, 5f, 6f)).Sum().Backward();
        // ∂/∂x = 1 on [0, α) only: x = −1 → 0, x = 2 (= α) and 3 → 0 (they go to α).
        Close([0f, 2f, 3f, 4f, 0f, 0f], x.Grad!.ToArray(), 0f);
        // ∂/∂α = Σ g where x ≥ α = 5 + 6.
        Assert.Equal(11f, q.Alpha.Grad!.Item());
    }

    [Fact]
    public void Backward_MatchesFiniteDifferencesOfTheClamp()
    {
        // Away from the rounding, y_q follows clamp(x, 0, α); finite differences of Σ g·clamp(x, 0, α) in x and in α
        // must equal PACT's straight-through gradients (points kept away from 0 and α).
        float[] x = [-0.7f, 0.4f, 1.1f, 2.6f, 3.3f];
        float[] g = [1f, -2f, 0.5f, 3f, 1.5f];
        const float alpha = 2.5f;
        var q = new PactActivationQuantizer(3, alpha);
        var analyticX = AutogradGrad(q.Quantize, x, g, [5]);
        Close(NumericGrad(t => t.Clamp(0f, alpha), x, g, [5]), analyticX, 1e-3f);

        float[] alphaArr = [alpha];
        var xs = T(x);
        float numericAlpha = NumericGrad(a => (xs.Clamp(Tensor.Zeros(5), a.Expand(5)) * T(g)).Sum().Reshape(1), alphaArr, [1f], [1])[0];
        var xt = T(x);
        q.Alpha.Grad = null;
        (q.Quantize(xt) * T(g)).Sum().Backward();
        Assert.Equal(numericAlpha, q.Alpha.Grad!.Item(), 2);   // 3 + 1.5 = 4.5
        Assert.Equal(4.5f, q.Alpha.Grad!.Item());
    }

    [Fact]
    public void Alpha_IsALearnableScalar_DefaultTen()
    {
        var q = new PactActivationQuantizer(4);
        Assert.True(q.Alpha.RequiresGrad);
        Assert.True(q.Alpha.IsLeaf);
        Assert.Equal(10f, q.Alpha.Item());
    }

    [Fact]
    public void RejectsBadInput()
    {
        Assert.Contains("initialAlpha", Assert.Throws<ArgumentException>(() => new PactActivationQuantizer(2, 0f)).Message);
        Assert.Contains("bit width", Assert.Throws<ArgumentException>(() => new PactActivationQuantizer(0)).Message);
    }
}
