using ResearchKit.Pruning;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Pruning.PruningTestUtil;

namespace ResearchKit.Tests.Pruning;

public class SparsityReportTests
{
    [Fact]
    public void GroupsParametersLikeTable44_AndCountsPrunedWeights()
    {
        var model = new TinyLstm(new Generator(6), input: 4, hidden: 8, classes: 3);
        var r = PruningPlan.Recurrent(model, 0.8, 0.5, PruningMethod.Quantile).Prune(model);
        r.Masks.Apply(model);

        var report = SparsityReport.Of(model);
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"], report.Layers.Select(l => l.Name));
        Assert.Equal([ParameterCategory.LstmInputWeights, ParameterCategory.LstmRecurrentWeights, ParameterCategory.LstmBiases, ParameterCategory.FullyConnected],
            report.Categories.Select(c => c.Category));

        long ih = 32 * 4, hh = 32 * 8;
        Assert.Equal(ih, report[ParameterCategory.LstmInputWeights]!.Total);
        Assert.Equal(hh, report[ParameterCategory.LstmRecurrentWeights]!.Total);
        Assert.Equal(r["lstm"].Tensors[0].Pruned, report[ParameterCategory.LstmInputWeights]!.Pruned);
        Assert.Equal(r["lstm"].Tensors[1].Pruned, report[ParameterCategory.LstmRecurrentWeights]!.Pruned);
        Assert.Equal(r["lstm"].Pruned, MagnitudePruning.TargetCount(ih + hh, 0.8));
        Assert.Equal(0, report[ParameterCategory.LstmBiases]!.Pruned);
        Assert.Equal(64, report[ParameterCategory.LstmBiases]!.Total);
        Assert.Equal(27, report[ParameterCategory.FullyConnected]!.Total);               // 8·3 weights + 3 biases
        Assert.Equal(MagnitudePruning.TargetCount(24, 0.5), report[ParameterCategory.FullyConnected]!.Pruned);
        Assert.Null(report[ParameterCategory.Embedding]);
        Assert.Equal(model.ParameterCount(), report.Total.Total);

        // Counting masks instead of zeros gives the same numbers once the masks are applied.
        var byMask = SparsityReport.Of(model, r.Masks);
        Assert.Equal(report.Layers, byMask.Layers);
    }

    [Fact]
    public void LanguageModel_HasEmbeddingRowAndPerLayerTable()
    {
        var model = new TinyLm(new Generator(2), vocab: 11, dim: 6);
        var report = SparsityReport.Of(model, new PruningMasks());
        Assert.Equal([ParameterCategory.Embedding, ParameterCategory.LstmInputWeights, ParameterCategory.LstmRecurrentWeights, ParameterCategory.LstmBiases, ParameterCategory.FullyConnected],
            report.Categories.Select(c => c.Category));
        Assert.Equal(2 * 24 * 6, report[ParameterCategory.LstmInputWeights]!.Total); // both layers
        Assert.All(report.Categories, c => Assert.Equal(0, c.Sparsity));

        var table = report.ToTable(name: "table4-4");
        Assert.Equal(report.Categories.Count + 1, table.RowCount);
        Assert.Equal("LSTM input weights", table[1, "Layer"]);
        var perLayer = report.ToTable(perLayer: true);
        Assert.Equal(report.Layers.Count + 1, perLayer.RowCount);
        Assert.Equal("rnn.weight_hh_l1", perLayer[6, "Parameter"]);
        Assert.Equal("LSTM recurrent weights", perLayer[6, "Category"]);
    }

    [Fact]
    public void MaskOfWrongShape_Throws()
    {
        var model = new TinyLstm(new Generator(1));
        var masks = new PruningMasks(new Dictionary<string, Tensor> { ["fc.weight"] = Tensor.Ones(2, 2) });
        Assert.Contains("another architecture", Assert.Throws<ArgumentException>(() => SparsityReport.Of(model, masks)).Message);
    }
}
