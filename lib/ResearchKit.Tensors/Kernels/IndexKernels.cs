using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Span kernels for index-driven copies (index_select/index_add along one dim, gather/scatter by an index tensor).
/// Tensors are viewed as <c>(outer, size, inner)</c> around the indexed dimension; all indices are validated by the caller.
/// Accumulating kernels run serially in row-major index order, so repeated indices sum in a fixed order (bit-reproducible).
/// </summary>
internal static class IndexKernels
{
    /// <summary><c>dst[o, j, :] = src[o, idx[j], :]</c>.</summary>
    public static void IndexSelect<T>(ReadOnlySpan<T> src, int outer, int size, int inner, ReadOnlySpan<int> idx, Span<T> dst)
    {
        int n = idx.Length;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var s = src.Slice(o * size, size);
                var d = dst.Slice(o * n, n);
                for (int j = 0; j < n; j++) d[j] = s[idx[j]];
            }
            return;
        }
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
                src.Slice((o * size + idx[j]) * inner, inner).CopyTo(dst.Slice((o * n + j) * inner, inner));
    }

    /// <summary><c>dst[o, idx[j], :] = src[o, j, :]</c> (later j win on repeats).</summary>
    public static void IndexCopy<T>(Span<T> dst, int outer, int size, int inner, ReadOnlySpan<int> idx, ReadOnlySpan<T> src)
    {
        int n = idx.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
                src.Slice((o * n + j) * inner, inner).CopyTo(dst.Slice((o * size + idx[j]) * inner, inner));
    }

    /// <summary><c>dst[o, idx[j], :] += alpha · src[o, j, :]</c>, accumulating repeats in order of j.</summary>
    public static void IndexAdd(Span<float> dst, int outer, int size, int inner, ReadOnlySpan<int> idx, ReadOnlySpan<float> src, float alpha)
    {
        int n = idx.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
            {
                var d = dst.Slice((o * size + idx[j]) * inner, inner);
                var s = src.Slice((o * n + j) * inner, inner);
                if (alpha == 1f) TensorPrimitives.Add(d, s, d);
                else TensorPrimitives.MultiplyAdd(s, alpha, d, d);
            }
    }

    /// <summary>Int64 form of <see cref="IndexAdd(Span{float}, int, int, int, ReadOnlySpan{int}, ReadOnlySpan{float}, float)"/>.</summary>
    public static void IndexAdd(Span<long> dst, int outer, int size, int inner, ReadOnlySpan<int> idx, ReadOnlySpan<long> src, long alpha)
    {
        int n = idx.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < n; j++)
            {
                var d = dst.Slice((o * size + idx[j]) * inner, inner);
                var s = src.Slice((o * n + j) * inner, inner);
                for (int i = 0; i < inner; i++) d[i] += alpha * s[i];
            }
    }

    /// <summary>
    /// For every element of a tensor of <paramref name="shape"/> (row-major), the offset
    /// <c>Σ_k p_k · strides_k</c> over all dims except <paramref name="skipDim"/> (−1 skips none).
    /// </summary>
    public static int[] Offsets(int[] shape, int[] strides, int skipDim)
    {
        int n = ShapeUtil.Numel(shape);
        var r = new int[n];
        int rank = shape.Length;
        if (n == 0) return r;
        Span<int> p = stackalloc int[rank];
        p.Clear();
        int off = 0;
        for (int e = 0; e < n; e++)
        {
            r[e] = off;
            for (int k = rank - 1; k >= 0; k--)
            {
                int st = k == skipDim ? 0 : strides[k];
                p[k]++; off += st;
                if (p[k] < shape[k]) break;
                off -= st * shape[k]; p[k] = 0;
            }
        }
        return r;
    }

    /// <summary><c>dst[e] = src[baseOff[e] + idx[e] · dimStride]</c>.</summary>
    public static void Gather<T>(ReadOnlySpan<T> src, ReadOnlySpan<int> baseOff, ReadOnlySpan<long> idx, int dimStride, Span<T> dst)
    {
        for (int e = 0; e < dst.Length; e++) dst[e] = src[baseOff[e] + (int)idx[e] * dimStride];
    }

    /// <summary><c>dst[baseOff[e] + idx[e] · dimStride] = src[srcOff[e]]</c> in row-major order (later elements win).</summary>
    public static void Scatter<T>(Span<T> dst, ReadOnlySpan<int> baseOff, ReadOnlySpan<long> idx, int dimStride, ReadOnlySpan<T> src, ReadOnlySpan<int> srcOff)
    {
        for (int e = 0; e < idx.Length; e++) dst[baseOff[e] + (int)idx[e] * dimStride] = src[srcOff[e]];
    }

    /// <summary>Scatter of one value.</summary>
    public static void ScatterValue<T>(Span<T> dst, ReadOnlySpan<int> baseOff, ReadOnlySpan<long> idx, int dimStride, T value)
    {
        for (int e = 0; e < idx.Length; e++) dst[baseOff[e] + (int)idx[e] * dimStride] = value;
    }

    /// <summary><c>dst[baseOff[e] + idx[e] · dimStride] += src[srcOff[e]]</c>, accumulated in row-major order of the index.</summary>
    public static void ScatterAdd(Span<float> dst, ReadOnlySpan<int> baseOff, ReadOnlySpan<long> idx, int dimStride, ReadOnlySpan<float> src, ReadOnlySpan<int> srcOff)
    {
        for (int e = 0; e < idx.Length; e++) dst[baseOff[e] + (int)idx[e] * dimStride] += src[srcOff[e]];
    }

    /// <summary>Int64 scatter-add.</summary>
    public static void ScatterAdd(Span<long> dst, ReadOnlySpan<int> baseOff, ReadOnlySpan<long> idx, int dimStride, ReadOnlySpan<long> src, ReadOnlySpan<int> srcOff)
    {
        for (int e = 0; e < idx.Length; e++) dst[baseOff[e] + (int)idx[e] * dimStride] += src[srcOff[e]];
    }
}

/// <summary>Reductions of <c>scatter_reduce</c>.</summary>
internal enum ScatterReduction { Sum, Prod, Mean, Amax, Amin }

/// <summary>The <c>scatter_reduce</c> kernel (Float32), accumulating in row-major index order.</summary>
internal static class ScatterReduceKernel
{
    /// <summary>
    /// Reduces <paramref name="src"/> into <paramref name="dst"/> (a copy of self) at the indexed places. Places that receive
    /// nothing keep self. <paramref name="count"/> (self-sized) returns how many values each place combined, self included
    /// when <paramref name="includeSelf"/>; places not hit get 0.
    /// </summary>
    public static void Run(Span<float> dst, ReadOnlySpan<int> baseOff, ReadOnlySpan<long> idx, int dimStride,
        ReadOnlySpan<float> src, ReadOnlySpan<int> srcOff, ScatterReduction op, bool includeSelf, Span<int> count)
    {
        count.Clear();
        for (int e = 0; e < idx.Length; e++)
        {
            int t = baseOff[e] + (int)idx[e] * dimStride;
            if (count[t] == 0)
            {
                if (includeSelf) count[t] = 1;
                else dst[t] = op switch
                {
                    ScatterReduction.Prod => 1f,
                    ScatterReduction.Amax => float.NegativeInfinity,
                    ScatterReduction.Amin => float.PositiveInfinity,
                    _ => 0f,
                };
            }
            count[t]++;
            float v = src[srcOff[e]], d = dst[t];
            dst[t] = op switch
            {
                ScatterReduction.Prod => d * v,
                // NaN propagates, as in PyTorch.
                ScatterReduction.Amax => float.IsNaN(v) || v > d ? v : d,
                ScatterReduction.Amin => float.IsNaN(v) || v < d ? v : d,
                _ => d + v,
            };
        }
        if (op == ScatterReduction.Mean)
            for (int t = 0; t < dst.Length; t++) if (count[t] > 1) dst[t] /= count[t];
    }
}
