using ResearchKit.Quantization;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization;

public class FixedPointAndPowerOfTwoQuantizerTests
{
    [Fact]
    public void FixedPoint_SignedQ1_2_HandComputed()
    {
        // Q1.2 signed: 1 + 1 + 2 = 4 bits, step 2^−2 = 0.25, range [−2, 2 − 0.25] = [−2, 1.75].
        var q = new FixedPointQuantizer(1, 2);
        Assert.Equal((4, -2f, 1.75f, 0.25f), (q.BitWidth, q.Min, q.Max, q.Step));
        var x = T(-3f, -0.3f, 0.125f, 0.375f, 1.6f, 5f).RequiresGrad_();
        var y = q.Quantize(x);
        // clamp → [−2, −0.3, 0.125, 0.375, 1.6, 1.75]; ×4 → [−8, −1.2, 0.5, 1.5, 6.4, 7]; round (ties to even) → [−8, −1, 0, 2, 6, 7]; ÷4.
        Close([-2f, -0.25f, 0f, 0.5f, 1.5f, 1.75f], y.ToArray(), 0f);
        y.Sum().Backward();
        Close([0f, 1f, 1f, 1f, 1f, 0f], x.Grad!.ToArray(), 0f);   // STE inside [−2, 1.75], 0 where saturated
        var grid = q.Grid().Shared;
        Assert.Equal(16, grid.Length);
        Assert.Equal((-2f, -1.75f, 1.75f), (grid[0], grid[1], grid[^1]));
    }

    [Fact]
    public void FixedPoint_UnsignedQ2_1()
    {
        // Unsigned Q2.1: 3 bits, [0, 4 − 0.5] = [0, 3.5], step 0.5.
        var q = new FixedPointQuantizer(2, 1, signed: false);
        Assert.Equal(3, q.BitWidth);
        Close([0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f], q.Grid().Shared, 0f);
        Close([0f, 1f, 3.5f], q.Quantize(T(-1f, 1.1f, 9f)).ToArray(), 0f);
    }

    [Fact]
    public void FixedPoint_RejectsBadInput()
    {
        Assert.Contains("sign bit", Assert.Throws<ArgumentException>(() => new FixedPointQuantizer(-1, 2)).Message);
        Assert.Contains("bit width", Assert.Throws<ArgumentException>(() => new FixedPointQuantizer(10, 10)).Message);
        Assert.Contains("bit width 0", Assert.Throws<ArgumentException>(() => new FixedPointQuantizer(0, 0, signed: false)).Message);
    }

    [Fact]
    public void PowerOfTwo_HandComputed()
    {
        // Exponents −2..1: levels ±{0.25, 0.5, 1, 2} and 0; 4 exponents + zero = 5 codes → 3 bits + sign = 4.
        var q = new PowerOfTwoQuantizer(-2, 1);
        Assert.Equal(4, q.BitWidth);
        Close([-2f, -1f, -0.5f, -0.25f, 0f, 0.25f, 0.5f, 1f, 2f], q.Grid().Shared, 0f);
        Assert.Null(q.Grid().Steps);
        var x = T(0f, 0.1f, 0.2f, -0.3f, 0.7f, 3f, -10f).RequiresGrad_();
        var y = q.Quantize(x);
        // log2|x|: 0.1 → −3.32 → −3 < −2 → 0; 0.2 → −2.32 → −2 → 0.25; 0.3 → −1.74 → −2 → −0.25; 0.7 → −0.51 → −1 → 0.5;
        // 3 → 1.58 → 2 → clamp 1 → 2; 10 → 3.32 → 3 → 1 → −2.
        Close([0f, 0f, 0.25f, -0.25f, 0.5f, 2f, -2f], y.ToArray(), 0f);
        y.Sum().Backward();
        Close([1f, 1f, 1f, 1f, 1f, 0f, 0f], x.Grad!.ToArray(), 0f);   // STE for |x| ≤ 2^1
    }

    [Fact]
    public void PowerOfTwo_RejectsSwappedRange() =>
        Assert.Contains("swap", Assert.Throws<ArgumentException>(() => new PowerOfTwoQuantizer(2, -2)).Message);
}
