using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Chapter 4's word-level LSTM language model on a device: the embedding lookup (a one-hot matmul there, with the padding
/// row left out of the gradient) and a whole training round (tied weights, dropout, clipping, Adam, the carried hidden
/// state, perplexity), each against the CPU.
/// </summary>
public sealed class DeviceLanguageModelTests
{
    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void TheEmbeddingLookupAndItsGradientMatchTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(4);
        var idx = Tensor.FromArray(new long[] { 3, 0, 4, 3, 1, 4 }, 2, 3);   // repeated rows sum their gradients
        var up = Tensor.Randn([2, 3, 5], g);
        foreach (int? pad in new int?[] { null, 4 })
        {
            var wc = Tensor.Randn([6, 5], new Generator(5)).RequiresGrad_();
            var wd = wc.Detach().To(device).RequiresGrad_();
            var yc = F.Embedding(idx, wc, pad);
            var yd = F.Embedding(idx.To(device), wd, pad);
            Assert.Equal(yc.ToArray(), yd.ToArray());   // each row picked exactly
            (yc * up).Sum().Backward();
            (yd * up.To(device)).Sum().Backward();
            GpuTest.CloseEach(wc.Grad!.ToArray(), wd.Grad!.ToArray(), $"∂/∂W (padding {pad})", 1e-6f);
        }
        var e = Assert.Throws<ArgumentException>(() => F.Embedding(Tensor.FromArray(new long[] { 6 }, 1).To(device), Tensor.Zeros([6, 5], device)));
        Assert.Contains("out of range", e.Message);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ATrainingRoundRunsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var rng = new Random(7);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(12)).ToArray();
        var corpus = new TextCorpus("toy", new Vocabulary(Enumerable.Range(0, 12).Select(i => $"w{i}").ToList()), Tokens(80), Tokens(40), Tokens(40));
        var settings = new LmTraining { MaxSteps = 3, BatchSize = 4, Bptt = 5, EvalBatchSize = 2, LogEvery = 1, Lr = 1e-2 };
        MediumLstmLm Model() => new(12, embedDim: 8, hidden: 8, layers: 2, dropout: 0.2, generator: new Generator(8), dropoutGenerator: new Generator(9));
        var cpu = Model();
        var dev = Model();
        dev.To(device);
        var rc = WikiText2LstmRecipe.TrainRound(cpu, corpus, settings);
        var rd = WikiText2LstmRecipe.TrainRound(dev, corpus, settings);
        Assert.Equal(device, dev.DeviceOf());
        foreach (var metric in new[] { "valid_loss", "test_loss" })
            Assert.Equal(rc.FinalMetrics[metric], rd.FinalMetrics[metric], 1e-4);
        foreach (var (name, t) in cpu.StateDict())
            GpuTest.CloseScaled(t.ToArray(), dev.StateDict()[name].ToArray(), name, 1e-4f);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void GradientClippingByNormMatchesTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        foreach (double p in new[] { 2.0, double.PositiveInfinity, 1.0 })
        {
            var g = new Generator(10);
            var cpu = new[] { Tensor.Randn([7, 3], g), Tensor.Randn([5], g) };
            var dev = cpu.Select(t => t.To(device)).ToArray();
            foreach (var t in cpu.Concat(dev)) t.RequiresGrad_();
            for (int i = 0; i < cpu.Length; i++)
            {
                cpu[i].Grad = cpu[i].Detach() * 3f;
                dev[i].Grad = dev[i].Detach() * 3f;
            }
            float nc = ClipGrad.ClipGradNorm_(cpu, 0.5, p).Item(), nd = ClipGrad.ClipGradNorm_(dev, 0.5, p).Item();
            Assert.Equal(nc, nd, 1e-5 * (1 + nc));
            for (int i = 0; i < cpu.Length; i++) GpuTest.CloseEach(cpu[i].Grad!.ToArray(), dev[i].Grad!.ToArray(), $"clipped grad (p = {p})", 1e-5f);
        }
    }
}
