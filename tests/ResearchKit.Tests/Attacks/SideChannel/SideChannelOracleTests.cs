using ResearchKit.Attacks.SideChannel;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Attacks.SideChannel.SideChannelTestUtil;

namespace ResearchKit.Tests.Attacks.SideChannel;

/// <summary>The extracted logits: convergence in √T, ADC bias, calibration, determinism and cost counting.</summary>
public class SideChannelOracleTests
{
    public static TheoryData<int> Seeds => new() { 1, 2, 3, 4 };

    private static readonly int[] TraceCounts = [1, 4, 16, 64, 256];

    /// <summary>
    /// Averaging T traces of Gaussian noise σ (leakage units) through gain a leaves an error of standard deviation σ/(|a|√T)
    /// per logit. Over 100 × 10 logits the RMSE's own relative spread is about 1/√2000 ≈ 2 %, so ±15 % is a wide margin.
    /// </summary>
    [Theory, MemberData(nameof(Seeds))]
    public void AbsoluteNoise_RmseFallsLikeSigmaOverRootT(int seed)
    {
        var rng = new Random(seed);
        double gain = (rng.Next(2) == 0 ? -1 : 1) * (0.5 + 2.5 * rng.NextDouble());
        double sigma = 0.1 + rng.NextDouble();
        var leakage = new LeakageModel { NoiseSigma = sigma, Gain = gain, Offset = 4 * rng.NextDouble() - 2 };
        var truth = RandomLogits(100, 10, 100 + seed);
        double previous = double.PositiveInfinity;
        foreach (int t in TraceCounts)
        {
            var estimate = new SideChannelOracle(IdentityDevice(), leakage with { Traces = t }, seed).Scores(truth);
            double rmse = Rmse(estimate, truth);
            double expected = sigma / (Math.Abs(gain) * Math.Sqrt(t));
            Assert.InRange(rmse / expected, 0.85, 1.15);
            Assert.True(rmse < previous, $"RMSE {rmse} at T = {t} did not fall below {previous}");
            previous = rmse;
        }
    }

    /// <summary>Relative noise: each row's noise is σ·|a|·RMS(row), so the expected MSE is the mean of (σ·RMS(row))²/T.</summary>
    [Theory, MemberData(nameof(Seeds))]
    public void RelativeNoise_ScalesWithEachRowsLogits(int seed)
    {
        const double sigma = 0.5;
        // Rows of very different scales: the noise must follow each row, not a global scale.
        var truth = RandomLogits(120, 10, 200 + seed) * Tensor.FromArray(Enumerable.Range(0, 120).Select(i => (float)(0.1 + i % 6)).ToArray(), 120, 1);
        var x = truth.ToArray();
        double expectedMse = 0;
        for (int r = 0; r < 120; r++)
        {
            double ss = 0;
            for (int k = 0; k < 10; k++) ss += x[r * 10 + k] * x[r * 10 + k];
            expectedMse += sigma * sigma * ss / 10;
        }
        expectedMse /= 120;
        foreach (int t in new[] { 1, 16, 256 })
        {
            var leakage = new LeakageModel { NoiseSigma = sigma, Scale = NoiseScale.RelativeToLogits, Gain = -3, Traces = t };
            var estimate = new SideChannelOracle(IdentityDevice(), leakage, seed).Scores(truth);
            Assert.InRange(Rmse(estimate, truth) / Math.Sqrt(expectedMse / t), 0.85, 1.15);
        }
    }

    /// <summary>
    /// Without noise the ADC's rounding error is at most Δ/2 (in leakage units, so Δ/(2|a|) per logit) and averaging does not
    /// remove it; with noise σ = Δ dithering it, the average converges to the truth far below Δ/2.
    /// </summary>
    [Theory, MemberData(nameof(Seeds))]
    public void AdcBias_IsAtMostHalfAStep_AndDitheringAveragesItOut(int seed)
    {
        const double gain = 2.0;
        var adc = new LeakageModel { Gain = gain, AdcBits = 6, AdcMin = -8, AdcMax = 8 };
        double step = adc.AdcStep;
        // Values placed 0.45 Δ above an ADC level: the worst case short of a tie.
        var rng = new Random(seed);
        var values = Enumerable.Range(0, 200).Select(_ => (float)((adc.AdcMin + step * (rng.Next(10, 53) + 0.45)) / gain)).ToArray();
        var truth = Tensor.FromArray(values, 20, 10);

        var noiseless = adc with { NoiseSigma = 0 };
        var once = new SideChannelOracle(IdentityDevice(), noiseless, seed).Scores(truth);
        var many = new SideChannelOracle(IdentityDevice(), noiseless with { Traces = 64 }, seed).Scores(truth);
        Assert.Equal(once.ToArray(), many.ToArray());
        double halfStep = step / (2 * gain);
        foreach (var (e, v) in once.ToArray().Zip(values))
            Assert.InRange(Math.Abs(e - v), 0.85 * halfStep, halfStep + 1e-5); // 0.45 Δ / a = 0.9 of Δ/(2a)

        var dithered = new SideChannelOracle(IdentityDevice(), adc with { NoiseSigma = step, Traces = 4096 }, seed).Scores(truth);
        double meanAbs = dithered.ToArray().Zip(values).Average(p => Math.Abs(p.First - p.Second));
        Assert.True(meanAbs < 0.1 * halfStep, $"dithered mean |error| {meanAbs} is not far below Δ/2 = {halfStep}");
    }

    [Fact]
    public void Adc_SaturatesOutsideItsRange()
    {
        var leakage = new LeakageModel { NoiseSigma = 0, AdcBits = 8, AdcMin = -2, AdcMax = 2 };
        var estimate = new SideChannelOracle(IdentityDevice(), leakage).Scores(Tensor.FromArray([-5f, 0f, 7f], 1, 3)).ToArray();
        Assert.Equal(-2f, estimate[0], 5);
        Assert.Equal(2f, estimate[2], 5);
    }

    [Theory, MemberData(nameof(Seeds))]
    public void Calibration_RecoversGainAndOffset_AndTheEstimateStillConverges(int seed)
    {
        var rng = new Random(seed);
        double gain = 0.5 + 3 * rng.NextDouble(), offset = 2 * rng.NextDouble() - 1;
        var leakage = new LeakageModel { Gain = gain, Offset = offset, NoiseSigma = 0.3, Calibration = LeakageCalibration.Calibrated, CalibrationTraces = 1024, Traces = 1024 };
        var oracle = new SideChannelOracle(IdentityDevice(), leakage, seed);
        // Standard errors of the fit at these settings are ~1e-3; 2 % of the gain and 0.02 of the offset are ample.
        Assert.InRange(oracle.EstimatedGain / gain, 0.98, 1.02);
        Assert.InRange(oracle.EstimatedOffset - offset, -0.02, 0.02);
        Assert.Equal(16L * 1024, oracle.CalibrationTracesAcquired);
        Assert.Equal(0, oracle.Traces);
        var truth = RandomLogits(50, 10, 300 + seed);
        Assert.True(Rmse(oracle.Scores(truth), truth) < 0.05);
        // Known gain: nothing is calibrated.
        var known = new SideChannelOracle(IdentityDevice(), leakage with { Calibration = LeakageCalibration.Known }, seed);
        Assert.Equal(gain, known.EstimatedGain);
        Assert.Equal(offset, known.EstimatedOffset);
        Assert.Equal(0, known.CalibrationTracesAcquired);
    }

    [Fact]
    public void Calibration_ThroughASaturatedAdc_FailsClearly()
    {
        var leakage = new LeakageModel { Offset = 100, NoiseSigma = 0.1, AdcBits = 8, AdcMin = -1, AdcMax = 1, Calibration = LeakageCalibration.Calibrated };
        var e = Assert.Throws<InvalidOperationException>(() => new SideChannelOracle(IdentityDevice(), leakage));
        Assert.Contains("ADC range", e.Message);
    }

    [Fact]
    public void SameSeed_SameNumbers_WhateverTheChunking_OtherSeed_OtherNumbers()
    {
        var leakage = new LeakageModel { NoiseSigma = 0.7, Traces = 3, AdcBits = 10, Calibration = LeakageCalibration.Calibrated };
        var truth = RandomLogits(9, 5, 400);
        var whole = new SideChannelOracle(IdentityDevice(), leakage, seed: 5).Scores(truth).ToArray();
        Assert.Equal(whole, new SideChannelOracle(IdentityDevice(), leakage, seed: 5).Scores(truth).ToArray());
        var chunked = new SideChannelOracle(IdentityDevice(), leakage, seed: 5);
        var parts = chunked.Scores(truth.Narrow(0, 0, 4)).ToArray().Concat(chunked.Scores(truth.Narrow(0, 4, 5)).ToArray()).ToArray();
        Assert.Equal(whole, parts);
        Assert.NotEqual(whole, new SideChannelOracle(IdentityDevice(), leakage, seed: 6).Scores(truth).ToArray());
        // A repeated query is a new measurement: fresh noise, not a cached answer.
        var again = new SideChannelOracle(IdentityDevice(), leakage, seed: 5);
        Assert.NotEqual(again.Scores(truth).ToArray(), again.Scores(truth).ToArray());
    }

    [Fact]
    public void Counts_QueriesAsInputs_AndTracesAsQueriesTimesT()
    {
        var device = IdentityDevice();
        var oracle = new SideChannelOracle(device, new LeakageModel { Traces = 7 });
        oracle.Scores(RandomLogits(3, 4, 1));
        oracle.Scores(RandomLogits(5, 4, 2));
        Assert.Equal(8, oracle.Queries);
        Assert.Equal(56, oracle.Traces);
        Assert.Equal(8, device.Queries);
        var estimate = oracle.Scores(RandomLogits(2, 4, 3));
        Assert.Equal(new[] { 2, 4 }, estimate.Shape.ToArray());
        Assert.False(estimate.RequiresGrad);
    }

    [Fact]
    public void BadDeviceOutput_FailsClearly()
    {
        var nan = new SideChannelOracle(new RecordingOracle(x => Tensor.FromArray([1f, float.NaN], 1, 2)), new LeakageModel());
        Assert.Contains("non-finite", Assert.Throws<InvalidOperationException>(() => nan.Scores(Tensor.Zeros(1, 3))).Message);
        var flat = new SideChannelOracle(new RecordingOracle(x => Tensor.Zeros(4)), new LeakageModel());
        Assert.Contains("(N, C)", Assert.Throws<InvalidOperationException>(() => flat.Scores(Tensor.Zeros(1, 3))).Message);
        Assert.Throws<ArgumentException>(() => flat.Scores(Tensor.Zeros(0, 3)));
    }
}
