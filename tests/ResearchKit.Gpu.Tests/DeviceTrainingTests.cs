using ResearchKit.Runs;
using ResearchKit.Tensors.Devices;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// The training loop on a device: <see cref="TrainerOptions.Device"/> moves the model and each batch, evaluation sends the
/// loader's batches where the model is, and a checkpoint taken on the device (host copies, written to disk) resumes a device
/// run exactly where an uninterrupted one would be. All against the same loop on the CPU.
/// </summary>
public sealed class DeviceTrainingTests
{

    private static Sequential Model() => new(new Conv2d(1, 4, 3, padding: 1, generator: new Generator(50)), new BatchNorm2d(4), new ReLU(),
        new MaxPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 3, generator: new Generator(51)));

    // Six fixed host batches of 6×6 images, as a loader yields them.
    private static List<(Tensor X, Tensor Y)> Batches()
    {
        var g = new Generator(52);
        return [.. Enumerable.Range(0, 6).Select(_ => (Tensor.Rand([4, 1, 6, 6], g), Tensor.Randint(0, 3, [4], g)))];
    }

    private static (Trainer Trainer, Sequential Model) Build(Device device, long steps)
    {
        var model = Model();
        var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
        var trainer = new Trainer(model, opt, (o, y) => F.CrossEntropy(o, y), new TrainerOptions { MaxSteps = steps, Device = device, EvalAtEnd = false });
        return (trainer, model);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ATrainerOnTheDeviceTrainsAsOnTheCpuAndEvaluatesThere(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var batches = Batches();
        var (cpuTrainer, cpu) = Build(Device.Cpu, 6);
        var (devTrainer, dev) = Build(device, 6);
        Assert.Equal(device, dev.DeviceOf());   // moved when the trainer was built
        cpuTrainer.Fit((_, s) => batches.Skip(s), batches.Count);
        devTrainer.Fit((_, s) => batches.Skip(s), batches.Count);
        foreach (var (name, t) in cpu.StateDict())
            if (t.DType == DType.Float32) GpuTest.CloseScaled(t.ToArray(), dev.StateDict()[name].ToArray(), name, 2e-5f);
        var mc = Metrics.Evaluate(cpu, batches);
        var md = Metrics.Evaluate(dev, batches);   // host batches, device model
        Assert.Equal(mc["accuracy"], md["accuracy"]);
        Assert.Equal(mc["loss"], md["loss"], 1e-5);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ACheckpointTakenOnTheDeviceResumesThereExactly(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var batches = Batches();
        var (straight, straightModel) = Build(device, 6);
        straight.Fit((_, s) => batches.Skip(s), batches.Count);

        var (first, _) = Build(device, 3);
        first.Fit((_, s) => batches.Skip(s), batches.Count);
        var checkpoint = TrainerCheckpoint.Capture(first);
        Assert.All(checkpoint.Tensors.Values, t => Assert.Equal(Device.Cpu, t.Device));
        string path = Path.Combine(Path.GetTempPath(), $"rk-device-ckpt-{Environment.ProcessId}-{Guid.NewGuid():N}.safetensors");
        try
        {
            CheckpointFile.Write(path, checkpoint.Tensors, checkpoint.Metadata);
            var read = CheckpointFile.Read(path);
            var (resumed, resumedModel) = Build(device, 6);
            TrainerCheckpoint.Restore(resumed, new Checkpoint(checkpoint.Step, read.Tensors, read.Metadata));
            Assert.Equal(device, resumedModel.DeviceOf());
            resumed.Fit((_, s) => batches.Skip(s), batches.Count);
            foreach (var (name, t) in straightModel.StateDict())
                if (t.DType == DType.Float32) Assert.Equal(t.ToArray(), resumedModel.StateDict()[name].ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ComputeDeviceOpensADeviceByNameOnce()
    {
        Assert.Equal(Device.Cpu, ComputeDevice.Use("cpu"));
        var d = ComputeDevice.Use("cpu-accelerator");
        Assert.Equal(Device.CpuAccelerator, d);
        // One backend per device, whoever opens it first: tensors from both callers meet in one kernel.
        Assert.Same(DeviceBackends.For(d), DeviceBackends.For(GpuTest.TensorDevice("cpu-accelerator")));
        Assert.Same(GpuBackend.Register(Device.CpuAccelerator), GpuBackend.Register(Device.CpuAccelerator));
        var bad = Assert.Throws<ArgumentException>(() => ComputeDevice.Use("gpu"));
        Assert.Contains("'cuda'", bad.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ArgumentException>(() => ComputeDevice.Use("cuda:99"));
        Assert.Contains("CUDA", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AModelSplitAcrossDevicesIsNamedAsSuch(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var model = Model();
        model.Children().First().To(device);
        var e = Assert.Throws<InvalidOperationException>(() => model.DeviceOf());
        Assert.Contains("several devices", e.Message, StringComparison.Ordinal);
    }
}
