using ResearchKit.Quantization;
using Xunit;

namespace ResearchKit.Tests.Quantization;

public class UniformAffineTests
{
    [Fact]
    public void ThesisWorkedExample_Eq220_Gives81()
    {
        // Fig. 2.15 / Eqs. 2.20–2.23: r = 1.75 in [−2.5, 3], B = 8.
        // S = 5.5 / 255 = 0.0215686; r / S = 1.75 · 255 / 5.5 = 81.136 → round → 81.
        var u = new UniformAffine(-2.5f, 3f, 8);
        Assert.Equal(5.5f / 255f, u.Scale, 6);
        Assert.Equal(81, u.QuantizeScaleOnly(1.75f));
    }

    [Fact]
    public void AffineForm_AddsZeroPoint_AndRoundTripsWithinHalfStep()
    {
        var u = new UniformAffine(-2.5f, 3f, 8);
        // Z = round(2.5 / S) = round(115.909) = 116; q = 81 + 116 = 197.
        Assert.Equal(116, u.ZeroPoint);
        Assert.Equal(197, u.Quantize(1.75f));
        // (197 − 116)·S = 81·5.5/255 = 1.747059, within S/2 of 1.75.
        Assert.Equal(1.747059f, u.Dequantize(197), 5);
        // The ends saturate to [0, 255].
        Assert.Equal(0, u.Quantize(-10f));
        Assert.Equal(255, u.Quantize(10f));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void RejectsBadBitWidth(int bits) =>
        Assert.Contains("bit width", Assert.Throws<ArgumentException>(() => new UniformAffine(0f, 1f, bits)).Message);

    [Fact]
    public void RejectsEmptyRange() =>
        Assert.Contains("min < max", Assert.Throws<ArgumentException>(() => new UniformAffine(1f, 1f, 8)).Message);
}
