using System.Diagnostics;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Sequential-MNIST LSTM train step: LSTM(I=1, H=128), batch 100, T=784, forward + full backward through time
/// (the Linear 128→10 head on the last step is negligible and left out). Kernel-level profile; the comparison with
/// PyTorch is the <c>lstm-seqmnist</c> row of <see cref="SideBySide"/>.
/// </summary>
internal static class LstmBench
{
    /// <summary>Times the train step (best of <paramref name="repeats"/>) and splits GEMM from the rest.</summary>
    public static void Run(TextWriter o) => Run(o, 3, 784);

    /// <summary>Same as <see cref="Run(TextWriter)"/> with a configurable repeat count and sequence length.</summary>
    public static void Run(TextWriter o, int repeats, int seqLen)
    {
        const int batch = 100, input = 1, hidden = 128, g4 = 4 * hidden;
        var rng = new Random(1);
        float[] Rand(int n, double scale)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
            return a;
        }
        double k = 1 / Math.Sqrt(hidden); // PyTorch's default U(-1/√H, 1/√H) init
        float[] x = Rand(seqLen * batch * input, 1), wIh = Rand(g4 * input, k), wHh = Rand(g4 * hidden, k);
        float[] bIh = Rand(g4, k), bHh = Rand(g4, k), dhN = Rand(batch * hidden, 0.01);
        float[] hN = new float[batch * hidden], dx = new float[x.Length];
        float[] dWih = new float[wIh.Length], dWhh = new float[wHh.Length], dbIh = new float[g4], dbHh = new float[g4];

        void Step(LstmWorkspace ws)
        {
            LstmKernel.Forward(ws, x.AsSpan(0, ws.SeqLen * batch * input), [], [], wIh, wHh, bIh, bHh, [], hN, []);
            LstmKernel.Backward(ws, x.AsSpan(0, ws.SeqLen * batch * input), wIh, wHh, [], dhN, [],
                dx.AsSpan(0, ws.SeqLen * batch * input), [], [], dWih, dWhh, dbIh, dbHh);
        }

        Step(new LstmWorkspace(Math.Min(8, seqLen), batch, input, hidden)); // JIT warm-up on a short sequence
        var workspace = new LstmWorkspace(seqLen, batch, input, hidden);
        double best = double.MaxValue, bestGemm = 0, bestFwd = 0, bestFwdGemm = 0;
        for (int r = 0; r < repeats; r++)
        {
            RecurrentOps.GemmTicks = 0;
            RecurrentOps.ProfileGemm = true;
            long start = Stopwatch.GetTimestamp();
            LstmKernel.Forward(workspace, x.AsSpan(0, seqLen * batch * input), [], [], wIh, wHh, bIh, bHh, [], hN, []);
            double fwd = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            double fwdGemm = RecurrentOps.GemmTicks * 1000.0 / Stopwatch.Frequency;
            LstmKernel.Backward(workspace, x.AsSpan(0, seqLen * batch * input), wIh, wHh, [], dhN, [],
                dx.AsSpan(0, seqLen * batch * input), [], [], dWih, dWhh, dbIh, dbHh);
            double total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            RecurrentOps.ProfileGemm = false;
            double gemm = RecurrentOps.GemmTicks * 1000.0 / Stopwatch.Frequency;
            if (total < best) (best, bestGemm, bestFwd, bestFwdGemm) = (total, gemm, fwd, fwdGemm);
        }
        double scaled = best * 784.0 / seqLen;
        o.WriteLine($"LSTM seq-MNIST train step (I=1, H=128, B=100, T={seqLen}, threads={Parallelism.Threads}, best of {repeats}):");
        o.WriteLine($"  total {best:F1} ms: GEMM {bestGemm:F1} ms, outside GEMM {best - bestGemm:F1} ms");
        o.WriteLine($"  forward {bestFwd:F1} ms (GEMM {bestFwdGemm:F1}, other {bestFwd - bestFwdGemm:F1}), " +
            $"backward {best - bestFwd:F1} ms (GEMM {bestGemm - bestFwdGemm:F1}, other {best - bestFwd - (bestGemm - bestFwdGemm):F1})");
        if (seqLen != 784) o.WriteLine($"  scaled linearly to T=784: {scaled:F0} ms");
    }
}
