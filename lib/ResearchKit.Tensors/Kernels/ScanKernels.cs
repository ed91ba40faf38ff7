namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Inclusive scans along the middle dimension of a contiguous <c>(outer, size, inner)</c> tensor.
/// Float scans accumulate in double, as PyTorch's CPU kernels do, so long cumulative sums match it closely.
/// </summary>
internal static class ScanKernels
{
    /// <summary><c>dst[o, j, i] = Σ_{t ≤ j} src[o, t, i]</c> in double precision.</summary>
    public static void Cumsum(ReadOnlySpan<float> src, int outer, int size, int inner, Span<float> dst)
    {
        var acc = new double[inner];
        for (int o = 0; o < outer; o++)
        {
            Array.Clear(acc);
            int b = o * size * inner;
            for (int j = 0; j < size; j++)
            {
                var s = src.Slice(b + j * inner, inner);
                var d = dst.Slice(b + j * inner, inner);
                for (int i = 0; i < inner; i++) { acc[i] += s[i]; d[i] = (float)acc[i]; }
            }
        }
    }

    /// <summary>Int64 cumulative sum (wraps on overflow like PyTorch).</summary>
    public static void Cumsum(ReadOnlySpan<long> src, int outer, int size, int inner, Span<long> dst)
    {
        var acc = new long[inner];
        for (int o = 0; o < outer; o++)
        {
            Array.Clear(acc);
            int b = o * size * inner;
            for (int j = 0; j < size; j++)
                for (int i = 0; i < inner; i++) { acc[i] = unchecked(acc[i] + src[b + j * inner + i]); dst[b + j * inner + i] = acc[i]; }
        }
    }

    /// <summary><c>dst[o, j, i] = Π_{t ≤ j} src[o, t, i]</c> in double precision.</summary>
    public static void Cumprod(ReadOnlySpan<float> src, int outer, int size, int inner, Span<float> dst)
    {
        var acc = new double[inner];
        for (int o = 0; o < outer; o++)
        {
            Array.Fill(acc, 1.0);
            int b = o * size * inner;
            for (int j = 0; j < size; j++)
                for (int i = 0; i < inner; i++) { acc[i] *= src[b + j * inner + i]; dst[b + j * inner + i] = (float)acc[i]; }
        }
    }

    /// <summary>Int64 cumulative product (wraps on overflow).</summary>
    public static void Cumprod(ReadOnlySpan<long> src, int outer, int size, int inner, Span<long> dst)
    {
        var acc = new long[inner];
        for (int o = 0; o < outer; o++)
        {
            Array.Fill(acc, 1L);
            int b = o * size * inner;
            for (int j = 0; j < size; j++)
                for (int i = 0; i < inner; i++) { acc[i] = unchecked(acc[i] * src[b + j * inner + i]); dst[b + j * inner + i] = acc[i]; }
        }
    }

    /// <summary>
    /// Gradient of cumprod: <c>dx_t = Σ_{k ≥ t} g_k · Π_{j ≤ k, j ≠ t} x_j</c>, exact with zeros in O(size) per line.
    /// Before the first zero z of a line, <c>dx_t = (Σ_{k ≥ t} g_k y_k) / x_t</c>; at z the product skips x_z explicitly;
    /// after z every term contains x_z = 0.
    /// </summary>
    public static void CumprodBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, int outer, int size, int inner, Span<float> dx)
    {
        var line = new double[size];
        var gl = new double[size];
        var ys = new double[size];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                int z = size;
                for (int j = 0; j < size; j++)
                {
                    line[j] = x[b + j * inner]; gl[j] = g[b + j * inner];
                    if (z == size && line[j] == 0) z = j;
                }
                // Prefix products y_k for k < z (all non-zero), then the reverse sums Σ_{k ≥ t, k < z} g_k y_k.
                double y = 1, tail = 0;
                for (int k = 0; k < z; k++) { y *= line[k]; ys[k] = y; }
                for (int t = z - 1; t >= 0; t--)
                {
                    tail += gl[t] * ys[t];
                    dx[b + t * inner] = (float)(tail / line[t]);
                }
                if (z < size)
                {
                    // dx_z = Σ_{k ≥ z} g_k · y_{z-1} · Π_{z<j≤k} x_j ; entries after z get 0.
                    double prefix = z == 0 ? 1 : ys[z - 1], run = prefix, s = gl[z] * prefix;
                    for (int k = z + 1; k < size; k++) { run *= line[k]; s += gl[k] * run; }
                    dx[b + z * inner] = (float)s;
                    for (int k = z + 1; k < size; k++) dx[b + k * inner] = 0f;
                }
            }
    }
}
