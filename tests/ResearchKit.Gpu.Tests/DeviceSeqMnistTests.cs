using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>Chapter 4's sequential-MNIST LSTM round (RMSprop, sub-sampling schedule, test evaluation) on a device, against the CPU.</summary>
public sealed class DeviceSeqMnistTests
{
    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ATrainingRoundRunsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var sample = Samples.Mnist();
        var train = sample.Subset(Enumerable.Range(0, 8).ToArray(), "mnist train");
        var test = sample.Subset(Enumerable.Range(8, 8).ToArray(), "mnist test");
        // Rows as steps (T = 28), and the sub-sampling schedule at rate 2 for the first step: both device paths.
        var settings = new SeqMnistTraining
        {
            Iterations = 3, BatchSize = 4, EvalBatchSize = 8, PixelsPerStep = 28, LogEvery = 1,
            Subsampling = new SubsamplingSchedule([2, 1], [1, 3]),
        };
        var cpu = new SeqMnistLstm(hiddenSize: 16, generator: new Generator(3), pixelsPerStep: 28);
        var dev = new SeqMnistLstm(hiddenSize: 16, generator: new Generator(3), pixelsPerStep: 28);
        dev.To(device);
        var rc = SeqMnistLstmRecipe.TrainRound(cpu, train, test, settings);
        var rd = SeqMnistLstmRecipe.TrainRound(dev, train, test, settings);
        Assert.Equal(device, dev.DeviceOf());
        Assert.Equal(rc.FinalMetrics["accuracy"], rd.FinalMetrics["accuracy"]);
        Assert.Equal(rc.FinalMetrics["loss"], rd.FinalMetrics["loss"], 1e-4);
        foreach (var (name, t) in cpu.StateDict())
            GpuTest.CloseScaled(t.ToArray(), dev.StateDict()[name].ToArray(), name, 1e-4f);
    }
}
