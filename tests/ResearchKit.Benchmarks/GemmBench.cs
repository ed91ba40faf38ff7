using System.Diagnostics;
using System.Runtime.Intrinsics;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Benchmarks;

/// <summary>SGEMM throughput (GFLOP/s, best of several repeats) against the PyTorch 1.13 figure measured on this machine.</summary>
internal static class GemmBench
{
    /// <summary>PyTorch 1.13 <c>torch.mm</c> at 1024³ with 2 threads on this machine (GFLOP/s).</summary>
    private const double TorchSgemm1024 = 233.0;

    public static void Run(TextWriter o)
    {
        o.WriteLine($"SGEMM benchmark  Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated}  " +
                    $"Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated}  ProcessorCount={Environment.ProcessorCount}");
        o.WriteLine($"{"size",6} {"threads",7} {"trans",5} {"best GFLOP/s",13} {"median",8} {"vs torch@1024",14}");
        int saved = Parallelism.Threads;
        try
        {
            foreach (int threads in new[] { 2, 1 })
            {
                Parallelism.Threads = threads;
                foreach (int size in new[] { 256, 1024, 2048 })
                    Report(o, size, threads, false, false);
            }
            Parallelism.Threads = 2;
            Report(o, 1024, 2, true, false);
            Report(o, 1024, 2, false, true);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static void Report(TextWriter o, int size, int threads, bool transA, bool transB)
    {
        var rng = new Random(42);
        float[] a = new float[size * size], b = new float[size * size], c = new float[size * size];
        for (int i = 0; i < a.Length; i++) { a[i] = (float)(rng.NextDouble() - 0.5); b[i] = (float)(rng.NextDouble() - 0.5); }
        double flops = 2.0 * size * size * size;
        // Enough repeats for ~0.3 s per configuration, at least 5, after a warm-up that JITs and sizes the scratch buffers.
        var sw = Stopwatch.StartNew();
        Gemm.Sgemm(transA, transB, size, size, size, 1f, a, size, b, size, 0f, c, size);
        Gemm.Sgemm(transA, transB, size, size, size, 1f, a, size, b, size, 0f, c, size);
        double first = sw.Elapsed.TotalSeconds / 2;
        int reps = Math.Clamp((int)(0.3 / Math.Max(first, 1e-6)), 5, 200);
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            sw.Restart();
            Gemm.Sgemm(transA, transB, size, size, size, 1f, a, size, b, size, 0f, c, size);
            times[r] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        double best = flops / times[0] / 1e9, median = flops / times[reps / 2] / 1e9;
        string ratio = size == 1024 ? $"{best / TorchSgemm1024 * 100,12:F0} %" : "";
        string trans = (transA ? "T" : "N") + (transB ? "T" : "N");
        o.WriteLine($"{size,6} {threads,7} {trans,5} {best,13:F1} {median,8:F1} {ratio,14}");
    }
}
