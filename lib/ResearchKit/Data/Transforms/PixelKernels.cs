using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Data;

/// <summary>
/// SIMD pixel kernels: byte → float conversion with an optional fused affine map (the first pass of every pipeline) and
/// the float affine map. Both use one fused multiply-add per element so a fused and an unfused pipeline agree bit for bit
/// whenever the coefficients agree.
/// </summary>
internal static class PixelKernels
{
    /// <summary>destination[i] = source[i] (exact: bytes are small integers).</summary>
    public static void Convert(ReadOnlySpan<byte> source, Span<float> destination) => ConvertAffine(source, destination, 1f, 0f);

    /// <summary>destination[i] = source[i]·scale + shift, as one fused multiply-add per element.</summary>
    public static void ConvertAffine(ReadOnlySpan<byte> source, Span<float> destination, float scale, float shift)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"PixelKernels: destination holds {destination.Length} values for {source.Length} bytes.");
        int n = source.Length, i = 0;
        ref byte s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(scale); var vb = Vector512.Create(shift);
            for (; i <= n - 64; i += 64)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref s, (nuint)i));
                var (q0, q1) = Vector512.Widen(lo);
                var (q2, q3) = Vector512.Widen(hi);
                Store512(q0, va, vb, ref d, i);
                Store512(q1, va, vb, ref d, i + 16);
                Store512(q2, va, vb, ref d, i + 32);
                Store512(q3, va, vb, ref d, i + 48);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(scale); var vb = Vector256.Create(shift);
            for (; i <= n - 32; i += 32)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                var (q0, q1) = Vector256.Widen(lo);
                var (q2, q3) = Vector256.Widen(hi);
                Store256(q0, va, vb, ref d, i);
                Store256(q1, va, vb, ref d, i + 8);
                Store256(q2, va, vb, ref d, i + 16);
                Store256(q3, va, vb, ref d, i + 24);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref s, i), scale, shift);
    }

    /// <summary>destination[i] = source[i]·scale + shift (fused multiply-add).</summary>
    public static void Affine(ReadOnlySpan<float> source, Span<float> destination, float scale, float shift)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"PixelKernels: destination holds {destination.Length} values for {source.Length} inputs.");
        int n = source.Length, i = 0;
        ref float s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(scale); var vb = Vector512.Create(shift);
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref s, (nuint)i), va, vb).StoreUnsafe(ref d, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(scale); var vb = Vector256.Create(shift);
            for (; i <= n - 8; i += 8)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref s, (nuint)i), va, vb).StoreUnsafe(ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref s, i), scale, shift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(Vector512<uint> q, Vector512<float> a, Vector512<float> b, ref float d, int at) =>
        Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(q.AsInt32()), a, b).StoreUnsafe(ref d, (nuint)at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(Vector256<uint> q, Vector256<float> a, Vector256<float> b, ref float d, int at) =>
        Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(q.AsInt32()), a, b).StoreUnsafe(ref d, (nuint)at);
}
