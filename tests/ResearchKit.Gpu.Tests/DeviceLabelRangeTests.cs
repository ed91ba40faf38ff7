using ResearchKit.Tensors;
using ResearchKit.Tensors.Devices;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Labels uploaded from the host carry the range the host saw, so cross-entropy, one-hot and embedding check them without
/// copying them back (no synchronization in the middle of a step); labels a kernel wrote, or out of range, are still read back
/// and checked exactly, with the same errors as before.
/// </summary>
[Collection(BackendCountersCollection.Name)]
public sealed class DeviceLabelRangeTests
{
    // The label checks of one class's tests must not interleave with another's downloads: the counter is per backend.
    private static readonly object Gate = new();

    private static long Downloads(Device d) => ((GpuBackend)DeviceBackends.For(d)).LabelDownloads;

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void UploadedLabels_AreCheckedWithoutReadingThemBack(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var g = new Generator(3);
        var yHost = Tensor.Randint(0, 7, [12], g);
        var logits = Tensor.Randn([12, 7], g);
        var table = Tensor.Randn([7, 4], g);
        float ceCpu = F.CrossEntropy(logits, yHost).Item();
        lock (Gate)
        {
            var y = yHost.To(device);
            long before = Downloads(device);
            var ce = F.CrossEntropy(logits.To(device), y);
            var oneHot = F.DeviceOneHot(y, 7);
            var rows = F.Embedding(y.Reshape(3, 4), table.To(device));
            Assert.Equal(before, Downloads(device));
            Assert.Equal(ceCpu, ce.Item(), 5);
            Assert.Equal(F.OneHot(yHost, 7).Float().ToArray(), oneHot.ToArray());
            Assert.Equal(F.Embedding(yHost.Reshape(3, 4), table).ToArray(), rows.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void LabelsAKernelWrote_OrOutOfRange_AreReadBackAndCheckedExactly(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var logits = Tensor.Randn([5, 3], new Generator(4)).To(device);
        lock (Gate)
        {
            // Argmax indices: written on the device, no known range: read back for the check.
            var predicted = logits.Argmax(1);
            long before = Downloads(device);
            F.CrossEntropy(logits, predicted);
            Assert.True(Downloads(device) > before, "labels without a known range were not checked");
        }
        // An upload's range outside the classes: the exact check runs and names the bad label.
        var bad = Tensor.FromArray(new long[] { 0, 1, 3, 2, 0 }, 5).To(device);
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, bad));
        Assert.Contains("target 3 is out of bounds for 3 classes", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => F.DeviceOneHot(bad, 3));
        Assert.Throws<ArgumentException>(() => F.Embedding(bad, Tensor.Randn([3, 2], new Generator(5)).To(device)));
    }
}
