namespace ResearchKit.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>Cache blocking of the packed path (tests pass small values to reach every panel boundary cheaply).</summary>
    /// <param name="Mc">Rows of a packed A block (rounded down to a multiple of MR): MC×KC floats stay in L2.</param>
    /// <param name="Kc">Depth of a packed panel: a KC×NR sliver of B stays in L1.</param>
    /// <param name="Nc">Columns of a packed B panel: KC×NC floats stay in the shared L3.</param>
    internal readonly record struct Blocking(int Mc, int Kc, int Nc)
    {
        /// <summary>Tuned for 48 KB L1 / 1 MB L2 / 32 MB L3 (Zen 4/5 class): B sliver 256×32×4 = 32 KB, A block 240×256×4 = 240 KB.</summary>
        public static readonly Blocking Default = new(240, 256, 4096);
    }

    [ThreadStatic] private static float[]? t_packA;
    [ThreadStatic] private static float[]? t_packB;

    /// <summary>
    /// GotoBLAS/BLIS loop nest: jc (NC panel of B) → pc (KC depth) → [pack B panel, shared] → parallel over
    /// M or N slivers → ic (MC block of A, packed per thread) → jr (NR sliver) → ir (MR sliver) → micro-kernel.
    /// Every C element is accumulated over k blocks in ascending order by a fixed instruction sequence, so the
    /// result does not depend on how chunks are scheduled or on the thread count.
    /// </summary>
    private static unsafe void PackedGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, KernelKind kind, Blocking blocking)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new PackedJob(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, kind, blocking);
            job.Run();
        }
    }

    /// <summary>State of one packed SGEMM call, shared by its parallel chunks (one allocation per call, none per chunk).</summary>
    private sealed unsafe class PackedJob
    {
        private readonly bool _transA, _transB, _v512, _splitM;
        private readonly int _m, _n, _k, _lda, _ldb, _ldc, _mr, _nr, _mcMax, _kcMax, _ncMax, _threads;
        private readonly float _alpha, _beta;
        private readonly float* _a, _b, _c;
        private readonly Action<int> _packBStep, _computeStep;

        // Current (jc, pc) block, set by the calling thread between parallel steps.
        private int _jc, _nc, _pc, _kc, _packChunks, _workChunks;
        private float _betaNow;
        private float* _bPacked;

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
            _threads = Parallelism.Threads;
            // Split the larger dimension so each chunk gets whole micro-tiles; splitting N duplicates A packing per chunk,
            // splitting M shares the packed B panel, so M wins ties.
            _splitM = m >= n;
            _packBStep = PackBChunk;
            _computeStep = ComputeChunk;
        }

        public void Run()
        {
            int ncCap = Math.Min(_ncMax, _n);
            int kcCap = Math.Min(_kcMax, _k);
            float[] bBuf = RentScratch(ref t_packB, RoundUp(ncCap, _nr) * kcCap);
            try
            {
                _bPacked = Aligned(bBuf);
                for (int jc = 0; jc < _n; jc += _ncMax)
                {
                    _jc = jc;
                    _nc = Math.Min(_ncMax, _n - jc);
                    int nSlivers = (_nc + _nr - 1) / _nr;
                    for (int pc = 0; pc < _k; pc += _kcMax)
                    {
                        _pc = pc;
                        _kc = Math.Min(_kcMax, _k - pc);
                        // The first k block applies the caller's beta; later blocks accumulate onto C.
                        _betaNow = pc == 0 ? _beta : 1f;
                        // Chunk counts depend only on sizes and the thread count (reproducibility rule).
                        _packChunks = (long)_kc * _nc >= 16 * 1024 ? Math.Min(nSlivers, _threads) : 1;
                        Parallelism.For(_packChunks, _packBStep);
                        int workSlivers = _splitM ? (_m + _mr - 1) / _mr : nSlivers;
                        _workChunks = _threads == 1 ? 1 : Math.Min(workSlivers, _splitM ? 4 * _threads : _threads);
                        Parallelism.For(_workChunks, _computeStep);
                    }
                }
            }
            finally
            {
                ReturnScratch(ref t_packB, bBuf);
            }
        }

        private void PackBChunk(int w)
        {
            int slivers = (_nc + _nr - 1) / _nr;
            int s0 = (int)((long)w * slivers / _packChunks), s1 = (int)((long)(w + 1) * slivers / _packChunks);
            PackB(_transB, _b, _ldb, _pc, _kc, _jc, _nc, _nr, s0, s1, _bPacked);
        }

        private void ComputeChunk(int w)
        {
            int rowStart, rowEnd, sliverStart, sliverEnd;
            int nSlivers = (_nc + _nr - 1) / _nr;
            if (_splitM)
            {
                int mSlivers = (_m + _mr - 1) / _mr;
                rowStart = (int)((long)w * mSlivers / _workChunks) * _mr;
                rowEnd = Math.Min(_m, (int)((long)(w + 1) * mSlivers / _workChunks) * _mr);
                (sliverStart, sliverEnd) = (0, nSlivers);
            }
            else
            {
                (rowStart, rowEnd) = (0, _m);
                sliverStart = (int)((long)w * nSlivers / _workChunks);
                sliverEnd = (int)((long)(w + 1) * nSlivers / _workChunks);
            }
            if (rowStart >= rowEnd || sliverStart >= sliverEnd) return;

            int mcCap = Math.Min(_mcMax, rowEnd - rowStart);
            float[] aBuf = RentScratch(ref t_packA, RoundUp(mcCap, _mr) * _kc);
            try
            {
                float* aPacked = Aligned(aBuf);
                for (int ic = rowStart; ic < rowEnd; ic += _mcMax)
                {
                    int mc = Math.Min(_mcMax, rowEnd - ic);
                    PackA(_transA, _a, _lda, ic, mc, _pc, _kc, _mr, aPacked);
                    for (int jr = sliverStart; jr < sliverEnd; jr++)
                    {
                        float* bs = _bPacked + (nint)jr * _nr * _kc;
                        int nr = Math.Min(_nr, _nc - jr * _nr);
                        float* cc = _c + (nint)ic * _ldc + _jc + jr * _nr;
                        float* asl = aPacked;
                        for (int ir = 0; ir < mc; ir += _mr, asl += (nint)_mr * _kc)
                        {
                            int mr = Math.Min(_mr, mc - ir);
                            if (_v512) Kernel512(_kc, asl, bs, cc + (nint)ir * _ldc, _ldc, mr, nr, _alpha, _betaNow);
                            else Kernel256(_kc, asl, bs, cc + (nint)ir * _ldc, _ldc, mr, nr, _alpha, _betaNow);
                        }
                    }
                }
            }
            finally
            {
                ReturnScratch(ref t_packA, aBuf);
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
