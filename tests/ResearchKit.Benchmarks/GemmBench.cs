using System.Diagnostics;
using System.Runtime.Intrinsics;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Benchmarks;

/// <summary>SGEMM throughput of the raw kernel (GFLOP/s, best and median of several repeats) over sizes, transposes and
/// training shapes; the comparison with PyTorch is in <see cref="SideBySide"/>.</summary>
internal static class GemmBench
{
    public static void Run(TextWriter o)
    {
        o.WriteLine($"SGEMM benchmark  Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated}  " +
                    $"Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated}  ProcessorCount={Environment.ProcessorCount}");
        o.WriteLine($"{"size",6} {"threads",7} {"trans",5} {"best GFLOP/s",13} {"median",8}");
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
            Report(o, 1024, 2, true, true);
            // Typical training shapes: MLP forward / weight gradient, im2col convolutions (both orientations).
            o.WriteLine($"{"m x n x k",20} {"trans",5} {"best GFLOP/s (2 threads)",25}");
            (int m, int n, int k, bool ta, bool tb)[] shapes =
            [
                (128, 512, 784, false, true), (784, 512, 128, true, false), (128, 10, 512, false, true),
                (16, 32768, 27, false, false), (64, 8192, 576, false, false), (8192, 64, 576, false, false),
                (576, 64, 8192, true, false), (512, 4096, 4096, false, true),
            ];
            foreach (var (m, n, k, ta, tb) in shapes) ReportShape(o, m, n, k, ta, tb);
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    /// <summary>Blocking sweep at 1024³ (developer aid for re-tuning MC/KC on a new CPU): <c>-- gemm-tune</c>.</summary>
    public static void Tune(TextWriter o)
    {
        const int size = 1024;
        var rng = new Random(1);
        float[] a = new float[size * size], b = new float[size * size], c = new float[size * size];
        for (int i = 0; i < a.Length; i++) { a[i] = (float)rng.NextDouble(); b[i] = (float)rng.NextDouble(); }
        int saved = Parallelism.Threads;
        try
        {
            // Crossovers: row path vs packed path (1 thread), packed 1 vs 2 threads, on small cubes.
            foreach (int sz in new[] { 8, 16, 24, 32, 48, 64, 96, 128, 192, 256 })
            {
                double Time(Gemm.KernelKind kind, bool packed, int threads)
                {
                    Parallelism.Threads = threads;
                    double best = double.MaxValue;
                    int reps = Math.Max(20, (int)(2e7 / ((double)sz * sz * sz)));
                    for (int r = 0; r < reps; r++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        Gemm.SgemmCore(false, false, sz, sz, sz, 1f, a, sz, b, sz, 0f, c, sz, kind, null, packed);
                        best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                    }
                    return best;
                }
                o.WriteLine($"n={sz,4}: row {Time(Gemm.KernelKind.None, false, 1),8:F2} us  packed/1T {Time(Gemm.BestKernel, true, 1),8:F2} us  packed/2T {Time(Gemm.BestKernel, true, 2),8:F2} us");
            }
            if (Gemm.BestKernel == Gemm.KernelKind.V512)
            {
                // The AVX2 fallback kernel, for information (it is what an AVX2-only CPU would run).
                Parallelism.Threads = 1;
                double best = double.MaxValue;
                for (int r = 0; r < 8; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    Gemm.SgemmCore(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size, Gemm.KernelKind.V256);
                    best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                }
                o.WriteLine($"AVX2 6x16 kernel, 1 thread, {size}^3: {2.0 * size * size * size / best / 1e9:F1} GFLOP/s");
            }
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.Threads = threads;
                foreach (int kc in new[] { 256, 384, 512, 768 })
                {
                    foreach (int mc in new[] { 96, 192, 384 })
                    {
                        var blocking = new Gemm.Blocking(mc, kc, 4096);
                        double best = double.MaxValue;
                        for (int r = 0; r < 12; r++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            Gemm.SgemmCore(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size, Gemm.BestKernel, blocking);
                            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                        }
                        o.WriteLine($"threads={threads} KC={kc,3} MC={mc,3}: {2.0 * size * size * size / best / 1e9,6:F1} GFLOP/s");
                    }
                }
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static void ReportShape(TextWriter o, int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(3);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5);
        int lda = transA ? m : k, ldb = transB ? k : n;
        double best = double.MaxValue;
        var sw = Stopwatch.StartNew();
        int reps = 0;
        while (reps < 5 || (sw.Elapsed.TotalSeconds < 0.3 && reps < 500))
        {
            long t0 = Stopwatch.GetTimestamp();
            Gemm.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
            if (reps++ > 0) best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        string trans = (transA ? "T" : "N") + (transB ? "T" : "N");
        o.WriteLine($"{$"{m}x{n}x{k}",20} {trans,5} {2.0 * m * n * k / best / 1e9,25:F1}");
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
        string trans = (transA ? "T" : "N") + (transB ? "T" : "N");
        o.WriteLine($"{size,6} {threads,7} {trans,5} {best,13:F1} {median,8:F1}");
    }
}
