using ResearchKit.Tensors;
using ResearchKit.Tensors.Devices;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Uploads through the copy stream on a background thread (<see cref="DevicePrefetcher"/>): the same batches in the same
/// order, ready when handed over; upload buffers recycled only after the compute stream was synchronized; early exit and
/// failures; and a trainer whose results do not depend on prefetching.
/// </summary>
[Collection(BackendCountersCollection.Name)]
public sealed class DevicePrefetcherTests
{
    // Batches of varying size (a last partial batch included), as a loader yields them.
    private static List<(Tensor X, Tensor Y)> HostBatches(int count, int seed)
    {
        var g = new Generator(seed);
        return [.. Enumerable.Range(0, count).Select(i => { int n = i == count - 1 ? 3 : 8; return (Tensor.Randn([n, 2, 5, 5], g), Tensor.Randint(0, 10, [n], g)); })];
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void PrefetchedBatchesAreTheSourceBatches_InOrder_OnTheDevice(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var host = HostBatches(25, 1);
        int i = 0;
        foreach (var (x, y) in DevicePrefetcher.Prefetch(host, device, depth: 3))
        {
            Assert.Equal(device, x.Device);
            Assert.Equal(device, y.Device);
            Assert.Equal(host[i].X.Shape.ToArray(), x.Shape.ToArray());
            Assert.Equal(host[i].X.ToArray(), x.ToArray());
            Assert.Equal(host[i].Y.ToInt64Array(), y.ToInt64Array());
            // A kernel reads the upload at once: the copy was complete when the batch was handed over.
            Assert.Equal((host[i].X + 1f).ToArray(), (x + 1f).ToArray());
            i++;
        }
        Assert.Equal(host.Count, i);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void UploadBuffersAreReused_AndEveryReuseCarriesItsOwnBatch(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var backend = (GpuBackend)DeviceBackends.For(device);
        long hitsBefore = backend.UploadPool.Hits;
        for (int round = 0; round < 6; round++)
        {
            var host = HostBatches(6, 100 + round);
            int i = 0;
            foreach (var (x, _) in DevicePrefetcher.Prefetch(host, device))
            {
                // Each batch is computed on and then dropped: its buffer goes back through the fence once collected.
                // Doubling is exact, so a buffer holding another batch's data cannot pass.
                Assert.Equal((host[i].X * 2f).ToArray(), (x * 2f).ToArray());
                i++;
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            backend.Synchronize();   // the compute stream is idle: fenced upload buffers go back to the pool
        }
        Assert.True(backend.UploadPool.Hits > hitsBefore, $"the upload pool lent no buffer twice (hits {backend.UploadPool.Hits - hitsBefore}, misses {backend.UploadPool.Misses})");
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AnUploadBufferGivenBack_IsFencedUntilTheComputeStreamIsSynchronized(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var backend = (GpuBackend)DeviceBackends.For(device);
        lock (FenceTestGate)
        {
            backend.Synchronize();
            long cached = backend.UploadPool.CachedBytes;
            UploadAndDrop(device, 12_345);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            _ = Tensor.Zeros([4], device: device);   // an allocation returns the collected storages

            // Kernels queued before the drop may still read the buffer: the copy stream must not get it yet.
            Assert.Equal(cached, backend.UploadPool.CachedBytes);
            backend.Synchronize();
            // It is back (with any earlier tests' upload buffers the same collection found).
            Assert.True(backend.UploadPool.CachedBytes - cached >= 4L * 12_345, $"the fenced buffer did not come back: {backend.UploadPool.CachedBytes - cached} bytes");
        }
    }

    private static readonly object FenceTestGate = new();

    // In its own method so that no reference to the uploaded batch outlives it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void UploadAndDrop(Device device, int n)
    {
        var host = new List<(Tensor, Tensor)> { (Tensor.Randn([n], new Generator(5)), Tensor.Zeros([1]).Long()) };
        foreach (var (x, _) in DevicePrefetcher.Prefetch(host, device)) Assert.Equal(n, x.Numel);
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void LeavingTheLoopEarlyStopsTheThreadAndDisposesTheSource(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var state = new SourceState();
        int taken = 0;
        foreach (var _ in DevicePrefetcher.Prefetch(Endless(state), device, depth: 2))
            if (++taken == 3) break;
        Assert.True(state.Disposed, "the source was not disposed when the loop was left");
        Assert.True(state.Produced <= 3 + 2 + 1, $"the thread ran on after the loop was left: {state.Produced} batches produced");
    }

    private sealed class SourceState { public bool Disposed; public int Produced; }

    private static IEnumerable<(Tensor, Tensor)> Endless(SourceState state)
    {
        var g = new Generator(7);
        try
        {
            while (true)
            {
                state.Produced++;
                yield return (Tensor.Randn([2, 3], g), Tensor.Randint(0, 3, [2], g));
            }
        }
        finally { state.Disposed = true; }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void AFailingSourceSurfacesOnTheTrainingThread_NamingTheBatch(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var e = Assert.Throws<InvalidOperationException>(() => DevicePrefetcher.Prefetch(Failing(), device).ToList());
        Assert.Contains("batch 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("disk read failed", e.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(e.InnerException);
    }

    private static IEnumerable<(Tensor, Tensor)> Failing()
    {
        yield return (Tensor.Zeros([1, 2]), Tensor.Zeros([1]).Long());
        yield return (Tensor.Zeros([1, 2]), Tensor.Zeros([1]).Long());
        throw new IOException("disk read failed");
    }

    [Fact]
    public void OnTheCpuTheSourceIsReturnedAsIs_AndDepthIsChecked()
    {
        var host = HostBatches(2, 3);
        Assert.Same(host, DevicePrefetcher.Prefetch(host, Device.Cpu));
        Assert.Throws<ArgumentOutOfRangeException>(() => DevicePrefetcher.Prefetch(host, Device.Cpu, depth: 0));
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void ATrainerGivesTheSameBits_WithAndWithoutPrefetching(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var host = HostBatches(8, 9).Take(7).ToList();   // full batches only
        Dictionary<string, float[]> Train(int prefetch)
        {
            var model = new Sequential(new Conv2d(2, 3, 3, padding: 1, generator: new Generator(60)), new ReLU(), new Flatten(), new Linear(3 * 5 * 5, 10, generator: new Generator(61)));
            var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
            var trainer = new Trainer(model, opt, (o, y) => F.CrossEntropy(o, y),
                new TrainerOptions { MaxSteps = 7, Device = device, EvalAtEnd = false, PrefetchToDevice = prefetch });
            trainer.Fit((_, s) => host.Skip(s), host.Count);
            return model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        }
        var without = Train(0);
        var with = Train(2);
        foreach (var (name, w) in without) Assert.Equal(w, with[name]);
    }
}
