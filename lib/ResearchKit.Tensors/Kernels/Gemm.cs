namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major spans:
/// <c>C = alpha · op(A) · op(B) + beta · C</c>, where <c>op(X)</c> is X or Xᵀ.
/// </summary>
/// <remarks>
/// Row-major convention: <c>op(A)</c> is M×K, <c>op(B)</c> is K×N, C is M×N.
/// A is stored M×K with leading dimension <c>lda</c> (or K×M when <c>transA</c>),
/// B is stored K×N with <c>ldb</c> (or N×K when <c>transB</c>), C is M×N with <c>ldc</c>.
/// When <c>beta == 0</c>, C is overwritten and its previous contents (even NaN) are ignored, as in BLAS.
/// Results depend only on the inputs and <see cref="Parallelism.Threads"/>, never on scheduling.
/// </remarks>
public static partial class Gemm
{
    /// <summary>Computes <c>C = alpha · op(A) · op(B) + beta · C</c>.</summary>
    /// <exception cref="ArgumentException">A span is too short for the given sizes and leading dimensions.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        // Reference implementation; replaced by the packed SIMD kernel.
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                }
                ref float cij = ref c[i * ldc + j];
                cij = beta == 0f ? alpha * s : alpha * s + beta * cij;
            }
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
