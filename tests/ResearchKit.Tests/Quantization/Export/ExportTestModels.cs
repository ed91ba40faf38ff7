using ResearchKit.Data;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Quantization.Export;

/// <summary>Quantized ResNet-8s on the Fashion-MNIST sample, shared by the export and integer-inference tests.</summary>
internal static class ExportTestModels
{
    /// <summary>W2/A2: DoReFa weights and PACT activations (α starts at 3 so that 2-bit activations are not all 0).</summary>
    public static QuantSpec W2A2 => new(2, 2, (b, _) => new DoReFaWeightQuantizer(b), b => new PactActivationQuantizer(b, initialAlpha: 3f));

    /// <summary>Binary (BWN, one scale per output channel) / A2; the 8-bit first and last layers stay DoReFa.</summary>
    public static QuantSpec BinaryA2 => new(1, 2,
        (b, _) => b == 1 ? new BinaryQuantizer(QuantGranularity.PerChannel) : new DoReFaWeightQuantizer(b),
        b => new PactActivationQuantizer(b, initialAlpha: 3f));

    public static Tensor FashionBatch(int start, int count)
    {
        var ds = Samples.FashionMnist();
        var x = new float[count * ds.ImageSize];
        for (int i = 0; i < count; i++)
        {
            var img = ds.Image(start + i);
            for (int j = 0; j < img.Length; j++) x[i * ds.ImageSize + j] = (img[j] / 255f - 0.2860f) / 0.3530f;
        }
        return Tensor.FromArray(x, count, 1, ds.Height, ds.Width);
    }

    public static Tensor FashionLabels(int start, int count) =>
        Tensor.FromArray(Samples.FashionMnist().Labels.Skip(start).Take(count).Select(l => (long)l).ToArray(), count);

    /// <summary>ResNet-8 (1 input channel) converted by ModelQuantizer and trained for a few SGD steps on the sample.</summary>
    public static ResNetCifar TrainedResNet8(QuantSpec spec)
    {
        var model = new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(0));
        ModelQuantizer.Quantize(model, spec);
        model.Train();
        var opt = new Sgd(model.Parameters(), lr: 0.05);
        for (int step = 0; step < 6; step++)
        {
            opt.ZeroGrad();
            F.CrossEntropy(model.Forward(FashionBatch(600 + 32 * step, 32)), FashionLabels(600 + 32 * step, 32)).Backward();
            opt.Step();
        }
        model.Eval();
        return model;
    }

    /// <summary>A fresh ResNet-8 (other random weights) converted with the same spec, turned into the integer model of <paramref name="export"/>.</summary>
    public static ResNetCifar IntegerResNet8(QuantSpec spec, ExportedModel export)
    {
        var model = new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(123));
        ModelQuantizer.Quantize(model, spec);
        IntegerInference.Apply(model, export);
        return model;
    }

}
