using System.Runtime.Intrinsics;
using ResearchKit.Tensors;

namespace ResearchKit.Pruning;

/// <summary>Span kernels behind <see cref="PruningMasks"/>: masking by selection (not multiplication) and counting.</summary>
internal static class MaskKernel
{
    /// <summary>Read-only span over a Float32 tensor's elements, copying only when it is not contiguous.</summary>
    public static ReadOnlySpan<float> Read(Tensor t) => t.IsContiguous ? t.AsReadOnlySpan() : t.Contiguous().AsReadOnlySpan();

    /// <summary>Sets <c>x[i] = +0</c> where <c>mask[i] == 0</c>, leaving the other entries bit-identical.</summary>
    /// <remarks>A select rather than <c>x·mask</c>: a product would leave −0 for negative weights and NaN for NaN
    /// gradients, but pruned entries must be exactly +0 (rewinding is checked bit for bit).</remarks>
    public static void Apply(Span<float> x, ReadOnlySpan<float> mask)
    {
        if (x.Length != mask.Length) throw new ArgumentException($"MaskKernel.Apply: {x.Length} values but {mask.Length} mask entries.");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var m = Vector512.Create(mask.Slice(i, Vector512<float>.Count));
                var v = Vector512.Create(x.Slice(i, Vector512<float>.Count));
                Vector512.ConditionalSelect(Vector512.Equals(m, Vector512<float>.Zero), Vector512<float>.Zero, v).CopyTo(x.Slice(i));
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var m = Vector256.Create(mask.Slice(i, Vector256<float>.Count));
                var v = Vector256.Create(x.Slice(i, Vector256<float>.Count));
                Vector256.ConditionalSelect(Vector256.Equals(m, Vector256<float>.Zero), Vector256<float>.Zero, v).CopyTo(x.Slice(i));
            }
        for (; i < x.Length; i++)
            if (mask[i] == 0f) x[i] = 0f;
    }

    /// <summary>Number of zero entries of a mask (pruned positions).</summary>
    public static long CountZeros(ReadOnlySpan<float> mask)
    {
        long n = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= mask.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                n += (long)ulong.PopCount(Vector512.Equals(Vector512.Create(mask.Slice(i, Vector512<float>.Count)), Vector512<float>.Zero).ExtractMostSignificantBits());
        for (; i < mask.Length; i++)
            if (mask[i] == 0f) n++;
        return n;
    }

    /// <summary>Number of exactly-zero values (either sign) in <paramref name="x"/>.</summary>
    public static long CountZeroValues(ReadOnlySpan<float> x) => CountZeros(x);

    /// <summary>Whether every entry is exactly 0 or 1 (a valid mask).</summary>
    public static bool IsBinary(ReadOnlySpan<float> mask)
    {
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] != 0f && mask[i] != 1f) return false;
        return true;
    }
}
