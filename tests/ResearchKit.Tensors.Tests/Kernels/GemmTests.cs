using ResearchKit.Tensors.Kernels;
using Xunit;

namespace ResearchKit.Tensors.Tests.Kernels;

/// <summary>
/// Gemm tests set the global <see cref="Parallelism.Threads"/>, so they run in xunit's serial phase, never beside
/// another class that could change the thread count mid-test.
/// </summary>
[CollectionDefinition("GemmSerial", DisableParallelization = true)]
public sealed class GemmSerialCollection;

[Collection("GemmSerial")]
public sealed class GemmTests
{
    private static readonly Gemm.Blocking Tiny = new(Mc: 24, Kc: 7, Nc: 64);

    /// <summary>Every kernel family (as its int value: the enum is internal) this CPU can run, plus the portable row path.</summary>
    public static TheoryData<int> Kinds()
    {
        var data = new TheoryData<int> { (int)Gemm.KernelKind.None };
        if (Gemm.BestKernel >= Gemm.KernelKind.V256) data.Add((int)Gemm.KernelKind.V256);
        if (Gemm.BestKernel >= Gemm.KernelKind.V512) data.Add((int)Gemm.KernelKind.V512);
        return data;
    }

    private sealed record Case(bool TransA, bool TransB, int M, int N, int K, float Alpha, float Beta,
        int PadA = 0, int PadB = 0, int PadC = 0);

    private static float[] Random(Random rng, int len)
    {
        var x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>Runs one case through <see cref="Gemm.SgemmCore"/> and checks every element (and C's padding) against a double reference.</summary>
    private static void Check(Case t, Gemm.KernelKind kind, int seed, Gemm.Blocking? blocking = null, bool forcePacked = false)
    {
        var rng = new Random(seed);
        int aRows = t.TransA ? t.K : t.M, aCols = t.TransA ? t.M : t.K;
        int bRows = t.TransB ? t.N : t.K, bCols = t.TransB ? t.K : t.N;
        int lda = aCols + t.PadA, ldb = bCols + t.PadB, ldc = t.N + t.PadC;
        float[] a = Random(rng, Math.Max(0, (aRows - 1) * lda + aCols));
        float[] b = Random(rng, Math.Max(0, (bRows - 1) * ldb + bCols));
        float[] c = Random(rng, t.M * ldc);
        if (t.Beta == 0f) Array.Fill(c, float.NaN); // beta == 0 must ignore C entirely, even NaN
        float[] c0 = (float[])c.Clone();

        Gemm.SgemmCore(t.TransA, t.TransB, t.M, t.N, t.K, t.Alpha, a, lda, b, ldb, t.Beta, c, ldc, kind, blocking, forcePacked);

        for (int i = 0; i < t.M; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                float got = c[i * ldc + j];
                if (j >= t.N)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(got) == BitConverter.SingleToInt32Bits(c0[i * ldc + j]),
                        $"{t} {kind}: padding C[{i},{j}] was modified");
                    continue;
                }
                double s = 0, mag = 0;
                for (int p = 0; p < t.K; p++)
                {
                    double av = t.TransA ? a[p * lda + i] : a[i * lda + p];
                    double bv = t.TransB ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                    mag += Math.Abs(av * bv);
                }
                double prev = t.Beta == 0f ? 0 : c0[i * ldc + j];
                double want = t.Alpha * s + t.Beta * prev;
                double tol = 1e-5 * Math.Sqrt(t.K + 1) * (Math.Abs(t.Alpha) * mag + Math.Abs(t.Beta * prev)) + 1e-30;
                Assert.True(Math.Abs(got - want) <= tol,
                    $"{t} {kind}: C[{i},{j}] = {got}, expected {want} (tol {tol:E2})");
            }
        }
    }

    private static IEnumerable<(bool, bool)> Transposes()
    {
        yield return (false, false);
        yield return (false, true);
        yield return (true, false);
        yield return (true, true);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MatchesDoubleReference_ManyShapes_AllTransposes(int kindValue)
    {
        var kind = (Gemm.KernelKind)kindValue;
        int[][] shapes =
        [
            [1, 1, 1], [1, 17, 5], [9, 1, 13], [2, 3, 1], [6, 16, 8], [12, 32, 256], [13, 33, 257],
            [11, 31, 255], [37, 61, 29], [31, 7, 101], [5, 97, 41], [64, 64, 64], [97, 89, 83],
        ];
        int seed = 1;
        foreach (int[] s in shapes)
        {
            foreach (var (ta, tb) in Transposes())
            {
                Check(new Case(ta, tb, s[0], s[1], s[2], 1f, 0f), kind, seed++);
                // Packed path on small shapes too: otherwise only the row path would see them.
                if (kind != Gemm.KernelKind.None)
                    Check(new Case(ta, tb, s[0], s[1], s[2], 1f, 0f), kind, seed++, forcePacked: true);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AlphaBetaAndLeadingDimensions(int kindValue)
    {
        var kind = (Gemm.KernelKind)kindValue;
        (float alpha, float beta)[] scales = [(1f, 1f), (-0.5f, 2f), (2.5f, 0f), (0f, 0.75f), (1f, -1f)];
        int seed = 100;
        foreach (var (alpha, beta) in scales)
        {
            foreach (var (ta, tb) in Transposes())
            {
                Check(new Case(ta, tb, 29, 45, 67, alpha, beta, PadA: 3, PadB: 5, PadC: 7), kind, seed++);
                Check(new Case(ta, tb, 29, 45, 67, alpha, beta, PadA: 1, PadB: 2, PadC: 3), kind, seed++, Tiny, forcePacked: true);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void PanelBoundaries_SmallBlocking(int kindValue)
    {
        var kind = (Gemm.KernelKind)kindValue;
        // Tiny MC/KC/NC make a modest problem cross many A blocks, k blocks (beta applied once) and B panels.
        int seed = 200;
        foreach (var (ta, tb) in Transposes())
        {
            Check(new Case(ta, tb, 53, 150, 23, 1.5f, 0.5f, PadC: 2), kind, seed++, Tiny, forcePacked: true);
            Check(new Case(ta, tb, 150, 53, 23, 1f, 0f), kind, seed++, Tiny, forcePacked: true);
        }
    }

    [Fact]
    public void LargeProblem_AllTransposes_DefaultKernel()
    {
        int seed = 300;
        foreach (var (ta, tb) in Transposes())
            Check(new Case(ta, tb, 300, 257, 513, 1f, 0.5f, PadA: 1, PadC: 3), Gemm.BestKernel, seed++);
        // Wide (N split) and tall (M split) outputs, both big enough (> 8M multiply-adds) to run as 2 parallel strips.
        Check(new Case(false, false, 30, 800, 400, 1f, 0f), Gemm.BestKernel, seed++);
        Check(new Case(true, true, 800, 30, 400, 1f, 0f), Gemm.BestKernel, seed++);
    }

    [Fact]
    public void PublicSgemm_MatchesReference()
    {
        var rng = new Random(7);
        int m = 70, n = 90, k = 110;
        float[] a = Random(rng, m * k), b = Random(rng, n * k), c = Random(rng, m * n);
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[j * k + p];
                expected[i * n + j] = (float)(2 * s + 0.5 * c[i * n + j]);
            }
        Gemm.Sgemm(false, true, m, n, k, 2f, a, k, b, k, 0.5f, c, n);
        for (int i = 0; i < c.Length; i++) Assert.Equal(expected[i], c[i], 1e-3f);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.5f)]
    public void KZero_ScalesC(float beta)
    {
        float[] c = [1f, float.NaN, 3f, 4f, 5f, 6f, -1f];
        // ldc = 3: C is 2x2 stored in rows of 3, the third column and the tail must survive.
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 0, ReadOnlySpan<float>.Empty, 2, beta, c, 3);
        float[] want = beta == 0f ? [0f, 0f, 3f, 0f, 0f, 6f, -1f] : [0.5f, float.NaN, 3f, 2f, 2.5f, 6f, -1f];
        Assert.Equal(want, c);
    }

    [Fact]
    public void EmptyOutput_TouchesNothing()
    {
        float[] c = [float.NaN];
        Gemm.Sgemm(false, false, 0, 5, 3, 1f, [], 3, new float[15], 5, 0f, c, 5);
        Gemm.Sgemm(false, false, 5, 0, 3, 1f, new float[15], 3, [], 0, 0f, c, 0);
        Assert.True(float.IsNaN(c[0]));
    }

    /// <summary>Shapes above the parallel threshold (4M multiply-adds per strip), split along M and along N.</summary>
    [Theory]
    [InlineData(false, false, 257, 131, 300)]
    [InlineData(true, true, 64, 700, 300)]
    public void Deterministic_AcrossRunsAndThreadCounts(bool ta, bool tb, int m, int n, int k)
    {
        var run = BitsAt(ta, tb, m, n, k, seed: 11);
        int[] r2 = run(2);
        Assert.Equal(r2, run(2));
        Assert.Equal(r2, run(1));
        Assert.Equal(r2, run(4));
    }

    /// <summary>
    /// Thread counts that split C on a 2-D grid (4 → 2×2, 6 → 3×2, 9 → 3×3, 16 → 4×4 on these near-square shapes, ragged
    /// at the edges) give the bits of one thread: the grid moves tiles between threads, never changes their arithmetic.
    /// </summary>
    [Theory]
    [InlineData(false, false, 421, 389, 420)]
    [InlineData(true, false, 400, 450, 400)]
    [InlineData(false, true, 600, 97, 700)]
    public void GridSplits_GiveTheBitsOfOneThread(bool ta, bool tb, int m, int n, int k)
    {
        var run = BitsAt(ta, tb, m, n, k, seed: 12);
        int[] one = run(1);
        foreach (int t in new[] { 2, 4, 6, 9, 16 }) Assert.True(one.AsSpan().SequenceEqual(run(t)), $"{t} threads differ from one");
    }

    // C = 0.7·op(A)·op(B) + 0.3·C on fixed random operands, as bits, at a given Parallelism.Threads (restored after).
    private static Func<int, int[]> BitsAt(bool ta, bool tb, int m, int n, int k, int seed)
    {
        var rng = new Random(seed);
        float[] a = Random(rng, m * k), b = Random(rng, k * n), c0 = Random(rng, m * n);
        return threads =>
        {
            int saved = Parallelism.Threads;
            try
            {
                Parallelism.Threads = threads;
                float[] c = (float[])c0.Clone();
                Gemm.Sgemm(ta, tb, m, n, k, 0.7f, a, ta ? m : k, b, tb ? k : n, 0.3f, c, n);
                return Array.ConvertAll(c, BitConverter.SingleToInt32Bits);
            }
            finally
            {
                Parallelism.Threads = saved;
            }
        };
    }

    [Fact]
    public void Batched_MatchesLoopOfSingleCalls_AndBroadcastsZeroStride()
    {
        var rng = new Random(21);
        int batch = 3, m = 17, n = 19, k = 23;
        float[] a = Random(rng, batch * m * k), w = Random(rng, k * n), c = new float[batch * m * n];
        Gemm.SgemmBatched(batch, false, false, m, n, k, 1f, a, k, m * k, w, n, 0, 0f, c, n, m * n);
        for (int i = 0; i < batch; i++)
        {
            float[] one = new float[m * n];
            Gemm.Sgemm(false, false, m, n, k, 1f, a.AsSpan(i * m * k), k, w, n, 0f, one, n);
            Assert.Equal(one, c.AsSpan(i * m * n, m * n).ToArray());
        }
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmBatched(2, false, false, m, n, k, 1f, a, k, m * k, w, n, 0, 0f, c, n, 5));
        Assert.Contains("strideC (5)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() =>
            Gemm.SgemmBatched(4, false, false, m, n, k, 1f, a, k, m * k, w, n, 0, 0f, c, n, m * n));
        Assert.Contains("SgemmBatched: A needs 1564 elements for 4 17x23 matrices", ex.Message);
    }

    [Fact]
    public void Validate_RejectsBadArguments_WithClearMessages()
    {
        float[] big = new float[100];
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, -1, 2, 2, 1f, big, 2, big, 2, 0f, big, 2));
        Assert.Contains("m=-1", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 5, 6, 1f, big, 5, big, 5, 0f, big, 5));
        Assert.Contains("leading dimension of A (5) is smaller than its column count (6)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 4, 5, 6, 1f, big, 6, big, 4, 0f, big, 5));
        Assert.Contains("leading dimension of B (4) is smaller than its column count (6)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 5, 6, 1f, big, 6, big, 5, 0f, big, 4));
        Assert.Contains("leading dimension of C (4)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 5, 6, 1f, new float[23], 6, big, 5, 0f, big, 5));
        Assert.Contains("A needs 24 elements for a 4x6 matrix with leading dimension 6, but the span has 23", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(true, false, 4, 5, 6, 1f, big, 4, new float[29], 5, 0f, big, 5));
        Assert.Contains("B needs 30 elements", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 5, 6, 1f, big, 6, big, 5, 0f, new float[22], 6));
        Assert.Contains("C needs 23 elements", ex.Message);
    }
}
