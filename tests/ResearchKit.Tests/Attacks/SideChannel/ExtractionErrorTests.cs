using ResearchKit.Attacks.SideChannel;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Attacks.SideChannel.SideChannelTestUtil;

namespace ResearchKit.Tests.Attacks.SideChannel;

/// <summary>The extraction error report.</summary>
public class ExtractionErrorTests
{
    [Fact]
    public void Compare_OnAHandExample()
    {
        var truth = Tensor.FromArray([1f, 2f, 0f, 3f], 2, 2);
        var estimate = Tensor.FromArray([1f, 0f, 1f, 3f], 2, 2);
        var e = ExtractionError.Compare(5, truth, estimate);
        // Errors 0, −2, 1, 0: RMSE √(5/4); row 0's top-1 moves from class 1 to class 0, row 1 keeps class 1.
        Assert.Equal(Math.Sqrt(5.0 / 4), e.Rmse, 12);
        Assert.Equal(2.0, e.MaxAbsError, 12);
        Assert.Equal(0.5, e.TopOneAgreement);
        Assert.Equal(2, e.Inputs);
        Assert.Equal(5, e.Traces);
        Assert.Throws<ArgumentException>(() => ExtractionError.Compare(1, truth, Tensor.Zeros(2, 3)));
    }

    [Fact]
    public void Measure_ErrorFallsAndTopOneAgreementRisesWithTraces_QueryingTheDeviceOnce()
    {
        var truth = RandomLogits(200, 10, 500, -1f, 1f);
        var device = IdentityDevice();
        var rows = ExtractionError.Measure(device, new LeakageModel { NoiseSigma = 1.0, AdcBits = 12 }, truth, [1, 16, 256, 4096], seed: 2);
        Assert.Equal(200, device.Queries);
        Assert.Equal(new[] { 1, 16, 256, 4096 }, rows.Select(r => r.Traces).ToArray());
        for (int i = 1; i < rows.Count; i++)
        {
            Assert.True(rows[i].Rmse < rows[i - 1].Rmse, $"RMSE did not fall from T = {rows[i - 1].Traces} to {rows[i].Traces}");
            Assert.True(rows[i].TopOneAgreement >= rows[i - 1].TopOneAgreement, $"top-1 agreement fell from T = {rows[i - 1].Traces} to {rows[i].Traces}");
        }
        Assert.True(rows[0].TopOneAgreement < 0.6, "one trace at SNR ≈ 0.6 should often miss the top-1");
        Assert.True(rows[^1].TopOneAgreement > 0.9, "4096 traces should almost always find the top-1");
    }

    [Fact]
    public void Measure_NoiselessChannel_IsExact()
    {
        var truth = RandomLogits(10, 3, 600);
        var row = ExtractionError.Measure(IdentityDevice(), new LeakageModel { NoiseSigma = 0, Gain = 4, Offset = 1 }, truth, [1])[0];
        Assert.True(row.Rmse < 1e-6);
        Assert.Equal(1.0, row.TopOneAgreement);
        Assert.Throws<ArgumentException>(() => ExtractionError.Measure(IdentityDevice(), new LeakageModel(), truth, []));
    }
}
