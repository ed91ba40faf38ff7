using ResearchKit.Quantization.AdaQat;
using Xunit;

namespace ResearchKit.Tests.Quantization.AdaQat;

public class AdaQatTrainingTests
{
    [Fact]
    public void LargeLambda_DrivesBothWidthsToTheMinimum()
    {
        var cb = AdaQatTestNets.Run(new AdaQatOptions(Lambda: 1.0, BitLearningRate: 0.5), steps: 30);
        Assert.All(cb.Model.BitWidths, b => Assert.Equal(2, b.Bits));
        Assert.All(cb.Model.BitWidths, b => Assert.True(b.Frozen, $"{b} should have frozen at the minimum"));
        // Once frozen, no extra forward pass is spent on it.
        Assert.True(cb.ExtraForwardPasses < 2 * 30, $"{cb.ExtraForwardPasses} extra passes");
    }

    [Fact]
    public void ZeroLambda_WithALossThatPrefersMoreBits_DrivesTheWidthsUp()
    {
        var cb = AdaQatTestNets.Run(new AdaQatOptions(Lambda: 0, BitLearningRate: 0.5, FreezeAfterIncreases: null), steps: 30);
        Assert.All(cb.Model.BitWidths, b => Assert.True(b.Bits > 4, $"{b} should have grown above its initial 4 bits"));
        // The trajectory records every width at every step, and N never decreased when every estimate said "more bits".
        foreach (var w in cb.Model.BitWidths)
        {
            var path = cb.Trajectory.For(w.Name);
            Assert.Equal(30, path.Count);
            for (int i = 1; i < path.Count; i++)
                if (path[i].Gradient is < 0) Assert.True(path[i].Value >= path[i - 1].Value);
        }
    }

    [Fact]
    public void SameSeed_SameTrajectory()
    {
        var options = new AdaQatOptions(Lambda: 0.01, BitLearningRate: 0.5, Granularity: BitWidthGranularity.PerLayer);
        var first = AdaQatTestNets.Run(options, steps: 12, seed: 4).Trajectory.ToCsv();
        var second = AdaQatTestNets.Run(options, steps: 12, seed: 4).Trajectory.ToCsv();
        Assert.Equal(first, second);
        Assert.Equal(1 + 12 * 3, first.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.NotEqual(first, AdaQatTestNets.Run(options, steps: 12, seed: 5).Trajectory.ToCsv());
    }
}
