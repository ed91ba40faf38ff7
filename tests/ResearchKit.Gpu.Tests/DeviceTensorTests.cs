using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Tensors on a device through <see cref="GpuBackend"/>: moves, the device ops and their gradients, errors for mixed devices and
/// for ops without a device kernel, and whole training steps, all against the CPU engine. They run on ILGPU's CPU accelerator
/// (every machine); the same code runs on a CUDA device.
/// </summary>
public sealed class DeviceTensorTests
{

    private static Tensor Randn(Generator g, params int[] shape) => Tensor.Randn(shape, g);

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void MovesAreExactBothWaysIncludingViewsAndLabels(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(1);
        var x = Randn(g, 3, 4, 5);
        var view = x.Permute(2, 0, 1);   // strided: moved as its values, row-major
        var d = view.To(device);
        Assert.Equal(device, d.Device);
        Assert.Equal(DType.Float32, d.DType);
        Assert.Equal(view.ToArray(), d.Cpu().ToArray());
        Assert.Equal(view.ToArray(), d.ToArray());
        Assert.Equal(Device.Cpu, d.Cpu().Device);
        Assert.Same(d, d.To(device));
        Assert.Contains($"device='{device}'", d.ToString(), StringComparison.Ordinal);
        var labels = Tensor.FromArray(new long[] { 0, 3, 1, 2 }, 4);
        var dl = labels.To(device);
        Assert.Equal(DType.Int64, dl.DType);
        Assert.Equal(labels.ToInt64Array(), dl.Cpu().ToInt64Array());
        // Device views are views: a transpose on the device reads the same storage.
        var dt = x.To(device).Transpose(0, 2);
        Assert.Equal(x.Transpose(0, 2).ToArray(), dt.Contiguous().Cpu().ToArray());
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void CopiesStayExactWhileCollectionsMoveTheHostArrays(string deviceName)
    {
        // Host arrays are managed: a collection (here forced, non-stop, from another thread) moves young ones. A copy that
        // took an array's address without pinning it read or wrote the old place: a download then kept its fresh zeros
        // (this test failed so within a few dozen copies before the backend pinned them).
        var backend = ResearchKit.Tensors.Devices.DeviceBackends.For(GpuTest.TensorDevice(deviceName));
        var data = Enumerable.Range(1, 4099).Select(i => (float)i).ToArray();
        var labels = Enumerable.Range(1, 33).Select(i => (long)(3 * i)).ToArray();
        var ints = backend.UploadLabels(labels);
        var floats = backend.Upload(data);
        bool stop = false;
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: true); Thread.Sleep(1); } });
        collector.Start();
        try
        {
            for (int round = 0; round < 300; round++)
            {
                // Uploads from, and downloads into, arrays as young as they come.
                if (round % 10 == 0) floats = backend.Upload(data.ToArray());
                var back = new float[data.Length];
                backend.Download(floats, 0, back);
                Assert.True(data.AsSpan().SequenceEqual(back), $"round {round}: floats came back as [{string.Join(", ", back.Take(6))}, …]");
                var backLabels = new long[labels.Length];
                backend.DownloadLabels(ints, 0, backLabels);
                Assert.True(labels.AsSpan().SequenceEqual(backLabels), $"round {round}: labels came back as [{string.Join(", ", backLabels.Take(6))}, …]");
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void UninitializedDeviceStorageIsNaNUnderTheDebugChecks(string deviceName)
    {
        // This assembly turns the allocator's debug checks on (AllocatorChecks): every device kernel test then fails when a
        // kernel reads an element no kernel wrote, rather than passing or failing by chance on a recycled buffer's values.
        Assert.True(CachingAllocator.DebugChecks);
        var backend = ResearchKit.Tensors.Devices.DeviceBackends.For(GpuTest.TensorDevice(deviceName));
        var written = backend.Upload(new float[] { 1, 2, 3, 4, 5 });
        var host = new float[5];
        backend.Download(written, 0, host);
        Assert.Equal([1f, 2, 3, 4, 5], host);
        for (int i = 0; i < 3; i++)   // fresh buffers and, after collections, buffers the pool lends again
        {
            var fresh = backend.Allocate(5);
            backend.Download(fresh, 0, host);
            Assert.All(host, v => Assert.True(float.IsNaN(v), $"uninitialized device storage read {v}"));
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        GC.KeepAlive(written);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void LabelsThatDoNotFitThirtyTwoBitsAreRefused(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var big = Tensor.FromArray(new long[] { 1L << 40 }, 1);
        var e = Assert.Throws<ArgumentException>(() => big.To(device));
        Assert.Contains("32-bit", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ElementwiseOpsWithBroadcastingMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(2);
        var a = Randn(g, 3, 1, 5);
        var b = Randn(g, 5, 4).T;                  // (4, 5), transposed view
        var pos = Tensor.Rand([4, 5], g) + 0.5f;  // for log and sqrt
        var (da, db, dpos) = (a.To(device), b.To(device), pos.To(device));
        GpuTest.CloseEach((a + b).ToArray(), (da + db).ToArray(), "add", 1e-6f);
        GpuTest.CloseEach((a - b).ToArray(), (da - db).ToArray(), "sub", 1e-6f);
        GpuTest.CloseEach((a * b).ToArray(), (da * db).ToArray(), "mul", 1e-6f);
        GpuTest.CloseEach((a / pos).ToArray(), (da / dpos).ToArray(), "div", 1e-6f);
        GpuTest.CloseEach(Tensor.Maximum(a, b).ToArray(), Tensor.Maximum(da, db).ToArray(), "maximum", 0f);
        GpuTest.CloseEach(Tensor.Minimum(a, b).ToArray(), Tensor.Minimum(da, db).ToArray(), "minimum", 0f);
        GpuTest.CloseEach((2.5f * a - 1f).ToArray(), (2.5f * da - 1f).ToArray(), "scalar (0-dim CPU) operands", 1e-6f);
        GpuTest.CloseEach(b.Relu().ToArray(), db.Relu().ToArray(), "relu", 0f);
        GpuTest.CloseEach((-b).ToArray(), (-db).ToArray(), "neg", 0f);
        GpuTest.CloseEach(b.Exp().ToArray(), db.Exp().ToArray(), "exp", 1e-5f);
        GpuTest.CloseEach(pos.Log().ToArray(), dpos.Log().ToArray(), "log", 1e-5f);
        GpuTest.CloseEach(pos.Sqrt().ToArray(), dpos.Sqrt().ToArray(), "sqrt", 1e-6f);
        GpuTest.CloseEach(b.Sigmoid().ToArray(), db.Sigmoid().ToArray(), "sigmoid", 1e-5f);
        GpuTest.CloseEach(b.Tanh().ToArray(), db.Tanh().ToArray(), "tanh", 1e-5f);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ReductionsAndMatmulMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(3);
        var x = Randn(g, 4, 3, 17);
        var dx = x.To(device);
        GpuTest.CloseScaled(x.Sum().ToArray(), dx.Sum().ToArray(), "sum all", 1e-5f);
        GpuTest.CloseScaled(x.Sum(1).ToArray(), dx.Sum(1).ToArray(), "sum dim 1", 1e-5f);
        GpuTest.CloseScaled(x.Sum([0, 2], keepDim: true).ToArray(), dx.Sum([0, 2], keepDim: true).ToArray(), "sum dims 0, 2", 1e-5f);
        Assert.Equal([1, 3, 1], dx.Sum([0, 2], keepDim: true).Shape.ToArray());
        GpuTest.CloseScaled(x.Mean(-1).ToArray(), dx.Mean(-1).ToArray(), "mean", 1e-5f);
        var a = Randn(g, 17, 5);
        var b = Randn(g, 3, 17);   // used transposed: a view, no copy on either side
        GpuTest.CloseScaled(a.T.Matmul(b.T).ToArray(), a.To(device).T.Matmul(b.To(device).T).ToArray(), "matmul of transposed views", 1e-5f);
        var v = Randn(g, 17);
        GpuTest.CloseScaled(v.Matmul(a).ToArray(), v.To(device).Matmul(a.To(device)).ToArray(), "vector @ matrix", 1e-5f);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void GradientsThroughDeviceOpsMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(4);
        var a = Randn(g, 6, 9).RequiresGrad_();
        var w = Randn(g, 4, 9).RequiresGrad_();
        var c = Randn(g, 1, 4).RequiresGrad_();
        var da = a.Detach().To(device).RequiresGrad_();
        var dw = w.Detach().To(device).RequiresGrad_();
        var dc = c.Detach().To(device).RequiresGrad_();
        Tensor Loss(Tensor x, Tensor wt, Tensor ct) => ((x.Matmul(wt.T).Relu() * ct).Sigmoid() + x.Sum(1, keepDim: true).Tanh() / 3f).Mean();
        var lc = Loss(a, w, c);
        var ld = Loss(da, dw, dc);
        GpuTest.CloseEach(lc.ToArray(), ld.ToArray(), "loss", 1e-5f);
        lc.Backward();
        ld.Backward();
        Assert.Equal(device, da.Grad!.Device);
        GpuTest.CloseScaled(a.Grad!.ToArray(), da.Grad.ToArray(), "grad a", 1e-5f);
        GpuTest.CloseScaled(w.Grad!.ToArray(), dw.Grad!.ToArray(), "grad w", 1e-5f);
        GpuTest.CloseScaled(c.Grad!.ToArray(), dc.Grad!.ToArray(), "grad c", 1e-5f);
        // Through a move: the gradient of To goes back to the source's device.
        var h = Randn(g, 5).RequiresGrad_();
        (h.To(device) * 3f).Sum().Backward();
        Assert.Equal(Device.Cpu, h.Grad!.Device);
        Assert.All(h.Grad.ToArray(), v => Assert.Equal(3f, v));
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void PoolingAndItsGradientsMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(9);
        var x = Randn(g, 2, 3, 9, 7).RequiresGrad_();
        var dx = x.Detach().To(device).RequiresGrad_();
        var pools = new (string Name, Func<Tensor, Tensor> Pool)[]
        {
            ("max 3x3 stride 2 pad 1", t => Functional.MaxPool2d(t, 3, 2, 1)),
            ("max 2x2", t => Functional.MaxPool2d(t, 2)),
            ("avg 3x2 stride (2, 1) pad (1, 0)", t => Functional.AvgPool2d(t, (3, 2), (2, 1), (1, 0))),
            ("adaptive avg to 4x3", t => Functional.AdaptiveAvgPool2d(t, (4, 3))),
        };
        foreach (var (name, pool) in pools)
        {
            x.Grad = null; dx.Grad = null;
            var yc = pool(x); var yd = pool(dx);
            GpuTest.CloseEach(yc.ToArray(), yd.ToArray(), name, 1e-6f);
            var w = Randn(g, yc.Shape.ToArray());
            (yc * w).Sum().Backward();
            (yd * w.To(device)).Sum().Backward();
            GpuTest.CloseScaled(x.Grad!.ToArray(), dx.Grad!.ToArray(), name + " gradient", 1e-6f);
        }
        var e = Assert.Throws<NotSupportedException>(() => Functional.MaxPool2d(dx, 2, ceilMode: true));
        Assert.Contains("ceil mode", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AdamStepsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(10);
        var p = Randn(g, 5, 3).RequiresGrad_();
        var dp = p.Detach().To(device).RequiresGrad_();
        var opt = new Adam([p], lr: 0.01, weightDecay: 0.1);
        var dopt = new Adam([dp], lr: 0.01, weightDecay: 0.1);
        for (int step = 0; step < 3; step++)
        {
            var target = Randn(g, 5, 3);
            opt.ZeroGrad(); dopt.ZeroGrad();
            ((p - target) * (p - target)).Sum().Backward();
            ((dp - target.To(device)) * (dp - target.To(device))).Sum().Backward();
            opt.Step(); dopt.Step();
        }
        GpuTest.CloseScaled(p.ToArray(), dp.ToArray(), "parameters after 3 Adam steps", 1e-5f);
        var ams = new Adam([dp], amsgrad: true);
        (dp * 2f).Sum().Backward();
        var e = Assert.Throws<NotSupportedException>(() => ams.Step());
        Assert.Contains("amsgrad", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void MixedDevicesAreAnErrorThatNamesBoth(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var x = Tensor.Ones(2, 3);
        var e = Assert.Throws<ArgumentException>(() => x + x.To(device));
        Assert.Contains(device.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(" cpu ", e.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<ArgumentException>(() => x.To(device).Matmul(Tensor.Ones(3, 2)));
        Assert.Contains(device.ToString(), e2.Message, StringComparison.Ordinal);
        var lin = new Linear(3, 2);
        var e3 = Assert.Throws<ArgumentException>(() => lin.Forward(x.To(device)));
        Assert.Contains(device.ToString(), e3.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AnOpWithoutADeviceKernelNamesItselfAndTheDevice(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var d = Tensor.Ones(2, 3).To(device);
        var e = Assert.Throws<NotSupportedException>(() => d.Cumsum(1));
        Assert.Contains("Cumsum", e.Message, StringComparison.Ordinal);
        Assert.Contains(device.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(".Cpu()", e.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<NotSupportedException>(() => Functional.LayerNorm(d, [3]));
        Assert.Contains(device.ToString(), e2.Message, StringComparison.Ordinal);
        var e3 = Assert.Throws<InvalidOperationException>(() => Tensor.Ones(2).To(Device.Cuda(7)));
        Assert.Contains("GpuBackend.Register", e3.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void CrossEntropyAndItsGradientMatchTheCpuEngine(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(5);
        var logits = Randn(g, 7, 5).RequiresGrad_();
        var labels = Tensor.FromArray(new long[] { 0, 4, 2, 2, 1, 3, 0 }, 7);
        var dl = logits.Detach().To(device).RequiresGrad_();
        foreach (var reduction in new[] { "mean", "sum", "none" })
        {
            logits.Grad = null; dl.Grad = null;
            var lc = Functional.CrossEntropy(logits, labels, reduction: reduction);
            var ld = Functional.CrossEntropy(dl, labels.To(device), reduction: reduction);
            GpuTest.CloseEach(lc.ToArray(), ld.ToArray(), "cross-entropy " + reduction, 1e-5f);
            (reduction == "none" ? (lc * Tensor.Arange(1, 8)).Sum() : lc).Backward();
            (reduction == "none" ? (ld * Tensor.Arange(1, 8).To(device)).Sum() : ld).Backward();
            GpuTest.CloseScaled(logits.Grad!.ToArray(), dl.Grad!.ToArray(), "cross-entropy gradient " + reduction, 1e-5f);
        }
        var bad = Tensor.FromArray(new long[] { 0, 5, 2, 2, 1, 3, 0 }, 7).To(device);
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(dl, bad));
        Assert.Contains("out of bounds", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(dl, labels));   // labels left on the CPU
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AResNetTrainsOnTheDeviceAsOnTheCpuThroughModelTo(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        // A CIFAR ResNet-8 (one block per stage, so both option-A shortcuts: strided slices, channel padding), batch norm in training mode, global mean, linear
        // head, cross-entropy, SGD with momentum: two steps, then evaluation mode with the running statistics.
        const int batch = 2, hw = 8;   // small images: the CPU accelerator's time goes to launches and barriers
        var cpu = new ResNetCifar(8, generator: new Generator(3));
        var dev = new ResNetCifar(8, generator: new Generator(3)).To(device);
        var optCpu = new Sgd(cpu.Parameters(), lr: 0.1, momentum: 0.9);
        var optDev = new Sgd(dev.Parameters(), lr: 0.1, momentum: 0.9);
        var g = new Generator(4);
        for (int step = 0; step < 2; step++)
        {
            var x = Randn(g, batch, 3, hw, hw);
            var y = Tensor.FromArray(new long[] { 3, 7 - step }, batch);
            optCpu.ZeroGrad(); optDev.ZeroGrad();
            var lc = Functional.CrossEntropy(cpu.Forward(x), y);
            var ld = Functional.CrossEntropy(dev.Forward(x.To(device)), y.To(device));
            GpuTest.CloseEach(lc.ToArray(), ld.ToArray(), $"loss at step {step}", 1e-4f);
            lc.Backward(); ld.Backward();
            optCpu.Step(); optDev.Step();
        }
        var devState = dev.StateDict();
        foreach (var (name, expected) in cpu.StateDict())
        {
            if (expected.DType != DType.Float32) { Assert.Equal(expected.ToInt64Array(), devState[name].ToInt64Array()); continue; }
            Assert.Equal(device, devState[name].Device);
            GpuTest.CloseScaled(expected.ToArray(), devState[name].ToArray(), name + " after 2 steps", 2e-4f);
        }
        cpu.Eval(); dev.Eval();
        var probe = Randn(g, batch, 3, hw, hw);
        GpuTest.CloseScaled(cpu.Forward(probe).ToArray(), dev.Forward(probe.To(device)).ToArray(), "evaluation-mode logits", 2e-4f);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AnMlpTrainsOnTheDeviceAsOnTheCpu(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        Sequential Build() => new(new Linear(20, 16, generator: new Generator(6)), new ReLU(), new Linear(16, 4, generator: new Generator(7)));
        var cpu = Build();
        var dev = Build();
        var optCpu = new Sgd(cpu.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true);
        var optDev = new Sgd(dev.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true);
        dev.To(device);   // after the optimizer was built: the parameter objects stay the same
        Assert.All(dev.Parameters(), p => Assert.Equal(device, p.Device));
        var g = new Generator(8);
        for (int step = 0; step < 4; step++)
        {
            var x = Randn(g, 8, 20);
            var y = Tensor.FromArray(Enumerable.Range(0, 8).Select(i => (long)((i * 7 + step) % 4)).ToArray(), 8);
            optCpu.ZeroGrad(); optDev.ZeroGrad();
            var lc = Functional.CrossEntropy(cpu.Forward(x), y);
            var ld = Functional.CrossEntropy(dev.Forward(x.To(device)), y.To(device));
            GpuTest.CloseEach(lc.ToArray(), ld.ToArray(), $"loss at step {step}", 1e-5f);
            lc.Backward(); ld.Backward();
            optCpu.Step(); optDev.Step();
        }
        foreach (var ((name, pc), (_, pd)) in cpu.NamedParameters().Zip(dev.NamedParameters()))
            GpuTest.CloseScaled(pc.ToArray(), pd.ToArray(), name + " after 4 SGD steps", 1e-5f);
        dev.To(Device.Cpu);
        Assert.All(dev.Parameters(), p => Assert.Equal(Device.Cpu, p.Device));
        GpuTest.CloseScaled(cpu.Forward(Tensor.Ones(1, 20)).ToArray(), dev.Forward(Tensor.Ones(1, 20)).ToArray(), "back on the CPU", 1e-5f);
    }
}
