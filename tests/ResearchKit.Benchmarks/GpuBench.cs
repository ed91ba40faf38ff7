using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Gpu;
using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>gpu</c>: the GPU kernels on the first CUDA device (or, without one, ILGPU's CPU accelerator, labelled as such and only
/// useful to check that the command runs): SGEMM at n = 1024, 2048, 4096 in GFLOP/s with the relative error against the CPU
/// engine's GEMM, and the ResNet-20 convolutions' forward time. No reference numbers are stored; run it where a GPU is at hand.
/// </summary>
internal static class GpuBench
{
    public static void Run(TextWriter o)
    {
        int cuda = GpuDevice.CudaDeviceCount();
        using var gpu = cuda > 0 ? GpuDevice.Cuda(0) : GpuDevice.Cpu();
        o.WriteLine($"GPU kernels on {gpu} ({(cuda > 0 ? "CUDA" : "no CUDA device: ILGPU's CPU accelerator, a correctness backend, not a speed figure")})");
        int[] sizes = cuda > 0 ? [1024, 2048, 4096] : [128];
        foreach (int n in sizes)
        {
            var rng = new Random(n);
            var a = new float[n * n]; var b = new float[n * n];
            for (int i = 0; i < a.Length; i++) { a[i] = (float)rng.NextDouble() - 0.5f; b[i] = (float)rng.NextDouble() - 0.5f; }
            using var da = gpu.Accelerator.Allocate1D(a);
            using var db = gpu.Accelerator.Allocate1D(b);
            using var dc = gpu.Accelerator.Allocate1D<float>((long)n * n);
            GpuGemm.Sgemm(gpu, false, false, n, n, n, 1f, da.View, n, db.View, n, 0f, dc.View, n);
            gpu.Accelerator.Synchronize();
            int reps = cuda > 0 ? 10 : 1;
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++) GpuGemm.Sgemm(gpu, false, false, n, n, n, 1f, da.View, n, db.View, n, 0f, dc.View, n);
            gpu.Accelerator.Synchronize();
            double s = sw.Elapsed.TotalSeconds / reps;
            var c = dc.GetAsArray1D();
            var reference = new float[n * n];
            Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, reference, n);
            double err = 0, norm = 0;
            for (int i = 0; i < c.Length; i++) { err = Math.Max(err, Math.Abs(c[i] - reference[i])); norm = Math.Max(norm, Math.Abs(reference[i])); }
            o.WriteLine($"  SGEMM {n}³: {s * 1e3,8:F2} ms, {2.0 * n * n * n / s / 1e9,8:F1} GFLOP/s, max relative error {err / norm:E1}");
        }
        if (cuda == 0) return;
        foreach (var (c, hw, outC, stride) in new[] { (16, 32, 16, 1), (16, 32, 32, 2), (32, 16, 32, 1), (64, 8, 64, 1) })
        {
            var g = new GpuConvGeometry(128, c, hw, hw, outC, 3, 3, stride, stride, 1, 1);
            using var x = gpu.Accelerator.Allocate1D<float>(g.InputLength);
            using var w = gpu.Accelerator.Allocate1D<float>(g.WeightLength);
            using var y = gpu.Accelerator.Allocate1D<float>(g.OutputLength);
            GpuConv2d.Forward(gpu, g, x.View, w.View, default, y.View);
            gpu.Accelerator.Synchronize();
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < 10; r++) GpuConv2d.Forward(gpu, g, x.View, w.View, default, y.View);
            gpu.Accelerator.Synchronize();
            o.WriteLine($"  conv {c}→{outC} @{hw} stride {stride}, batch 128, forward: {sw.Elapsed.TotalMilliseconds / 10:F3} ms (direct kernel)");
        }
    }
}
