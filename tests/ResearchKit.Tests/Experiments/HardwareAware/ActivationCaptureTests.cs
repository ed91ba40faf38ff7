using ResearchKit.Experiments.HardwareAware;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tests.Experiments.HardwareAware;

public class ActivationCaptureTests
{
    [Fact]
    public void Capture_RecordsEachLayersInputs_AndWeights()
    {
        var model = HardwareAwareTestModels.Cnn();
        var x = HardwareAwareTestModels.Data(5).Images;
        model.Train();
        var layers = ActivationCapture.Capture(model, x, batchSize: 2);   // three batches: 2, 2, 1
        Assert.Equal(["0", "3"], layers.Select(l => l.Path));
        Assert.Equal(["Conv2d", "Linear"], layers.Select(l => l.Kind));
        Assert.Equal(x.ToArray(), layers[0].Inputs);
        var conv = (Conv2d)model.NamedModules().Single(m => m.Name == "0").Module;
        Assert.Equal(conv.Weight.ToArray(), layers[0].Weights);
        float[] expected;
        using (Torch.NoGrad()) expected = conv.Forward(x).Relu().ToArray();
        Assert.Equal(expected, layers[1].Inputs);                // the linear layer's input: post-ReLU, flattened
        Assert.All(layers[1].Inputs, v => Assert.True(v >= 0));
        Assert.True(model.Training);                              // mode restored
        Assert.Equal(5 * 2 * 4 * 4, layers[1].Inputs.Length);
    }

    [Fact]
    public void CompareFormats_OneRowPerLayerTensorAndWidth()
    {
        var layers = ActivationCapture.Capture(HardwareAwareTestModels.Cnn(), HardwareAwareTestModels.Data(4).Images);
        var rows = ActivationCapture.CompareFormats(layers, [4, 8]);
        Assert.Equal(2 * 2 * 2, rows.Count);
        Assert.All(rows.Where(r => r.Tensor == "activations" && r.Layer == "3"), r => Assert.False(r.Comparison.Signed));   // post-ReLU
        Assert.All(rows.Where(r => r.Tensor == "weights"), r => Assert.True(r.Comparison.Signed));
    }

    [Fact]
    public void BadInput_IsRefused()
    {
        var noLayers = new Sequential(new ReLU());
        Assert.Contains("no Conv2d or Linear", Assert.Throws<ArgumentException>(() => ActivationCapture.Capture(noLayers, Tensor.Zeros(1, 3))).Message);
        Assert.Contains("batchSize", Assert.Throws<ArgumentException>(() => ActivationCapture.Capture(HardwareAwareTestModels.Cnn(), Tensor.Zeros(1, 1, 6, 6), 0)).Message);
    }
}
