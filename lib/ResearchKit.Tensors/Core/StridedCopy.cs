namespace ResearchKit.Tensors;

/// <summary>Gathers a strided view into a dense row-major buffer.</summary>
internal static class StridedCopy
{
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
