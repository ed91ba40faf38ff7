using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using Xunit;
using static ResearchKit.Tests.Quantization.Export.ExportTestModels;

namespace ResearchKit.Tests.Quantization.Export;

/// <summary>
/// <see cref="Int8ResNetPipeline"/> against the integer model it runs: the same logits bit for bit (trained batch norms and PACT
/// levels, the option-A shortcut, rows of 28, 14 and 7 pixels, i.e. both int8 tile widths), and a clear refusal of models it
/// does not run.
/// </summary>
public class Int8ResNetPipelineTests
{
    private static QuantSpec W8A8 => new(8, 8, (b, _) => new DoReFaWeightQuantizer(b), b => new PactActivationQuantizer(b, initialAlpha: 3f));

    private static ResNetCifar IntegerModel(QuantSpec spec)
    {
        var trained = TrainedResNet8(spec);
        return IntegerResNet8(spec, IntegerExport.Export(trained, FashionBatch(0, 8)));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(8, 2)]
    public void Logits_AreTheIntegerModelsBitForBit(int bits, int threads)
    {
        var spec = bits == 8 ? W8A8 : W2A2;
        var model = IntegerModel(spec);
        var pipeline = Int8ResNetPipeline.Create(model);
        var x = FashionBatch(100, 7);
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            float[] expected, actual;
            using (Torch.NoGrad())
            {
                expected = model.Forward(x).ToArray();
                actual = pipeline.Forward(x).ToArray();
            }
            Assert.Equal(expected, actual);
            Assert.Contains(expected, v => v != 0f);
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void AModelOffTheInt8Path_IsRefusedSayingWhy()
    {
        Assert.False(Int8ResNetPipeline.TryCreate(new ResNetCifar(8, 10, inChannels: 1), out var none, out var why));
        Assert.Null(none);
        Assert.Contains("not a QuantReLU with a PACT quantizer", why);

        var binary = IntegerModel(BinaryA2);
        var ex = Assert.Throws<ArgumentException>(() => Int8ResNetPipeline.Create(binary));
        Assert.Contains("'layer1.0.conv1'", ex.Message);
        Assert.Contains("on the Binary path", ex.Message);
    }

    [Fact]
    public void Forward_InTrainingMode_IsRefused()
    {
        var model = IntegerModel(W2A2);
        var pipeline = Int8ResNetPipeline.Create(model);
        model.Train();
        var ex = Assert.Throws<InvalidOperationException>(() => pipeline.Forward(FashionBatch(0, 2)));
        Assert.Contains("call Eval()", ex.Message);
    }
}
