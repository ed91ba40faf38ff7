using System.Runtime.CompilerServices;

namespace ResearchKit.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>Cache blocking of the packed path (tests pass small values to reach every panel boundary cheaply).</summary>
    /// <param name="Mc">Rows of a packed A block (rounded down to a multiple of MR): MC×KC floats stay in L2.</param>
    /// <param name="Kc">Depth of a packed panel: a KC×NR sliver of B is reused by every A sliver of an MC block.</param>
    /// <param name="Nc">Columns of a packed B panel: KC×NC floats stay in the shared L3.</param>
    internal readonly record struct Blocking(int Mc, int Kc, int Nc)
    {
        /// <summary>
        /// AVX-512 kernel, measured on Zen 5 (48 KB L1 / 1 MB L2 / 32 MB L3): KC = 512 beat 256 by ~5% (fewer passes over C;
        /// the 64 KB B sliver streams from L2 fast enough), MC mattered little; A block 192×512×4 = 384 KB sits in L2.
        /// </summary>
        public static readonly Blocking Avx512 = new(192, 512, 4096);

        /// <summary>AVX2 kernel (classic 32 KB L1 / 256 KB+ L2): B sliver 256×16×4 = 16 KB, A block 96×256×4 = 96 KB.</summary>
        public static readonly Blocking Avx2 = new(96, 256, 4096);

        /// <summary>Blocking for a kernel family.</summary>
        public static Blocking For(KernelKind kind) => kind == KernelKind.V512 ? Avx512 : Avx2;
    }

    /// <summary>Multiply-adds per parallel strip below which the packed path stays on the calling thread.</summary>
    private const long ParallelWorkPerStrip = 1L << 22;

    [ThreadStatic] private static float[]? t_packA;
    [ThreadStatic] private static float[]? t_packB;

    /// <summary>
    /// GotoBLAS/BLIS loop nest, parallel at the top: C is cut into up to <see cref="Parallelism.Threads"/> blocks of whole
    /// micro-tiles on a tm × tn grid (see <see cref="PackedJob"/>), and each block runs jc (NC panel) → pc (KC depth, pack
    /// B panel) → ic (MC block, pack A) → jr (NR sliver) → ir (MR sliver) → micro-kernel with its own thread-local packing.
    /// One <see cref="Parallelism.For"/> per call keeps mid-size products from paying a thread hand-off per k block;
    /// the price is that blocks of one grid row pack the same A rows and blocks of one column the same B columns, so the
    /// grid is chosen to make each block's packing smallest.
    /// Every C element is accumulated over k blocks in ascending order by a fixed instruction sequence, so the
    /// result does not depend on how strips are scheduled or on the thread count.
    /// </summary>
    private static unsafe void PackedGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, KernelKind kind, Blocking blocking)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new PackedJob(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, kind, blocking);
            Parallelism.For(job.Chunks, job.RunChunk);
        }
    }

    /// <summary>Arguments of one packed SGEMM call, shared read-only by its parallel strips.</summary>
    private sealed unsafe class PackedJob
    {
        private readonly bool _transA, _transB, _v512;
        private readonly int _m, _n, _k, _lda, _ldb, _ldc, _mr, _nr, _mcMax, _kcMax, _ncMax, _tm, _tn;
        private readonly float _alpha, _beta;
        private readonly float* _a, _b, _c;

        /// <summary>Number of strips: depends only on the sizes and <see cref="Parallelism.Threads"/>.</summary>
        public readonly int Chunks;

        public PackedJob(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
            float beta, float* c, int ldc, KernelKind kind, Blocking blocking)
        {
            (_transA, _transB, _m, _n, _k, _alpha, _lda, _ldb, _beta, _ldc) = (transA, transB, m, n, k, alpha, lda, ldb, beta, ldc);
            _a = a;
            _b = b;
            _c = c;
            _v512 = kind == KernelKind.V512;
            _mr = _v512 ? 12 : 6;
            _nr = _v512 ? 32 : 16;
            _mcMax = Math.Max(_mr, blocking.Mc / _mr * _mr);
            _kcMax = Math.Max(1, blocking.Kc);
            _ncMax = Math.Max(_nr, blocking.Nc / _nr * _nr);
            int mSlivers = (m + _mr - 1) / _mr, nSlivers = (n + _nr - 1) / _nr;
            // Each extra strip must bring ≥ 4M multiply-adds (~25 µs on one core): below that, waking a pool thread
            // costs more than it saves (measured crossover between 192³ and 256³ on 2 cores).
            long strips = Math.Max(1L, (long)m * n * k / ParallelWorkPerStrip);
            Chunks = (int)Math.Min(Math.Min(Math.Max(mSlivers, nSlivers), Parallelism.Threads), strips);
            (_tm, _tn) = Grid(Chunks, m, n, mSlivers, nSlivers);
            Chunks = _tm * _tn;
        }

        /// <summary>
        /// The tm × tn grid of strips (tm·tn = <paramref name="chunks"/>) whose per-strip packing, A's (m/tm)·k plus B's
        /// k·(n/tn), is smallest. A strip packs the whole of the operand it shares with its row or column of the grid, so a
        /// 1 × T or T × 1 split makes every strip pack one operand in full: with 16 threads on a square 1024³ product that
        /// is 16 copies of B, which measured 1.5× PyTorch's time there (0.67× at 2 threads). A 4 × 4 grid packs a quarter of
        /// each. Ties keep the split along the larger dimension. The grid changes which strip computes a tile, never its
        /// arithmetic: tiles stay at multiples of MR and NR and every element sums its k blocks in the same order.
        /// </summary>
        private static (int Tm, int Tn) Grid(int chunks, int m, int n, int mSlivers, int nSlivers)
        {
            (int Tm, int Tn) best = m >= n ? (Math.Min(chunks, mSlivers), 1) : (1, Math.Min(chunks, nSlivers));
            double Cost((int Tm, int Tn) g) => (double)m / g.Tm + (double)n / g.Tn;
            for (int tm = 1; tm <= chunks; tm++)
            {
                if (chunks % tm != 0) continue;
                int tn = chunks / tm;
                if (tm > mSlivers || tn > nSlivers) continue;
                if (Cost((tm, tn)) < Cost(best) - 1e-9) best = (tm, tn);
            }
            return best;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunChunk(int w)
        {
            int wm = w / _tn, wn = w % _tn;
            int rowSlivers = (_m + _mr - 1) / _mr, colSlivers = (_n + _nr - 1) / _nr;
            int rowStart = (int)((long)wm * rowSlivers / _tm) * _mr;
            int rowEnd = Math.Min(_m, (int)((long)(wm + 1) * rowSlivers / _tm) * _mr);
            int colStart = (int)((long)wn * colSlivers / _tn) * _nr;
            int colEnd = Math.Min(_n, (int)((long)(wn + 1) * colSlivers / _tn) * _nr);
            if (rowStart >= rowEnd || colStart >= colEnd) return;

            int kcCap = Math.Min(_kcMax, _k);
            float[] aBuf = RentScratch(ref t_packA, RoundUp(Math.Min(_mcMax, rowEnd - rowStart), _mr) * kcCap);
            float[] bBuf = RentScratch(ref t_packB, RoundUp(Math.Min(_ncMax, colEnd - colStart), _nr) * kcCap);
            try
            {
                float* aPacked = Aligned(aBuf), bPacked = Aligned(bBuf);
                for (int jc = colStart; jc < colEnd; jc += _ncMax)
                {
                    int nc = Math.Min(_ncMax, colEnd - jc);
                    int nSlivers = (nc + _nr - 1) / _nr;
                    for (int pc = 0; pc < _k; pc += _kcMax)
                    {
                        int kc = Math.Min(_kcMax, _k - pc);
                        // The first k block applies the caller's beta; later blocks accumulate onto C.
                        float betaNow = pc == 0 ? _beta : 1f;
                        PackB(_transB, _b, _ldb, pc, kc, jc, nc, _nr, 0, nSlivers, bPacked);
                        for (int ic = rowStart; ic < rowEnd; ic += _mcMax)
                        {
                            int mc = Math.Min(_mcMax, rowEnd - ic);
                            PackA(_transA, _a, _lda, ic, mc, pc, kc, _mr, aPacked);
                            MacroKernel(aPacked, bPacked, _c + (nint)ic * _ldc + jc, mc, nc, kc, betaNow);
                        }
                    }
                }
            }
            finally
            {
                ReturnScratch(ref t_packB, bBuf);
                ReturnScratch(ref t_packA, aBuf);
            }
        }

        /// <summary>C block (mc×nc at <paramref name="c"/>) ⊕= packed A block · packed B panel, NR sliver by MR sliver.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void MacroKernel(float* aPacked, float* bPacked, float* c, int mc, int nc, int kc, float beta)
        {
            for (int jr = 0; jr < nc; jr += _nr)
            {
                // The B sliver is reused by every A sliver of the block, so it stays in L1/L2 while A streams from L2.
                float* bs = bPacked + (nint)jr * kc;
                int nr = Math.Min(_nr, nc - jr);
                float* asl = aPacked;
                for (int ir = 0; ir < mc; ir += _mr, asl += (nint)_mr * kc)
                {
                    int mr = Math.Min(_mr, mc - ir);
                    float* cc = c + (nint)ir * _ldc + jr;
                    if (_v512) Kernel512(kc, asl, bs, cc, _ldc, mr, nr, _alpha, beta);
                    else Kernel256(kc, asl, bs, cc, _ldc, mr, nr, _alpha, beta);
                }
            }
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>
    /// Writes the valid <paramref name="mr"/>×<paramref name="nr"/> corner of an edge tile with exactly the arithmetic of
    /// the full-tile vector store (alpha·acc, or fma(acc, alpha, beta·C)), so edges round like interior tiles.
    /// </summary>
    private static unsafe void MergeTile(float* t, int ldt, float* c, int ldc, int mr, int nr, float alpha, float beta)
    {
        for (int i = 0; i < mr; i++, t += ldt, c += ldc)
        {
            if (beta == 0f)
                for (int j = 0; j < nr; j++) c[j] = t[j] * alpha;
            else
                for (int j = 0; j < nr; j++) c[j] = MathF.FusedMultiplyAdd(t[j], alpha, c[j] * beta);
        }
    }
}
