using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// Reductions along one dimension of a contiguous tensor seen as (outer, n, inner) on a <see cref="GpuDevice"/>: the maximum or
/// minimum with its index (<c>torch.max(x, dim)</c>), and the 0/1 mask of a chosen index along that dimension (the scatter
/// that carries the gradient back to the selected element).
/// </summary>
/// <remarks>One thread per (outer, inner) position walks the n elements: the reduced dimension is short in this engine's uses
/// (classes, a weight row), and the result matches the CPU engine exactly: first index on ties, the first NaN wins.</remarks>
public static class GpuReduce
{
    internal readonly record struct Args(int Outer, int N, int Inner, int Max);

    /// <summary>values[o, i] and indices[o, i] of the maximum (or minimum) of x[o, ·, i].</summary>
    /// <exception cref="ArgumentException">A size is negative, n is 0, or a view is too short.</exception>
    public static void Extremum(GpuDevice device, ArrayView<float> x, int outer, int n, int inner, bool max, ArrayView<float> values, ArrayView<int> indices)
    {
        ArgumentNullException.ThrowIfNull(device);
        long count = Check(nameof(Extremum), outer, n, inner, x.Length);
        if (values.Length < (long)outer * inner || indices.Length < (long)outer * inner)
            throw new ArgumentException($"GpuReduce.Extremum: {values.Length} values and {indices.Length} indices for {outer}×{inner} outputs.");
        if (count == 0) return;
        var kernel = device.Kernel("reduce-extremum", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, Args>(ExtremumKernel));
        kernel(outer * inner, x, values, indices, new Args(outer, n, inner, max ? 1 : 0));
    }

    /// <summary>mask[o, j, i] = 1 where j = indices[o, i], else 0 (the one-hot of the selected elements, shape (outer, n, inner)).</summary>
    /// <exception cref="ArgumentException">As <see cref="Extremum"/>.</exception>
    public static void OneHot(GpuDevice device, ArrayView<int> indices, int outer, int n, int inner, ArrayView<float> mask)
    {
        ArgumentNullException.ThrowIfNull(device);
        long count = Check(nameof(OneHot), outer, n, inner, mask.Length);
        if (indices.Length < (long)outer * inner) throw new ArgumentException($"GpuReduce.OneHot: {indices.Length} indices for {outer}×{inner} positions.");
        if (count == 0) return;
        var kernel = device.Kernel("reduce-onehot", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, Args>(OneHotKernel));
        kernel((int)count, indices, mask, new Args(outer, n, inner, 0));
    }

    private static long Check(string op, int outer, int n, int inner, long length)
    {
        if (outer < 0 || n < 1 || inner < 0) throw new ArgumentException($"GpuReduce.{op}: sizes ({outer}, {n}, {inner}); the reduced dimension needs at least one element.");
        long count = (long)outer * n * inner;
        if (count > int.MaxValue) throw new ArgumentException($"GpuReduce.{op}: {count} elements; at most {int.MaxValue} per launch.");
        if (length < count) throw new ArgumentException($"GpuReduce.{op}: a view of {length} elements for {count}.");
        return count;
    }

    private static void ExtremumKernel(Index1D t, ArrayView<float> x, ArrayView<float> values, ArrayView<int> indices, Args a)
    {
        int o = t / a.Inner, i = t - o * a.Inner;
        long start = (long)o * a.N * a.Inner + i;
        float best = x[start];
        int bi = 0;
        if (!float.IsNaN(best))
            for (int r = 1; r < a.N; r++)
            {
                float v = x[start + (long)r * a.Inner];
                if (float.IsNaN(v)) { best = v; bi = r; break; }
                if (a.Max != 0 ? v > best : v < best) { best = v; bi = r; }
            }
        values[t] = best;
        indices[t] = bi;
    }

    private static void OneHotKernel(Index1D t, ArrayView<int> indices, ArrayView<float> mask, Args a)
    {
        int i = t % a.Inner;
        int rest = t / a.Inner;
        int j = rest % a.N, o = rest / a.N;
        mask[t] = indices[o * a.Inner + i] == j ? 1f : 0f;
    }
}
