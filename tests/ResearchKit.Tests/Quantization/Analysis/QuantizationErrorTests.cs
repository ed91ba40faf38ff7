using ResearchKit.Quantization;
using ResearchKit.Quantization.Analysis;
using ResearchKit.Quantization.Minifloat;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization.Analysis;

public class QuantizationErrorTests
{
    [Fact]
    public void Between_HandComputed()
    {
        // Errors [0, −0.5, −0.25, 0]: MSE = (0.25 + 0.0625)/4 = 0.078125; signal 1 + 4 + 0.25 = 5.25, noise 0.3125,
        // SQNR = 10·log10(16.8) = 12.2531 dB; max |e| = 0.5.
        var e = QuantizationError.Between([1f, -2f, 0.5f, 0f], [1f, -1.5f, 0.75f, 0f]);
        Assert.Equal(0.078125, e.Mse, 12);
        Assert.Equal(12.253092817258627, e.SqnrDb, 9);
        Assert.Equal((0.5, 4), (e.MaxAbsError, e.Count));
    }

    [Fact]
    public void Of_FixedPointQuantizer_HandComputed()
    {
        // Q1.2: −3 saturates to −2 (error 1), 0.3 rounds to 0.25 (error 0.05), 1 is exact.
        var e = QuantizationError.Of(new FixedPointQuantizer(1, 2), T(-3f, 0.3f, 1f));
        double e2 = 0.3f - 0.25;   // the float 0.3 is 0.300000012
        Assert.Equal((1 + e2 * e2) / 3, e.Mse, 12);
        Assert.Equal(1.0, e.MaxAbsError, 12);
        Assert.Equal(10 * Math.Log10((9 + 0.3f * (double)0.3f + 1) / (1 + e2 * e2)), e.SqnrDb, 9);
    }

    [Fact]
    public void EdgeCases()
    {
        Assert.Equal(double.PositiveInfinity, QuantizationError.Between([1f, 2f], [1f, 2f]).SqnrDb);
        Assert.Equal(double.NegativeInfinity, QuantizationError.Between([0f], [1f]).SqnrDb);
        Assert.Contains("same length", Assert.Throws<ArgumentException>(() => QuantizationError.Between([1f], [1f, 2f])).Message);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => QuantizationError.Between([], [])).Message);
    }

    [Fact]
    public void Minifloat_SqnrGainsAboutSixDbPerMantissaBit()
    {
        // Scaled to the top binade, Gaussian data lose little to range, so the mantissa sets the noise: E4M3 (M = 3)
        // should beat E5M2 (M = 2) by roughly 6 dB, and both stay under the uniform-noise SQNR of their step.
        var x = Tensor.Randn([20000], new Generator(6));
        double Sqnr(MinifloatFormat f) => QuantizationError.Of(new MinifloatQuantizer(f, MinifloatScaling.PowerOfTwoFromMax), x).SqnrDb;
        double d = Sqnr(MinifloatFormat.E4M3) - Sqnr(MinifloatFormat.E5M2);
        Assert.InRange(d, 4.5, 7.5);
    }
}
