using ResearchKit.Data;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Data;

public class LmBatcherTests
{
    [Fact]
    public void Batchify_And_Windows_OnASmallStream()
    {
        var tokens = Enumerable.Range(0, 26).ToArray();
        var b = new LmBatcher(tokens, batchSize: 4, bptt: 2);
        Assert.Equal(6, b.StreamLength);            // 26 → 24 tokens, 4 streams of 6
        Assert.Equal(3, b.BatchesPerEpoch);         // ⌈(6 − 1)/2⌉
        var data = b.Data();
        Assert.Equal(new Shape(6, 4), data.Shape);
        // Column s is stream s = tokens[6s .. 6s+5].
        Assert.Equal([0L, 6, 12, 18, 1, 7, 13, 19, 2, 8, 14, 20, 3, 9, 15, 21, 4, 10, 16, 22, 5, 11, 17, 23], data.ToInt64Array());

        var w0 = b.Window(0);
        Assert.Equal(new Shape(2, 4), w0.Inputs.Shape);
        Assert.Equal(DType.Int64, w0.Inputs.DType);
        Assert.Equal([0L, 6, 12, 18, 1, 7, 13, 19], w0.Inputs.ToInt64Array());
        Assert.Equal([1L, 7, 13, 19, 2, 8, 14, 20], w0.Targets.ToInt64Array());
        var last = b.Window(2);                     // rows 4..4, shorter: 6 − 1 − 4 = 1
        Assert.Equal(1, last.Length);
        Assert.Equal([4L, 10, 16, 22], last.Inputs.ToInt64Array());
        Assert.Equal([5L, 11, 17, 23], last.Targets.ToInt64Array());
    }

    [Theory]
    [InlineData(1000, 20, 35, 7)]
    [InlineData(97, 3, 5, 8)]
    [InlineData(10, 5, 1, 9)]
    [InlineData(50, 1, 100, 10)]
    public void Windows_MatchPyTorchReference(int n, int batch, int bptt, int seed)
    {
        var rnd = new Random(seed);
        var tokens = new int[n];
        for (int i = 0; i < n; i++) tokens[i] = rnd.Next(10_000);
        var b = new LmBatcher(tokens, batch, bptt);
        // Reference: data = tokens[:L·B].view(B, L).t(); for i in range(0, L − 1, bptt): seq_len = min(bptt, L − 1 − i).
        int len = n / batch;
        long At(int row, int col) => tokens[col * len + row];
        var windows = b.Windows().ToList();
        int k = 0;
        for (int i = 0; i < len - 1; i += bptt, k++)
        {
            int t = Math.Min(bptt, len - 1 - i);
            var w = windows[k];
            Assert.Equal(k, w.Index);
            Assert.Equal(new Shape(t, batch), w.Inputs.Shape);
            Assert.Equal(new Shape(t, batch), w.Targets.Shape);
            var inp = w.Inputs.ToInt64Array(); var tgt = w.Targets.ToInt64Array();
            for (int r = 0; r < t; r++)
                for (int c = 0; c < batch; c++)
                {
                    Assert.Equal(At(i + r, c), inp[r * batch + c]);
                    Assert.Equal(At(i + r + 1, c), tgt[r * batch + c]);
                }
        }
        Assert.Equal(k, b.BatchesPerEpoch);
        Assert.Equal(windows.Count, k);
        // Resume from window 1.
        var resumed = b.Windows(Math.Min(1, k)).ToList();
        Assert.Equal(windows.Skip(1).Select(w => w.Inputs.ToInt64Array()), resumed.Select(w => w.Inputs.ToInt64Array()));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Contains("need at least 2", Assert.Throws<ArgumentException>(() => new LmBatcher(new int[7], 4, 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LmBatcher(new int[10], 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LmBatcher(new int[10], 2, 0));
        var b = new LmBatcher(new int[20], 2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Window(b.BatchesPerEpoch));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Window(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Windows(b.BatchesPerEpoch + 1));
        Assert.Empty(b.Windows(b.BatchesPerEpoch));
    }

    [Fact]
    public void CarryPolicy_KeepsWithProbabilityP_Deterministically()
    {
        var p = new HiddenCarryPolicy(0.99, seed: 123);
        const int steps = 100_000;
        int keeps = 0;
        var first = new bool[steps];
        for (int s = 0; s < steps; s++) { first[s] = p.Keep(s); if (first[s]) keeps++; }
        Assert.InRange(keeps / (double)steps, 0.988, 0.992);
        // Same seed: same decisions, in any order (a pure function of the step, so resume is exact).
        var again = new HiddenCarryPolicy(0.99, seed: 123);
        for (int s = steps - 1; s >= 0; s -= 7) Assert.Equal(first[s], again.Keep(s));
        // Another seed: different reset positions.
        var other = new HiddenCarryPolicy(0.99, seed: 124);
        int differ = 0;
        for (int s = 0; s < steps; s++) if (other.Keep(s) != first[s]) differ++;
        Assert.InRange(differ, 1000, 3000);   // ≈ 2·p·(1 − p)·steps = 1980
    }

    [Theory]
    [InlineData(0.5, 0.49, 0.51)]
    [InlineData(0.9, 0.895, 0.905)]
    public void CarryPolicy_OtherProbabilities(double prob, double lo, double hi)
    {
        var p = new HiddenCarryPolicy(prob, seed: 5);
        int keeps = 0;
        for (int s = 0; s < 100_000; s++) if (p.Keep(s)) keeps++;
        Assert.InRange(keeps / 100_000.0, lo, hi);
    }

    [Fact]
    public void CarryPolicy_Extremes_AndValidation()
    {
        var always = new HiddenCarryPolicy(1.0, 1);
        var never = new HiddenCarryPolicy(0.0, 1);
        for (int s = 0; s < 1000; s++) { Assert.True(always.Keep(s)); Assert.False(never.Keep(s)); }
        Assert.Equal(0.99, new HiddenCarryPolicy().KeepProbability);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HiddenCarryPolicy(1.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HiddenCarryPolicy(double.NaN));
    }
}
