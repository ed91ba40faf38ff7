using System.Diagnostics;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Times Conv2d forward + backward (input and weight gradients) for the convolutions of one ResNet-20 CIFAR
/// training step (batch 128): best of several repetitions per shape, scaled by how often the shape occurs. For the
/// stride-1 shapes it also times a residual block's two fused convolutions as two calls and depth-first.
/// </summary>
internal static class ConvBench
{
    /// <summary>Batch size; <c>RK_CONV_BATCH</c> overrides the default 128 (a small batch keeps activations in cache, which separates
    /// the kernel's speed from the memory traffic of a large one).</summary>
    private static readonly int Batch = int.TryParse(Environment.GetEnvironmentVariable("RK_CONV_BATCH"), out int b) && b > 0 ? b : 128;
    /// <summary>Repetitions per measurement (best is kept); <c>RK_CONV_REPEATS</c> overrides, useful on a loaded machine.</summary>
    private static readonly int Repeats = int.TryParse(Environment.GetEnvironmentVariable("RK_CONV_REPEATS"), out int r) && r > 0 ? r : 5;

    /// <summary>Thread counts to run; <c>RK_CONV_THREADS</c> (e.g. "2") overrides the default "1,2".</summary>
    private static int[] ThreadCounts()
    {
        string? env = Environment.GetEnvironmentVariable("RK_CONV_THREADS");
        if (string.IsNullOrWhiteSpace(env)) return [1, 2];
        string[] parts = env.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var counts = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++) counts[i] = int.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture);
        return counts;
    }

    private readonly record struct Shape(string Name, int C, int HW, int OutC, int Stride, int Count, bool NeedsInputGrad);

    private static readonly Shape[] ResNet20 =
    {
        new("stem 3->16 @32", 3, 32, 16, 1, 1, false),
        new("16->16 @32", 16, 32, 16, 1, 6, true),
        new("16->32 s2 @32", 16, 32, 32, 2, 1, true),
        new("32->32 @16", 32, 16, 32, 1, 5, true),
        new("32->64 s2 @16", 32, 16, 64, 2, 1, true),
        new("64->64 @8", 64, 8, 64, 1, 5, true),
    };

    /// <summary>Runs the benchmark and writes one line per shape plus the per-step total.</summary>
    public static void Run(TextWriter o)
    {
        int saved = Parallelism.Threads;
        try
        {
            foreach (int threads in ThreadCounts())
            {
                Parallelism.Threads = threads;
                RunOnce(o);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    private static void RunOnce(TextWriter o)
    {
        o.WriteLine($"Conv2d ResNet-20 shapes, batch {Batch}, 3x3 pad 1, threads {Parallelism.Threads} (best of {Repeats}, ms)");
        o.WriteLine($"{"shape",-16} {"x",3} {"fwd",8} {"bwdIn",8} {"bwdW",8} {"GFLOP/s",8} {"fwd+relu",9} {"fwd+add+relu",13} {"fwd GFLOP/s",12} {"block 2 calls",14} {"block pair",11}");
        double total = 0, totalFlops = 0;
        foreach (Shape s in ResNet20)
        {
            var g = new Conv2dGeometry(Batch, s.C, s.HW, s.HW, s.OutC, 3, 3, s.Stride, s.Stride, 1, 1);
            var rng = new Random(1);
            float[] x = Fill(rng, g.InputLength), w = Fill(rng, g.WeightLength), b = Fill(rng, g.OutC);
            float[] y = new float[g.OutputLength], gy = Fill(rng, g.OutputLength);
            float[] gx = new float[g.InputLength], gw = new float[g.WeightLength];

            double fwd = Best(() => Conv2dKernel.Forward(g, x, w, b, y));
            double bin = s.NeedsInputGrad ? Best(() => Conv2dKernel.BackwardInput(g, gy, w, gx)) : 0;
            double bw = Best(() => Conv2dKernel.BackwardWeight(g, x, gy, gw));
            // Inference epilogues (Conv2dKernel.ForwardFused): what the ReLU and the residual add cost inside the convolution.
            double fRelu = Best(() => Conv2dKernel.ForwardFused(g, x, w, b, [], relu: true, y));
            double fAdd = Best(() => Conv2dKernel.ForwardFused(g, x, w, b, gy, relu: true, y));
            // A residual block's two fused convolutions (same shape, identity shortcut): two calls, or depth-first (ForwardBlocksAddRelu).
            double twoCalls = 0, pair = 0;
            if (s.Stride == 1 && s.C == s.OutC)
            {
                float[] mid = new float[g.OutputLength];
                twoCalls = Best(() =>
                {
                    Conv2dKernel.ForwardFused(g, x, w, b, [], relu: true, mid);
                    Conv2dKernel.ForwardFused(g, mid, w, b, x, relu: true, y);
                });
                float[] parameters = [.. w, .. b, .. w, .. b];
                int[] offsets = [0, w.Length, w.Length + b.Length, 2 * w.Length + b.Length];
                pair = Best(() => Conv2dKernel.ForwardBlocksAddRelu(g, g, x, parameters, offsets, y));
            }
            double flops = 2.0 * g.N * g.OutC * g.OutH * g.OutW * g.ColRows * (s.NeedsInputGrad ? 3 : 2);
            double ms = fwd + bin + bw;
            o.WriteLine($"{s.Name,-16} {s.Count,3} {fwd,8:F2} {bin,8:F2} {bw,8:F2} {flops / (ms * 1e6),8:F1} {fRelu,9:F2} {fAdd,13:F2} {flops / (s.NeedsInputGrad ? 3 : 2) / (fwd * 1e6),12:F1} {(pair > 0 ? twoCalls.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "-"),14} {(pair > 0 ? pair.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "-"),11}");
            total += s.Count * ms;
            totalFlops += s.Count * flops;
        }
        o.WriteLine($"total conv time per training step: {total:F1} ms ({totalFlops / (total * 1e6):F1} GFLOP/s)");
    }

    private static double Best(Action act)
    {
        for (int i = 0; i < 10; i++) act(); // warm-up: pool buffers, and tier-1 JIT (one call measured tier-0 code: 3-7x slower)
        double best = double.MaxValue;
        for (int r = 0; r < Repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            act();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return best;
    }

    private static float[] Fill(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        return a;
    }
}
