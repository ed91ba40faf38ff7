using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major spans:
/// <c>C = alpha · op(A) · op(B) + beta · C</c>, where <c>op(X)</c> is X or Xᵀ.
/// </summary>
/// <remarks>
/// Row-major convention: <c>op(A)</c> is M×K, <c>op(B)</c> is K×N, C is M×N.
/// A is stored M×K with leading dimension <c>lda</c> (or K×M when <c>transA</c>),
/// B is stored K×N with <c>ldb</c> (or N×K when <c>transB</c>), C is M×N with <c>ldc</c>.
/// When <c>beta == 0</c>, C is overwritten and its previous contents (even NaN) are ignored, as in BLAS;
/// when <c>k == 0</c>, A and B are not read and <c>C = beta · C</c>.
/// Results depend only on the inputs and <see cref="Parallelism.Threads"/>, never on scheduling
/// (in fact every element is summed in the same fixed K order whatever the thread count).
/// Large problems use a packed, cache-blocked, multi-threaded AVX-512 (or AVX2/FMA) kernel.
/// </remarks>
public static partial class Gemm
{
    /// <summary>Below this many multiply-adds (m·n·k) packing costs more than it saves (measured crossover ≈ 24³).</summary>
    private const long SmallWork = 16 * 1024;

    /// <summary>Which micro-kernel family the packed path uses on this machine.</summary>
    internal enum KernelKind
    {
        /// <summary>No suitable SIMD: the row (axpy/dot) path handles every size.</summary>
        None,
        /// <summary>Vector256 + FMA 6×16 micro-kernel.</summary>
        V256,
        /// <summary>Vector512 12×32 micro-kernel.</summary>
        V512,
    }

    /// <summary>Best kernel family for this CPU.</summary>
    internal static readonly KernelKind BestKernel =
        Vector512.IsHardwareAccelerated ? KernelKind.V512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? KernelKind.V256
        : KernelKind.None;

    /// <summary>Computes <c>C = alpha · op(A) · op(B) + beta · C</c>.</summary>
    /// <param name="transA">Use Aᵀ: A is stored K×M.</param>
    /// <param name="transB">Use Bᵀ: B is stored N×K.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A) = rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of stored A.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of stored B.</param>
    /// <param name="beta">Scale of the previous C (0 ignores it entirely).</param>
    /// <param name="c">C, row-major with leading dimension <paramref name="ldc"/>; updated in place.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is smaller than its column count,
    /// or a span is too short for the given sizes and leading dimensions.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        SgemmCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, BestKernel);
    }

    /// <summary>
    /// Strided batched SGEMM: for each <c>i &lt; batch</c>, runs <see cref="Sgemm"/> on the matrices starting at
    /// <c>i·strideA</c>, <c>i·strideB</c>, <c>i·strideC</c>. A stride of 0 broadcasts that operand (e.g. shared weights).
    /// </summary>
    /// <exception cref="ArgumentException">Sizes, strides or span lengths are inconsistent.</exception>
    internal static void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC)
    {
        if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentException($"SgemmBatched: batch and strides must be non-negative, got batch={batch}, strideA={strideA}, strideB={strideB}, strideC={strideC}.");
        if (batch == 0) return;
        if (batch > 1 && m > 0 && n > 0 && strideC < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"SgemmBatched: strideC ({strideC}) is smaller than one C matrix ({m}x{n}, ldc={ldc}); outputs would overlap.");
        // Check the last matrix of each operand up front so a short span names the batch layout, not a slice.
        CheckLast("A", a.Length, strideA, transA ? k : m, transA ? m : k, lda);
        CheckLast("B", b.Length, strideB, transB ? n : k, transB ? k : n, ldb);
        CheckLast("C", c.Length, strideC, m, n, ldc);
        for (int i = 0; i < batch; i++)
        {
            // Clamped: an operand with a zero-sized matrix may have a stride past its (empty) span.
            int oa = (int)Math.Min(i * strideA, a.Length), ob = (int)Math.Min(i * strideB, b.Length), oc = (int)Math.Min(i * strideC, c.Length);
            Sgemm(transA, transB, m, n, k, alpha, a[oa..], lda, b[ob..], ldb, beta, c[oc..], ldc);
        }

        void CheckLast(string name, int len, long stride, int rows, int cols, int ld)
        {
            if (rows == 0 || cols == 0) return;
            long end = (batch - 1) * stride + (long)(rows - 1) * ld + cols;
            if (end > len)
                throw new ArgumentException($"SgemmBatched: {name} needs {end} elements for {batch} {rows}x{cols} matrices (ld={ld}, stride={stride}), but the span has {len}.");
        }
    }

    /// <summary>
    /// Dispatch after validation; <paramref name="kind"/>, <paramref name="blocking"/> and <paramref name="forcePacked"/>
    /// let tests exercise every micro-kernel family and panel boundary on small inputs.
    /// </summary>
    internal static void SgemmCore(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, KernelKind kind,
        Blocking? blocking = null, bool forcePacked = false)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (kind == KernelKind.None || (!forcePacked && (long)m * n * k < SmallWork))
        {
            RowGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        PackedGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, kind, blocking ?? Blocking.For(kind));
    }

    /// <summary>C = beta · C, with beta == 0 clearing (NaN-safe).</summary>
    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    internal static void Validate(bool transA, bool transB, int m, int n, int k,
        int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Sgemm: sizes must be non-negative, got m={m}, n={n}, k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        Check("A", aRows, aCols, lda, aLen);
        Check("B", bRows, bCols, ldb, bLen);
        Check("C", m, n, ldc, cLen);

        static void Check(string name, int rows, int cols, int ld, int len)
        {
            if (rows == 0 || cols == 0) return;
            if (ld < cols)
                throw new ArgumentException($"Sgemm: leading dimension of {name} ({ld}) is smaller than its column count ({cols}).");
            long need = (long)(rows - 1) * ld + cols;
            if (len < need)
                throw new ArgumentException($"Sgemm: {name} needs {need} elements for a {rows}x{cols} matrix with leading dimension {ld}, but the span has {len}.");
        }
    }
}
