using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter4;
using Xunit;

namespace ResearchKit.Tests.Data;

/// <summary>The two readings of §4.5.1's "standardization applied on each image", both selectable.</summary>
public class MnistStandardizationTests
{
    [Fact]
    public void PerImage_GivesEachImageMeanZeroAndUnitStd_Dataset_UsesMnistStatistics()
    {
        var data = Samples.Mnist().Take(3);
        using var perImage = SequentialMnist.Loader(data, 3, shuffle: false, seed: 0, prefetch: 0);
        using var dataset = SequentialMnist.Loader(data, 3, shuffle: false, seed: 0, prefetch: 0, standardization: MnistStandardization.Dataset);
        var a = perImage.Epoch(0).First().Images.ToArray();
        var b = dataset.Epoch(0).First().Images.ToArray();
        for (int img = 0; img < 3; img++)
        {
            var px = a.AsSpan(img * 784, 784).ToArray();
            double mean = px.Average(v => (double)v), std = Math.Sqrt(px.Average(v => (v - mean) * (v - mean)));
            Assert.InRange(mean, -1e-5, 1e-5);
            Assert.InRange(std, 1 - 1e-3, 1 + 1e-3);
            for (int i = 0; i < 784; i++)
            {
                double raw = data.Image(img)[i] / 255.0;
                Assert.Equal((raw - SequentialMnist.DatasetMean) / SequentialMnist.DatasetStd, b[img * 784 + i], 5);
            }
        }
    }

    [Fact]
    public void TicketRecipe_CarriesTheChoiceIntoItsNameConfigAndEveryRound()
    {
        var recipe = new SeqMnistTicketsRecipe(standardization: MnistStandardization.Dataset);
        Assert.Equal("seqmnist-lstm-tickets-dataset-std", recipe.Name);
        var protocol = recipe.Protocol(Preset.Paper);
        Assert.All(protocol.Columns, c => Assert.Equal(MnistStandardization.Dataset, protocol.RoundTraining(c, 1, 0).Standardization));
        var opts = new RecipeOptions();
        Assert.Equal("Dataset", recipe.Config(Preset.Paper, opts)["standardization"]);
        Assert.Equal("PerImage", new SeqMnistTicketsRecipe().Config(Preset.Paper, opts)["standardization"]);
    }
}
