using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// Row kernels against the CPU engine: softmax, log-softmax and cross-entropy on rows shorter and longer than a thread block,
/// with a leading dimension wider than the row, large logits (the max subtraction), a NaN row, and the vector sum.
/// </summary>
public class GpuRowsTests
{
    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void SoftmaxLogSoftmaxAndCrossEntropy_MatchTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        var g = new Generator(9);
        foreach (var (rows, cols) in new[] { (1, 1), (5, 10), (3, 129), (2, 300) })
        {
            int ld = cols + 3;
            var x = Tensor.Randn([rows, cols], g) * 4f;
            var xv = x.ToArray();
            xv[0] += 80f;                                   // exp(80) overflows float without the max subtraction
            if (rows > 2) xv[2 * cols + 1] = float.NaN;     // a NaN row stays NaN
            x = Tensor.FromArray(xv, rows, cols);
            var labels = Enumerable.Range(0, rows).Select(r => (r * 7) % cols).ToArray();
            var padded = new float[rows * ld];
            for (int r = 0; r < rows; r++) Array.Copy(xv, r * cols, padded, r * ld, cols);

            using var dx = gpu.Accelerator.Allocate1D(padded);
            using var dy = gpu.Accelerator.Allocate1D<float>(padded.Length);
            GpuRows.Softmax(gpu, dx.View, rows, cols, ld, dy.View);
            GpuTest.CloseEach(F.Softmax(x, 1).ToArray(), Unpad(dy.GetAsArray1D(), rows, cols, ld), $"{device} softmax {rows}×{cols}", 2e-6f);
            GpuRows.LogSoftmax(gpu, dx.View, rows, cols, ld, dy.View);
            GpuTest.CloseEach(F.LogSoftmax(x, 1).ToArray(), Unpad(dy.GetAsArray1D(), rows, cols, ld), $"{device} log-softmax {rows}×{cols}", 1e-5f);

            using var dl = gpu.Accelerator.Allocate1D(labels);
            using var dloss = gpu.Accelerator.Allocate1D<float>(rows);
            GpuRows.CrossEntropyRows(gpu, dx.View, rows, cols, ld, dl.View, dloss.View);
            var perRow = F.CrossEntropy(x, Tensor.FromArray(labels.Select(v => (long)v).ToArray(), rows), reduction: "none").ToArray();
            GpuTest.CloseEach(perRow, dloss.GetAsArray1D(), $"{device} cross-entropy {rows}×{cols}", 1e-5f);

            var xg = x.Detach().RequiresGrad_();
            var gxe = Autograd.Grad([F.CrossEntropy(xg, Tensor.FromArray(labels.Select(v => (long)v).ToArray(), rows))], [xg])[0]!;
            using var dgx = gpu.Accelerator.Allocate1D<float>(padded.Length);
            GpuRows.CrossEntropyBackward(gpu, dx.View, rows, cols, ld, dl.View, 1f / rows, dgx.View);
            GpuTest.CloseEach(gxe.ToArray(), Unpad(dgx.GetAsArray1D(), rows, cols, ld), $"{device} cross-entropy backward {rows}×{cols}", 1e-5f);
        }
    }

    private static float[] Unpad(float[] y, int rows, int cols, int ld)
    {
        var r = new float[rows * cols];
        for (int i = 0; i < rows; i++) Array.Copy(y, i * ld, r, i * cols, cols);
        return r;
    }

    [Theory]
    [MemberData(nameof(GpuTest.Devices), MemberType = typeof(GpuTest))]
    public void Sum_OfAVector_MatchesTheCpuEngine(string device)
    {
        using var gpu = GpuTest.Open(device);
        foreach (int n in new[] { 0, 1, 127, 128, 1000 })
        {
            var x = Tensor.Randn([Math.Max(n, 1)], new Generator(n));
            using var dx = gpu.Accelerator.Allocate1D(x.ToArray());
            using var dr = gpu.Accelerator.Allocate1D<float>(1);
            GpuRows.Sum(gpu, dx.View, n, dr.View);
            float expected = n == 0 ? 0f : x.Sum().Item();
            Assert.True(Math.Abs(expected - dr.GetAsArray1D()[0]) <= 1e-4f * (1 + Math.Abs(expected)), $"{device} n={n}: {dr.GetAsArray1D()[0]} vs {expected}");
        }
    }

    [Fact]
    public void BadRows_AreRefusedWithTheReason()
    {
        using var gpu = GpuDevice.Cpu();
        using var d = gpu.Accelerator.Allocate1D<float>(6);
        using var labels = gpu.Accelerator.Allocate1D<int>(1);
        Assert.Contains("at least one column", Assert.Throws<ArgumentException>(() => GpuRows.Softmax(gpu, d.View, 2, 0, 3, d.View)).Message);
        Assert.Contains("smaller than a row", Assert.Throws<ArgumentException>(() => GpuRows.Softmax(gpu, d.View, 2, 3, 2, d.View)).Message);
        Assert.Contains("too short", Assert.Throws<ArgumentException>(() => GpuRows.LogSoftmax(gpu, d.View, 3, 3, 3, d.View)).Message);
        Assert.Contains("1 labels", Assert.Throws<ArgumentException>(() => GpuRows.CrossEntropyRows(gpu, d.View, 2, 3, 3, labels.View, d.View)).Message);
    }
}
