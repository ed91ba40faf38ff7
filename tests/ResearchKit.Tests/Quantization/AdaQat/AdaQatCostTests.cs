using ResearchKit.Quantization.AdaQat;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Quantization.AdaQat;

public class AdaQatCostTests
{
    [Theory]
    [InlineData(AdaQatCostKind.BitProduct, 1, 1)]
    [InlineData(AdaQatCostKind.BitProduct, 5, 3)]
    [InlineData(AdaQatCostKind.BitProduct, 4, 0)]
    [InlineData(AdaQatCostKind.MeanBits, 3, 4)]
    public void Gradient_MatchesCentralFiniteDifferencesOfTheCost(AdaQatCostKind kind, int nw, int na)
    {
        var cost = new AdaQatCost(kind, 0.37);
        var u = Tensor.Rand([nw + na], new Generator(nw * 10 + na)).ToArray();
        var w = Enumerable.Range(0, nw).Select(i => 2 + 6.0 * u[i]).ToArray();
        var a = Enumerable.Range(0, na).Select(i => 2 + 6.0 * u[nw + i]).ToArray();
        var (gw, ga) = cost.Gradient(w, a);
        const double h = 1e-4;
        for (int i = 0; i < nw; i++)
        {
            var p = (double[])w.Clone(); p[i] += h;
            var m = (double[])w.Clone(); m[i] -= h;
            Assert.Equal((cost.Value(p, a) - cost.Value(m, a)) / (2 * h), gw[i], 8);
        }
        for (int j = 0; j < na; j++)
        {
            var p = (double[])a.Clone(); p[j] += h;
            var m = (double[])a.Clone(); m[j] -= h;
            Assert.Equal((cost.Value(w, p) - cost.Value(w, m)) / (2 * h), ga[j], 8);
        }
    }

    [Fact]
    public void PerNetworkBitProduct_IsLambdaTimesTheProduct_AndItsGradientTheOtherWidth()
    {
        var cost = new AdaQatCost(AdaQatCostKind.BitProduct, 0.02);
        Assert.Equal(0.02 * 3 * 5, cost.Value([3.0], [5.0]), 12);
        var (gw, ga) = cost.Gradient([3.0], [5.0]);
        Assert.Equal(0.02 * 5, gw[0], 12); // the authors' code: λ·N_a for the weights
        Assert.Equal(0.02 * 3, ga[0], 12); // and λ·N_w for the activations
    }

    [Fact]
    public void BadInput_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new AdaQatCost(AdaQatCostKind.BitProduct, double.NaN));
        Assert.Contains("no bit width", Assert.Throws<ArgumentException>(() => new AdaQatCost(AdaQatCostKind.MeanBits, 1).Value([], [])).Message);
    }
}
