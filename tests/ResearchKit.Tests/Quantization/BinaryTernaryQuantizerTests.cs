using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class BinaryTernaryQuantizerTests
{
    private static Tensor W() => Tensor.FromArray([0.5f, -1.5f, 2f, -0.1f], 2, 2);

    [Fact]
    public void Binary_PerTensor_SignTimesMeanAbs()
    {
        // mean|W| = (0.5 + 1.5 + 2 + 0.1)/4 = 1.025.
        var q = new BinaryQuantizer();
        Close([1.025f, -1.025f, 1.025f, -1.025f], q.Quantize(W()).ToArray());
        Close([-1.025f, 1.025f], q.Grid(W()).Shared);
        Assert.Equal(1, q.BitWidth);
    }

    [Fact]
    public void Binary_PerChannel_OneScalePerRow()
    {
        // Row 0: mean(0.5, 1.5) = 1; row 1: mean(2, 0.1) = 1.05.
        var q = new BinaryQuantizer(QuantGranularity.PerChannel);
        Close([1f, -1f, 1.05f, -1.05f], q.Quantize(W()).ToArray());
        var grid = q.Grid(W());
        Close([-1f, 1f], grid.Levels[0]);
        Close([-1.05f, 1.05f], grid.Levels[1]);
    }

    [Fact]
    public void Binary_Gradient_IsScaledHardTanhSte()
    {
        // d(Σ sign_i·m)/dw_j = m·1{|w_j| ≤ 1} + (Σ_i sign_i)·sign(w_j)/n; here Σ sign_i = 1 − 1 + 1 − 1 = 0, so only the first term:
        // 1.025·[1, 0, 0, 1].
        var w = W().RequiresGrad_();
        new BinaryQuantizer().Quantize(w).Sum().Backward();
        Close([1.025f, 0f, 0f, 1.025f], w.Grad!.ToArray());
    }

    [Fact]
    public void Ternary_ThresholdAndScale_HandComputed()
    {
        // mean|W| = (0.1 + 0.9 + 0.5 + 1.2 + 0.3 + 0)/6 = 0.5 → Δ = 0.35; codes [0, −1, 1, 1, 0, 0];
        // α = (0.9 + 0.5 + 1.2)/3 = 0.866667.
        var w = Tensor.FromArray([0.1f, -0.9f, 0.5f, 1.2f, -0.3f, 0f], 2, 3);
        var q = new TernaryQuantizer();
        var (delta, scale) = q.Thresholds(w);
        Assert.Equal(0.35f, delta[0], 6);
        Assert.Equal(0.866667f, scale[0], 5);
        float a = 2.6f / 3f;
        Close([0f, -a, a, a, 0f, 0f], q.Quantize(w).ToArray());
        Close([-a, 0f, a], q.Grid(w).Shared);
        Assert.Equal(2, q.BitWidth);
    }

    [Fact]
    public void Ternary_PerChannel_AndAllZeroRow()
    {
        // Row 0: mean|·| = (0.1 + 0.9 + 0.5)/3 = 0.5, Δ = 0.35, codes [0, −1, 1], α = 0.7. Row 1 is all zero: α = 0, output 0.
        var w = Tensor.FromArray([0.1f, -0.9f, 0.5f, 0f, 0f, 0f], 2, 3);
        var y = new TernaryQuantizer(QuantGranularity.PerChannel).Quantize(w).ToArray();
        Close([0f, -0.7f, 0.7f, 0f, 0f, 0f], y);
    }

    [Fact]
    public void Ternary_Gradient_IsStraightThroughPlusScale()
    {
        // L = Σ α·t_i. ∂/∂w_j = α·1 (STE on the codes, for every j) + (Σ t_i)·∂α/∂w_j, where α = Σ_{kept}|w|/3 and
        // Σ t_i = 1 (codes 0, −1, 1, 1, 0, 0): kept j get sign(w_j)/3. So [α, α − 1/3, α + 1/3, α + 1/3, α, α].
        var w = Tensor.FromArray([0.1f, -0.9f, 0.5f, 1.2f, -0.3f, 0f], 2, 3).RequiresGrad_();
        new TernaryQuantizer().Quantize(w).Sum().Backward();
        float a = 2.6f / 3f, t = 1f / 3f;
        Close([a, a - t, a + t, a + t, a, a], w.Grad!.ToArray());
    }

    [Fact]
    public void GridsThatDependOnTheData_RequireIt()
    {
        Assert.Throws<ArgumentException>(() => new BinaryQuantizer().Grid());
        Assert.Throws<ArgumentException>(() => new TernaryQuantizer().Grid());
        Assert.Contains("thresholdFactor", Assert.Throws<ArgumentException>(() => new TernaryQuantizer(thresholdFactor: 0f)).Message);
    }
}
