using System.Diagnostics;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Benchmarks;

/// <summary>
/// Module-level sequential-MNIST train step: <c>Lstm(1, 128, batchFirst: true)</c> on x [100, 784, 1], a linear
/// 128→10 head on the last time step (matmul + bias), log-softmax + NLL loss built from tensor ops, full backward
/// through time and a plain SGD update, split into phases. The comparison with PyTorch is the <c>lstm-seqmnist</c>
/// row of <see cref="SideBySide"/>.
/// </summary>
/// <remarks>Entry point: <c>LstmModuleBench.Run(Console.Out)</c> (or <c>Run(o, repeats, seqLen)</c> for shorter runs).</remarks>
internal static class LstmModuleBench
{
    /// <summary>Times the full train step (best of 3) at T = 784.</summary>
    public static void Run(TextWriter o) => Run(o, 3, 784);

    /// <summary>Times <paramref name="repeats"/> train steps after one untimed step that allocates the workspace.</summary>
    public static void Run(TextWriter o, int repeats, int seqLen)
    {
        const int batch = 100, hidden = 128, classes = 10;
        const float lr = 0.01f;
        var gen = new Generator(1);
        var lstm = new Lstm(1, hidden, batchFirst: true, generator: gen);
        float bound = 1f / MathF.Sqrt(hidden); // nn.Linear's default init range for fan_in = 128
        var w = Tensor.Uniform([classes, hidden], -bound, bound, gen).RequiresGrad_();
        var b = Tensor.Uniform([classes], -bound, bound, gen).RequiresGrad_();
        var parameters = new List<Tensor>(lstm.Parameters()) { w, b };

        var x = Tensor.Rand([batch, seqLen, 1], gen); // pixel intensities in [0, 1)
        var labels = Tensor.Randint(0, classes, [batch], gen).ToInt64Array();
        var oneHot = Tensor.Zeros(batch, classes);
        for (int i = 0; i < batch; i++) oneHot.AsSpan()[i * classes + (int)labels[i]] = 1f;

        (double Fwd, double Bwd, double Upd, float Loss) Step(Tensor input)
        {
            long t0 = Stopwatch.GetTimestamp();
            foreach (var p in parameters) p.Grad = null;
            var (y, _, _) = lstm.Forward(input);
            var last = y.Select(1, input.Size(1) - 1);                 // out[:, -1, :]
            var logits = last.Matmul(w.T) + b;
            var logProbs = logits - logits.LogSumExp(1, keepDim: true);
            var loss = -(logProbs * oneHot).Sum() / batch;
            long t1 = Stopwatch.GetTimestamp();
            loss.Backward();
            long t2 = Stopwatch.GetTimestamp();
            using (Torch.NoGrad())
                foreach (var p in parameters) p.Sub_(p.Grad!, lr);
            long t3 = Stopwatch.GetTimestamp();
            double Ms(long a, long c) => (c - a) * 1000.0 / Stopwatch.Frequency;
            return (Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), loss.Item());
        }

        Step(x.Narrow(1, 0, Math.Min(8, seqLen)).Contiguous()); // JIT warm-up on a short sequence
        long s0 = Stopwatch.GetTimestamp();
        var first = Step(x);
        double firstMs = Stopwatch.GetElapsedTime(s0).TotalMilliseconds;
        int createdAfterFirst = lstm.WorkspacePool.Created;

        double best = double.MaxValue;
        (double Fwd, double Bwd, double Upd, float Loss) bestParts = default;
        float lastLoss = first.Loss;
        for (int r = 0; r < repeats; r++)
        {
            var parts = Step(x);
            double total = parts.Fwd + parts.Bwd + parts.Upd;
            if (total < best) (best, bestParts) = (total, parts);
            lastLoss = parts.Loss;
        }
        int created = lstm.WorkspacePool.Created;
        double scaled = best * 784.0 / seqLen;
        o.WriteLine($"LSTM module seq-MNIST train step (Lstm(1, 128, batch_first) + linear head + NLL + SGD, B={batch}, T={seqLen}, " +
            $"threads={Parallelism.Threads}, best of {repeats}):");
        o.WriteLine($"  total {best:F1} ms: forward {bestParts.Fwd:F1} ms, backward {bestParts.Bwd:F1} ms, SGD update {bestParts.Upd:F2} ms");
        o.WriteLine($"  first T={seqLen} step (allocates the workspace) {firstMs:F1} ms; workspaces allocated by the module: " +
            $"{createdAfterFirst} after warm-up (T=8) + first step, {created} after {repeats} more steps");
        o.WriteLine($"  loss {first.Loss:F4} -> {lastLoss:F4}");
        if (seqLen != 784) o.WriteLine($"  scaled linearly to T=784: {scaled:F0} ms");
    }
}
