using System.Buffers;
using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Unpacked path for tiny problems (and CPUs without wide SIMD): C rows are built with vectorized
    /// axpy (<c>C[i,:] += alpha·A[i,p]·B[p,:]</c>) or dot products when B is transposed, so no scratch is packed.
    /// Single-threaded: below <see cref="SmallWork"/> a thread hand-off costs more than the whole product.
    /// </summary>
    private static void RowGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (!transB)
        {
            for (int i = 0; i < m; i++)
            {
                Span<float> crow = c.Slice(i * ldc, n);
                if (beta == 0f) crow.Clear();
                else if (beta != 1f) TensorPrimitives.Multiply(crow, beta, crow);
                for (int p = 0; p < k; p++)
                {
                    float s = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                    TensorPrimitives.FusedMultiplyAdd(b.Slice(p * ldb, n), s, crow, crow);
                }
            }
            return;
        }

        // op(B) = Bᵀ: C[i,j] = dot(A[i,:], B[j,:]); a transposed A row is gathered once so both operands are contiguous.
        float[]? rented = transA ? ArrayPool<float>.Shared.Rent(k) : null;
        try
        {
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<float> arow;
                if (rented is null) arow = a.Slice(i * lda, k);
                else
                {
                    for (int p = 0; p < k; p++) rented[p] = a[p * lda + i];
                    arow = rented.AsSpan(0, k);
                }
                Span<float> crow = c.Slice(i * ldc, n);
                for (int j = 0; j < n; j++)
                {
                    float s = TensorPrimitives.Dot(arow, b.Slice(j * ldb, k));
                    crow[j] = beta == 0f ? alpha * s : MathF.FusedMultiplyAdd(s, alpha, beta * crow[j]);
                }
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }
}
