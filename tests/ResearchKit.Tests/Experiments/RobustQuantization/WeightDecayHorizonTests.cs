using ResearchKit.Experiments;
using ResearchKit.Experiments.RobustQuantization;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.RobustQuantization;

/// <summary>Σ lr and the share exp(−wd·Σ lr) a gradient-free weight keeps, against hand-computed schedules.</summary>
public class WeightDecayHorizonTests
{
    [Fact]
    public void LrSum_FollowsTheStepSchedule()
    {
        // 2 epochs of 5 batches (52 images, batch 10: the partial batch is dropped) = 10 steps, ×0.1 after step 5.
        var t = new EnResNetTraining { Epochs = 2, BatchSize = 10, Lr = 0.1, LrDecayAt = [0.5] };
        Assert.Equal(5 * 0.1 + 5 * 0.01, WeightDecayHorizon.LrSum(t, 52), 12);
        Assert.Equal(10 * 0.1, WeightDecayHorizon.LrSum(t with { LrDecayAt = [] }, 52), 12);
    }

    [Fact]
    public void PaperPreset_KeepsAFifthOfAGradientFreeFilter()
    {
        // 200 epochs × 390 steps; lr 0.1, 0.01, 0.001, 1e-4 over 40 %, 20 %, 20 %, 20 % of 78,000 steps: Σ lr = 3293.16.
        var paper = new RobustEnResNetRecipe(TrainingObjective.TradeOff, 2).Training(Preset.Paper, new RecipeOptions { Progress = SilentProgressSink.Instance });
        Assert.Equal(3120 + 156 + 15.6 + 1.56, WeightDecayHorizon.LrSum(paper, 50_000), 6);
        Assert.Equal(Math.Exp(-5e-4 * 3293.16), WeightDecayHorizon.Remaining(paper, 50_000), 9);
    }

    [Fact]
    public void Matching_InvertsRemaining_OverSeveralStages()
    {
        var a = new EnResNetTraining { Epochs = 4, BatchSize = 128, Lr = 0.1, LrDecayAt = [0.5, 0.75] };
        var b = new EnResNetTraining { Epochs = 3, BatchSize = 128, Lr = 0.02, LrDecayAt = [2.0 / 3] };
        double wd = WeightDecayHorizon.Matching(0.2, (a, 15_000), (b, 15_000));
        double left = WeightDecayHorizon.Remaining(a with { WeightDecay = wd }, 15_000) * WeightDecayHorizon.Remaining(b with { WeightDecay = wd }, 15_000);
        Assert.Equal(0.2, left, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightDecayHorizon.Matching(0, (a, 15_000)));
        Assert.Throws<ArgumentException>(() => WeightDecayHorizon.LrSum(a, 100));
    }
}
