namespace ResearchKit.Tensors;

/// <summary>Copies between strided views and dense row-major buffers.</summary>
internal static class StridedCopy
{
    /// <summary>
    /// Copies the view (<paramref name="shape"/>, <paramref name="srcStrides"/>, <paramref name="srcOffset"/>) of
    /// <paramref name="src"/> into the view (<paramref name="shape"/>, <paramref name="dstStrides"/>, <paramref name="dstOffset"/>)
    /// of <paramref name="dst"/>, element for element, with no intermediate buffer. Large copies are split across threads by
    /// outer rows; every element is written once, so the result does not depend on the split.
    /// </summary>
    public static void Copy<T>(T[] src, int srcOffset, int[] srcStrides, T[] dst, int dstOffset, int[] dstStrides, int[] shape)
    {
        int rank = shape.Length;
        if (rank == 0) { dst[dstOffset] = src[srcOffset]; return; }
        // Merge neighbouring dimensions that are contiguous with each other in both views: the inner loop gets as long as possible.
        var sh = new int[rank]; var ss = new int[rank]; var ds = new int[rank];
        int r = 0;
        for (int i = 0; i < rank; i++)
        {
            if (shape[i] == 0) return;
            if (shape[i] == 1) continue;
            if (r > 0 && ss[r - 1] == srcStrides[i] * shape[i] && ds[r - 1] == dstStrides[i] * shape[i])
            { sh[r - 1] *= shape[i]; ss[r - 1] = srcStrides[i]; ds[r - 1] = dstStrides[i]; }
            else { sh[r] = shape[i]; ss[r] = srcStrides[i]; ds[r] = dstStrides[i]; r++; }
        }
        if (r == 0) { dst[dstOffset] = src[srcOffset]; return; }
        int inner = sh[r - 1];
        long outerL = 1;
        for (int i = 0; i < r - 1; i++) outerL *= sh[i];
        int outer = (int)outerL;
        int rowsPerChunk = Math.Max(1, Tensor.ParallelGrain / Math.Max(inner, 1));
        Kernels.Parallelism.ForRanges(outer, rowsPerChunk, (first, rows) => CopyRows(src, srcOffset, ss, dst, dstOffset, ds, sh, r, first, rows));
    }

    // Rows [first, first + rows) of the merged (r-dimensional) copy; a row is the innermost dimension.
    private static void CopyRows<T>(T[] src, int srcOffset, int[] ss, T[] dst, int dstOffset, int[] ds, int[] sh, int r, int first, int rows)
    {
        int inner = sh[r - 1], isrc = ss[r - 1], idst = ds[r - 1];
        Span<int> idx = stackalloc int[Math.Max(r - 1, 1)];
        int so = srcOffset, d = dstOffset, rem = first;
        for (int k = r - 2; k >= 0; k--)
        {
            idx[k] = rem % sh[k]; rem /= sh[k];
            so += idx[k] * ss[k]; d += idx[k] * ds[k];
        }
        for (int o = 0; o < rows; o++)
        {
            if (isrc == 1 && idst == 1) src.AsSpan(so, inner).CopyTo(dst.AsSpan(d, inner));
            else for (int j = 0, s = so, t = d; j < inner; j++, s += isrc, t += idst) dst[t] = src[s];
            for (int k = r - 2; k >= 0; k--)
            {
                idx[k]++; so += ss[k]; d += ds[k];
                if (idx[k] < sh[k]) break;
                so -= ss[k] * sh[k]; d -= ds[k] * sh[k]; idx[k] = 0;
            }
        }
    }

    /// <summary>Copies the view (<paramref name="shape"/>, <paramref name="strides"/>, <paramref name="offset"/>) of <paramref name="src"/> densely into <paramref name="dst"/>.</summary>
    public static void Gather<T>(T[] src, int offset, int[] shape, int[] strides, Span<T> dst)
    {
        int rank = shape.Length;
        if (rank == 0) { dst[0] = src[offset]; return; }
        // Merge dimensions that are contiguous with each other so the inner loop is as long as possible.
        Span<int> sh = stackalloc int[rank];
        Span<int> st = stackalloc int[rank];
        int r = 0;
        for (int i = 0; i < rank; i++)
        {
            if (shape[i] == 1) continue;
            if (r > 0 && st[r - 1] == strides[i] * shape[i]) { sh[r - 1] *= shape[i]; st[r - 1] = strides[i]; }
            else { sh[r] = shape[i]; st[r] = strides[i]; r++; }
        }
        if (r == 0) { if (dst.Length > 0) dst[0] = src[offset]; return; }
        int inner = sh[r - 1], istride = st[r - 1];
        int outer = 1;
        for (int i = 0; i < r - 1; i++) outer *= sh[i];
        Span<int> idx = stackalloc int[Math.Max(r - 1, 1)];
        idx.Clear();
        int srcOff = offset, d = 0;
        for (int o = 0; o < outer; o++)
        {
            if (istride == 1) src.AsSpan(srcOff, inner).CopyTo(dst.Slice(d, inner));
            else for (int j = 0, s = srcOff; j < inner; j++, s += istride) dst[d + j] = src[s];
            d += inner;
            for (int k = r - 2; k >= 0; k--)
            {
                idx[k]++; srcOff += st[k];
                if (idx[k] < sh[k]) break;
                srcOff -= st[k] * sh[k]; idx[k] = 0;
            }
        }
    }

    /// <summary>Scatters dense row-major <paramref name="src"/> into a strided view of <paramref name="dst"/>.</summary>
    public static void Scatter<T>(ReadOnlySpan<T> src, T[] dst, int offset, int[] shape, int[] strides)
    {
        int rank = shape.Length;
        int n = ShapeUtil.Numel(shape);
        if (rank == 0) { dst[offset] = src[0]; return; }
        Span<int> idx = stackalloc int[rank];
        idx.Clear();
        int off = offset;
        int inner = shape[rank - 1], istride = strides[rank - 1];
        if (inner == 0) return;
        for (int i = 0; i < n; i += inner)
        {
            if (istride == 1) src.Slice(i, inner).CopyTo(dst.AsSpan(off, inner));
            else for (int j = 0, s = off; j < inner; j++, s += istride) dst[s] = src[i + j];
            for (int k = rank - 2; k >= 0; k--)
            {
                idx[k]++; off += strides[k];
                if (idx[k] < shape[k]) break;
                off -= strides[k] * shape[k]; idx[k] = 0;
            }
        }
    }
}
