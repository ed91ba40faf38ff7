using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Vector512 sigmoid and tanh for the recurrent gate kernels, where they dominate the non-GEMM time.
/// TensorPrimitives' versions are more general but several times slower per element on 128-wide gate rows;
/// these stay within a few ulp, well inside float training noise.
/// Span helpers use Vector512 when accelerated and fall back to TensorPrimitives for the tail or on other hardware.
/// </summary>
internal static class SimdActivations
{
    /// <summary>e^x (Cephes expf: Cody–Waite range reduction, degree-6 polynomial); inputs are clamped to ±88.376.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-88.3762626647949f)), Vector512.Create(88.3762626647949f));
        // n = round(x / ln 2) via the 1.5·2^23 trick (exact for |n| < 2^22, and independent of the rounding-mode API surface).
        Vector512<float> magic = Vector512.Create(12582912f);
        Vector512<float> n = Vector512.FusedMultiplyAdd(x, Vector512.Create(1.44269504088896341f), magic) - magic;
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        Vector512<float> p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        // 2^n built in the exponent field; n ∈ [-127, 127] after the clamp (−127 gives 0, a harmless underflow).
        Vector512<int> bits = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return p * bits.AsSingle();
    }

    /// <summary>σ(x) = 1 / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    /// <summary>
    /// tanh(x): odd Taylor polynomial to x¹³ for |x| &lt; 0.3 (remainder &lt; 1e-10 relative), else
    /// sign(x)·(1 − e)/(1 + e) with e = e^−2|x| ∈ (0, 0.55], where 1 − e is exact or nearly so (≈ 2–3 ulp overall).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> one = Vector512<float>.One;
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> e = Exp(-(ax + ax));
        Vector512<float> large = Vector512.CopySign((one - e) / (one + e), x);
        Vector512<float> x2 = x * x;
        Vector512<float> q = Vector512.FusedMultiplyAdd(x2, Vector512.Create(-929569f / 638512875f), Vector512.Create(21844f / 6081075f));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(-1382f / 155925f));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(62f / 2835f));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(-17f / 315f));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(2f / 15f));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(-1f / 3f));
        Vector512<float> small = Vector512.FusedMultiplyAdd(q * x2, x, x);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.3f)), small, large);
    }

    /// <summary>destination = σ(source); the spans may be the same memory.</summary>
    internal static void Sigmoid(ReadOnlySpan<float> source, Span<float> destination)
    {
        int n = source.Length, j = 0;
        if (destination.Length < n) throw new ArgumentException("SimdActivations.Sigmoid: destination is shorter than source.", nameof(destination));
        if (Vector512.IsHardwareAccelerated)
        {
            ref float s = ref MemoryMarshal.GetReference(source);
            ref float d = ref MemoryMarshal.GetReference(destination);
            for (; j + 16 <= n; j += 16) Sigmoid(Vector512.LoadUnsafe(ref s, (nuint)j)).StoreUnsafe(ref d, (nuint)j);
        }
        if (j < n) TensorPrimitives.Sigmoid(source[j..], destination[j..n]);
    }

    /// <summary>destination = tanh(source); the spans may be the same memory.</summary>
    internal static void Tanh(ReadOnlySpan<float> source, Span<float> destination)
    {
        int n = source.Length, j = 0;
        if (destination.Length < n) throw new ArgumentException("SimdActivations.Tanh: destination is shorter than source.", nameof(destination));
        if (Vector512.IsHardwareAccelerated)
        {
            ref float s = ref MemoryMarshal.GetReference(source);
            ref float d = ref MemoryMarshal.GetReference(destination);
            for (; j + 16 <= n; j += 16) Tanh(Vector512.LoadUnsafe(ref s, (nuint)j)).StoreUnsafe(ref d, (nuint)j);
        }
        if (j < n) TanhFallback(source[j..], destination[j..n]);
    }

    /// <summary>
    /// tanh without AVX-512: <see cref="TensorPrimitives.Tanh(ReadOnlySpan{float}, Span{float})"/>, whose vector path
    /// is off by ~6e-8 absolute near 0 (tanh(0) = −6e-8, tanh(1e-8) = −0, tanh(1e-4) 3e-5 relative off), then the
    /// elements with |x| &lt; 0.3 recomputed with the odd Taylor polynomial of <see cref="Tanh(Vector512{float})"/>, so
    /// tanh keeps its sign, tanh(0) = 0 and small inputs keep full relative precision. Blocks of 256 keep a copy of
    /// the input, so in-place calls work.
    /// </summary>
    internal static void TanhFallback(ReadOnlySpan<float> source, Span<float> destination)
    {
        Span<float> block = stackalloc float[256];
        for (int start = 0; start < source.Length; start += block.Length)
        {
            int len = Math.Min(block.Length, source.Length - start);
            var x = block[..len];
            source.Slice(start, len).CopyTo(x);
            var d = destination.Slice(start, len);
            TensorPrimitives.Tanh(x, d);
            for (int i = 0; i < len; i++)
                if (MathF.Abs(x[i]) < 0.3f) d[i] = TanhSmall(x[i]);
        }
    }

    /// <summary>The odd Taylor polynomial of tanh to x¹³ (relative remainder &lt; 1e-10 for |x| &lt; 0.3).</summary>
    private static float TanhSmall(float x)
    {
        float x2 = x * x;
        float q = MathF.FusedMultiplyAdd(x2, -929569f / 638512875f, 21844f / 6081075f);
        q = MathF.FusedMultiplyAdd(q, x2, -1382f / 155925f);
        q = MathF.FusedMultiplyAdd(q, x2, 62f / 2835f);
        q = MathF.FusedMultiplyAdd(q, x2, -17f / 315f);
        q = MathF.FusedMultiplyAdd(q, x2, 2f / 15f);
        q = MathF.FusedMultiplyAdd(q, x2, -1f / 3f);
        return MathF.FusedMultiplyAdd(q * x2, x, x);
    }
}
