using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class StochasticBinaryQuantizerTests
{
    private static readonly float[] X = [-1.5f, -0.5f, 0f, 0.6f, 1.5f];

    [Fact]
    public void SameSeed_SameOutput()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (i - 32) / 20f).ToArray(), 8, 8);
        var a = new StochasticBinaryQuantizer(new Generator(7)).Quantize(x).ToArray();
        var b = new StochasticBinaryQuantizer(new Generator(7)).Quantize(x).ToArray();
        var c = new StochasticBinaryQuantizer(new Generator(8)).Quantize(x).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a, v => Assert.True(v == 1f || v == -1f));
    }

    [Fact]
    public void FrequencyOfPlusOne_IsHardSigmoid_Within3Sigma()
    {
        // P(+1) = clamp((x + 1)/2, 0, 1) = [0, 0.25, 0.5, 0.8, 1] (Eq. 2.25); N = 20000 draws per value,
        // σ = sqrt(p(1 − p)/N) ≤ 0.0036.
        const int n = 20000;
        var data = new float[n * X.Length];
        for (int r = 0; r < n; r++) X.CopyTo(data, r * X.Length);
        var y = new StochasticBinaryQuantizer(new Generator(123)).Quantize(Tensor.FromArray(data, n, X.Length)).ToArray();
        for (int j = 0; j < X.Length; j++)
        {
            int plus = 0;
            for (int r = 0; r < n; r++) if (y[r * X.Length + j] == 1f) plus++;
            double p = StochasticBinaryQuantizer.HardSigmoid(X[j]), f = (double)plus / n, sigma = Math.Sqrt(p * (1 - p) / n);
            Assert.True(Math.Abs(f - p) <= 3 * sigma, $"x = {X[j]}: frequency {f:F4}, expected {p:F4} ± {3 * sigma:F4}.");
        }
    }

    [Fact]
    public void Gradient_IsHardTanhSte()
    {
        var x = T(X).RequiresGrad_();
        var q = new StochasticBinaryQuantizer(new Generator(1));
        q.Quantize(x).Sum().Backward();
        Close([0f, 1f, 1f, 1f, 0f], x.Grad!.ToArray(), 0f);
        Assert.Equal(1, q.BitWidth);
        Close([-1f, 1f], q.Grid().Shared, 0f);
    }
}
