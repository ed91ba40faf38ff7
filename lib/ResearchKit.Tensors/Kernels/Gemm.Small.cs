using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Unpacked path for tiny problems (and CPUs without wide SIMD): C rows are built with vectorized
    /// axpy (<c>C[i,:] += (alpha·A[i,p])·B[p,:]</c>) or, when B is transposed, dot products of contiguous rows,
    /// so nothing is packed. Single-threaded: at these sizes a thread hand-off costs more than the product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (!transB)
        {
            for (int i = 0; i < m; i++)
            {
                Span<float> crow = c.Slice(i * ldc, n);
                if (beta == 0f) crow.Clear();
                else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(crow, beta, crow);
                for (int p = 0; p < k; p++)
                {
                    float s = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                    Axpy(s, b.Slice(p * ldb, n), crow);
                }
            }
            return;
        }

        // op(B) = Bᵀ: C[i,j] = dot(A[i,:], B[j,:]); a transposed A row is gathered once so both operands are contiguous.
        float[]? rented = transA ? KernelPool.Floats.Rent(k) : null;
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
                    float s = Dot(arow, b.Slice(j * ldb, k));
                    crow[j] = beta == 0f ? alpha * s : MathF.FusedMultiplyAdd(s, alpha, beta * crow[j]);
                }
            }
        }
        finally
        {
            if (rented is not null) KernelPool.Floats.Return(rented);
        }
    }

    /// <summary>y += s·x with fused multiply-adds, widest vectors first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy(float s, ReadOnlySpan<float> x, Span<float> y)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = y.Length, j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            for (; j + 16 <= n; j += 16)
                Vector512.FusedMultiplyAdd(vs, Vector512.LoadUnsafe(ref xr, (nuint)j), Vector512.LoadUnsafe(ref yr, (nuint)j))
                    .StoreUnsafe(ref yr, (nuint)j);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            for (; j + 8 <= n; j += 8)
                Vector256.FusedMultiplyAdd(vs, Vector256.LoadUnsafe(ref xr, (nuint)j), Vector256.LoadUnsafe(ref yr, (nuint)j))
                    .StoreUnsafe(ref yr, (nuint)j);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var vs = Vector128.Create(s);
            for (; j + 4 <= n; j += 4)
                Vector128.FusedMultiplyAdd(vs, Vector128.LoadUnsafe(ref xr, (nuint)j), Vector128.LoadUnsafe(ref yr, (nuint)j))
                    .StoreUnsafe(ref yr, (nuint)j);
        }
        for (; j < n; j++) Unsafe.Add(ref yr, j) = MathF.FusedMultiplyAdd(s, Unsafe.Add(ref xr, j), Unsafe.Add(ref yr, j));
    }

    /// <summary>Dot product with a fixed lane-wise accumulation order (so equal inputs give equal bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length, j = 0;
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; j + 8 <= n; j += 8)
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)j), Vector256.LoadUnsafe(ref yr, (nuint)j), acc);
            sum = Vector256.Sum(acc);
        }
        for (; j < n; j++) sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref xr, j), Unsafe.Add(ref yr, j), sum);
        return sum;
    }
}
