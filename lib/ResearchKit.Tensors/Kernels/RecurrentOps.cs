using System.Diagnostics;
using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Kernels;

/// <summary>Building blocks shared by the LSTM, GRU and RNN span kernels.</summary>
internal static class RecurrentOps
{
    /// <summary>When set, <see cref="GemmTicks"/> accumulates the Stopwatch ticks spent in SGEMM (benchmarks only).</summary>
    internal static bool ProfileGemm;

    /// <summary>Stopwatch ticks spent inside SGEMM while <see cref="ProfileGemm"/> was set.</summary>
    internal static long GemmTicks;

    /// <summary><see cref="Gemm.Sgemm"/> with optional timing, so benchmarks can split GEMM from pointwise time.</summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (!ProfileGemm)
        {
            Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        long start = Stopwatch.GetTimestamp();
        Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        GemmTicks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// gates[T·B, G·H] = x[T·B, I] · W_ihᵀ: the whole input projection as one GEMM. Biases are added later in the
    /// per-step pointwise pass, which touches the gates anyway (broadcasting them here would cost an extra pass).
    /// </summary>
    internal static void InputProjection(ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, Span<float> gates, int rows, int inputSize, int gateWidth) =>
        Sgemm(false, true, rows, gateWidth, inputSize, 1f, x, inputSize, wIh, inputSize, 0f, gates, gateWidth);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/>, or zeroes it when the source is empty.</summary>
    internal static void CopyOrZero(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.IsEmpty) destination.Clear();
        else source.CopyTo(destination);
    }

    /// <summary>
    /// dst[c] += Σ_r block[r, c] over one step's <paramref name="rows"/> rows. Called per step while the block is still
    /// in cache; summing the step first keeps float chains short, and the fixed order keeps the result deterministic.
    /// </summary>
    internal static void AccumulateColumnSums(ReadOnlySpan<float> block, int rows, int cols, Span<float> dst, Span<float> partial)
    {
        if (dst.IsEmpty) return;
        partial = partial[..cols];
        block[..cols].CopyTo(partial);
        for (int r = 1; r < rows; r++) TensorPrimitives.Add(partial, block.Slice(r * cols, cols), partial);
        TensorPrimitives.Add(dst, partial, dst);
    }
}
