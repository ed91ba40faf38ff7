using ResearchKit.Data;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Chapter 5's two-stage QAT (Alg. 5: clamped float Training I, quantization, Training II, evaluation) on a device, against
/// the same run on the CPU: a network moved with <c>net.To(device)</c> keeps its stages, quantizers and evaluation there.
/// </summary>
public sealed class DeviceQatTests
{
    private static QatNetwork Net(QatLoss loss, QatTraining s) =>
        new(new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(1)), loss, s, 10, new Generator(2));

    private static DataLoader Loader(int first, int count, int batch) =>
        new(Samples.FashionMnist().Subset(Enumerable.Range(first, count).ToArray(), "fm"), batch, shuffle: true, 0, Transforms.ToFloat(), dropLast: true);

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void TwoStageQatRunsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        // GML head, SAT (DoReFa weights with Scaled-Adjust on the last layer, PACT activations): Alg. 5's default.
        var s = new QatTraining { Loss = QatLoss.Gml, Method = QatMethod.Sat, Steps = 1, BatchSize = 2, LogEvery = 1, Lr = 0.01 };
        var cpu = Net(s.Loss, s);
        var dev = Net(s.Loss, s);
        dev.To(device);
        using var train = Loader(0, 2, 2);
        using var test = Loader(2, 4, 2);
        var rc = TwoStageQat.Run(cpu, train, test, s);
        var rd = TwoStageQat.Run(dev, train, test, s);
        Assert.Equal(device, dev.DeviceOf());   // the quantizers Training II added went there too
        Assert.Equal(rc.FloatLoss, rd.FloatLoss, 1e-4);
        Assert.Equal(rc.FloatAccuracy, rd.FloatAccuracy);
        // Training II rounds: an activation within an ulp of a level boundary may round the other way on the device (its
        // tanh and sums differ from the CPU's in the last bit), so the quantized stage is compared at 1 %.
        Assert.True(Math.Abs(rc.QuantLoss - rd.QuantLoss) <= 1e-2 * Math.Abs(rc.QuantLoss), $"quantized loss: CPU {rc.QuantLoss}, device {rd.QuantLoss}");
        foreach (var (name, t) in cpu.StateDict())
            if (t.DType == DType.Float32) GpuTest.CloseScaled(t.ToArray(), dev.StateDict()[name].ToArray(), name, 1e-2f);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void EveryClassifierHeadsLossAndGradientsMatchTheCpu(string deviceName)
    {
        // The heads chapters 5 and 6 train (cross-entropy, AMS, GML, MMC), one forward and backward each.
        var device = GpuTest.TensorDevice(deviceName);
        using var loader = Loader(0, 2, 2);
        var (x, y) = loader.Epoch(0).Select(b => (b.Images, b.Labels)).First();
        foreach (var loss in new[] { QatLoss.CrossEntropy, QatLoss.Ams, QatLoss.Gml, QatLoss.Mmc })
        {
            var s = new QatTraining { Loss = loss };
            var cpu = Net(loss, s);
            var dev = Net(loss, s);
            dev.To(device);
            var lc = cpu.Loss(x, y);
            var ld = dev.Loss(x.To(device), y.To(device));
            lc.Backward();
            ld.Backward();
            Assert.Equal(lc.Item(), ld.Item(), 1e-4 * (1 + Math.Abs(lc.Item())));
            using (Torch.NoGrad())   // the evaluation's prediction (GML's and MMC's nearest center, an argmin there)
                Assert.Equal(cpu.Head.Predict(cpu.Features(x)).ToInt64Array(), dev.Head.Predict(dev.Features(x.To(device))).ToInt64Array());
            var gd = dev.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad);
            foreach (var (name, p) in cpu.NamedParameters())
                if (p.Grad is { } g) GpuTest.CloseScaled(g.ToArray(), gd[name]!.ToArray(), $"{loss} ∂/∂{name}", 1e-3f);
        }
    }
}
