using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Tensors.Nn;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments.Chapter5;

/// <summary><see cref="TwoStageQat.EvaluateWithBatchStatistics"/>: batch statistics only, running statistics untouched.</summary>
public class BatchStatisticsEvaluationTests
{
    private static readonly RecipeOptions Opts = new() { Progress = SilentProgressSink.Instance };

    [Fact]
    public void BatchStatisticsAccuracy_IgnoresTheRunningStatistics_AndLeavesThemAndTheModeAsTheyWere()
    {
        var recipe = new DlQatRecipe(QatLoss.CrossEntropy, 4, 4);
        var net = DlQatRecipe.Network(Preset.Smoke, recipe.Training(Preset.Smoke, Opts), 0);
        using var test = recipe.TestLoader(Preset.Smoke, Opts);
        var norms = net.Model.Modules().OfType<BatchNormBase>().ToList();
        Assert.NotEmpty(norms);
        // Running statistics far from any batch's: eval mode depends on them, batch statistics must not.
        foreach (var bn in norms) { bn.RunningMean!.Fill_(3f); bn.RunningVar!.Fill_(0.01f); }
        var before = net.NamedBuffers().Select(b => b.Buffer.ToArray()).ToList();
        net.Eval();
        double batchStats = TwoStageQat.EvaluateWithBatchStatistics(net, test);
        Assert.False(net.Training);
        Assert.Equal(before, net.NamedBuffers().Select(b => b.Buffer.ToArray()).ToList());
        foreach (var bn in norms) bn.ResetRunningStats();
        Assert.Equal(batchStats, TwoStageQat.EvaluateWithBatchStatistics(net, test));
        Assert.InRange(batchStats, 0, 1);
    }
}
