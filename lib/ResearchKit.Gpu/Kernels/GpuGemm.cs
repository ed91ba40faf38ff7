using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// Single-precision matrix product on a <see cref="GpuDevice"/>, row-major with leading dimensions as the engine's CPU
/// <c>Gemm.Sgemm</c>: <c>C = α·op(A)·op(B) + β·C</c>, op(A) m×k and op(B) k×n, every transpose combination.
/// </summary>
/// <remarks>
/// Each 16×16 thread block computes a 16×16 tile of C, staging 16×16 tiles of op(A) and op(B) in shared memory so that every
/// element read from device memory serves 16 multiply-adds. Edges are zero-filled in shared memory, so any m, n, k works.
/// As in BLAS, C is not read when β = 0 (NaN there is overwritten). The launch is asynchronous on the accelerator's
/// default stream; copying the result back (or <c>Accelerator.Synchronize()</c>) waits for it.
/// </remarks>
public static class GpuGemm
{
    /// <summary>Side of the square tile of C one thread block computes.</summary>
    public const int Tile = 16;

    /// <summary>The scalar arguments of one product (an unmanaged struct, as kernel parameters must be).</summary>
    internal readonly record struct Args(int M, int N, int K, int Lda, int Ldb, int Ldc, float Alpha, float Beta, int TransA, int TransB);

    /// <summary>C = α·op(A)·op(B) + β·C on <paramref name="device"/> (see the class remarks).</summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is smaller than its row, or a view is too short.</exception>
    public static void Sgemm(GpuDevice device, bool transA, bool transB, int m, int n, int k, float alpha,
        ArrayView<float> a, int lda, ArrayView<float> b, int ldb, float beta, ArrayView<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"GpuGemm.Sgemm: sizes must be non-negative, got m={m}, n={n}, k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        Check("A", a.Length, aRows, aCols, lda);
        Check("B", b.Length, bRows, bCols, ldb);
        Check("C", c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        var kernel = device.Kernel("sgemm-tiled", acc =>
            acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, Args>(TiledKernel));
        var groups = new Index2D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile);
        kernel(new KernelConfig(groups, new Index2D(Tile, Tile)), a, b, c,
            new Args(m, n, k, lda, ldb, ldc, alpha, beta, transA ? 1 : 0, transB ? 1 : 0));
    }

    /// <summary>
    /// The same product with one thread per element of C and no shared memory: what ILGPU's CPU accelerator runs fast (it
    /// emulates a thread block's barriers with OS threads, which makes the tiled kernel about 50× slower there). Same
    /// arguments and checks as <see cref="Sgemm"/>.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Sgemm"/>.</exception>
    public static void SgemmSimple(GpuDevice device, bool transA, bool transB, int m, int n, int k, float alpha,
        ArrayView<float> a, int lda, ArrayView<float> b, int ldb, float beta, ArrayView<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"GpuGemm.SgemmSimple: sizes must be non-negative, got m={m}, n={n}, k={k}.");
        Check("A", a.Length, transA ? k : m, transA ? m : k, lda);
        Check("B", b.Length, transB ? n : k, transB ? k : n, ldb);
        Check("C", c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        if ((long)m * n > int.MaxValue) throw new ArgumentException($"GpuGemm.SgemmSimple: {m}×{n} outputs; at most {int.MaxValue} per launch.");
        var kernel = device.Kernel("sgemm-simple", acc =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, Args>(SimpleKernel));
        kernel(m * n, a, b, c, new Args(m, n, k, lda, ldb, ldc, alpha, beta, transA ? 1 : 0, transB ? 1 : 0));
    }

    private static void SimpleKernel(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, Args p)
    {
        int row = i / p.N, col = i - row * p.N;
        float acc = 0f;
        for (int t = 0; t < p.K; t++)
            acc += (p.TransA != 0 ? a[(long)t * p.Lda + row] : a[(long)row * p.Lda + t]) * (p.TransB != 0 ? b[(long)col * p.Ldb + t] : b[(long)t * p.Ldb + col]);
        long at = (long)row * p.Ldc + col;
        c[at] = p.Beta == 0f ? p.Alpha * acc : p.Alpha * acc + p.Beta * c[at];
    }

    private static void Check(string name, long length, int rows, int cols, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"GpuGemm.Sgemm: the leading dimension of {name} is {ld}, smaller than its {cols} columns (row-major storage).");
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"GpuGemm.Sgemm: {name} has {length} elements; {rows}×{cols} with leading dimension {ld} needs {needed}.");
    }

    // Thread (x, y) of a block owns C[row = block.y·16 + y, col = block.x·16 + x]; per step of 16 depths the block stages
    // op(A)[rows, t0..t0+15] and op(B)[t0..t0+15, cols] in shared memory (x is the fast index of both tiles).
    private static void TiledKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, Args p)
    {
        int tx = Group.IdxX, ty = Group.IdxY;
        int row = Grid.IdxY * Tile + ty, col = Grid.IdxX * Tile + tx;
        var sa = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        var sb = SharedMemory.Allocate2D<float, Stride2D.DenseX>(new Index2D(Tile, Tile), new Stride2D.DenseX(Tile));
        float acc = 0f;
        for (int t0 = 0; t0 < p.K; t0 += Tile)
        {
            int ka = t0 + tx, kb = t0 + ty;
            // sa[i, y] = op(A)[row, t0 + i]; sb[x, i] = op(B)[t0 + i, col].
            sa[tx, ty] = row < p.M && ka < p.K ? (p.TransA != 0 ? a[(long)ka * p.Lda + row] : a[(long)row * p.Lda + ka]) : 0f;
            sb[tx, ty] = col < p.N && kb < p.K ? (p.TransB != 0 ? b[(long)col * p.Ldb + kb] : b[(long)kb * p.Ldb + col]) : 0f;
            Group.Barrier();
            for (int i = 0; i < Tile; i++) acc += sa[i, ty] * sb[tx, i];
            Group.Barrier();
        }
        if (row < p.M && col < p.N)
        {
            long at = (long)row * p.Ldc + col;
            c[at] = p.Beta == 0f ? p.Alpha * acc : p.Alpha * acc + p.Beta * c[at];
        }
    }
}
