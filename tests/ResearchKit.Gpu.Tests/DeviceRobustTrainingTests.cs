using ResearchKit.Defenses;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// The robust EnResNet's training (notebook 07): Binary-Relax quantization of a noisy ensemble trained on PGD examples
/// with Madry's, the trade-off and TRADES objectives, on a device against the same steps on the CPU.
/// </summary>
public sealed class DeviceRobustTrainingTests
{
    private static (Trainer Trainer, EnResNet Net) Build(Device device, AdversarialObjective objective)
    {
        var net = new EnResNet(members: 2, depth: 8, numClasses: 3, inChannels: 1, noiseCoef: 0.1f, generator: new Generator(5));
        var br = BinaryRelax.Apply(net, BinaryRelax.Projection(1), new BinaryRelaxSchedule(relaxedEpochs: 1));
        var at = new AdversarialTraining(net, new AdversarialTrainingOptions
        {
            Objective = objective, Epsilon = 0.1f, Steps = 1, StepSize = 0.05f, RandomStart = true, Seed = 9,
        });
        var opt = new Sgd(net.Parameters(), lr: 0.05, momentum: 0.9);
        var trainer = new Trainer(net, opt, at.ForwardLoss, new TrainerOptions { MaxSteps = 1, Device = device, EvalAtEnd = false, TrackAccuracy = false });
        trainer.Callbacks.Add(br.Callback);
        return (trainer, net);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AdversarialBinaryRelaxTrainingRunsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(6);
        var batches = Enumerable.Range(0, 1).Select(_ => (Tensor.Rand([2, 1, 8, 8], g), Tensor.Randint(0, 3, [2], g))).ToList();
        foreach (var objective in new[] { AdversarialObjective.Madry, AdversarialObjective.TradeOff, AdversarialObjective.Trades })
        {
            var (tc, cpu) = Build(Device.Cpu, objective);
            var (td, dev) = Build(device, objective);
            var rc = tc.Fit((_, s) => batches.Skip(s), batches.Count);
            var rd = td.Fit((_, s) => batches.Skip(s), batches.Count);
            Assert.Equal(device, dev.DeviceOf());
            foreach (var (name, t) in cpu.StateDict())
                if (t.DType == DType.Float32) GpuTest.CloseScaled(t.ToArray(), dev.StateDict()[name].ToArray(), $"{objective} {name}", 1e-3f);
        }
    }
}
