using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

/// <summary>Small SIMD kernels that TensorPrimitives does not provide.</summary>
internal static class SimdKernels
{
    /// <summary><c>d[i] = r[i] &gt; t ? v[i] : 0</c> (ReLU-style backward). NaN in r selects 0.</summary>
    public static void SelectGreater(ReadOnlySpan<float> r, float t, ReadOnlySpan<float> v, Span<float> d)
    {
        int n = d.Length, i = 0;
        ref float rr = ref MemoryMarshal.GetReference(r);
        ref float vv = ref MemoryMarshal.GetReference(v);
        ref float dd = ref MemoryMarshal.GetReference(d);
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            var tv = Vector512.Create(t);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var m = Vector512.GreaterThan(Vector512.LoadUnsafe(ref rr, (nuint)i), tv);
                Vector512.BitwiseAnd(m, Vector512.LoadUnsafe(ref vv, (nuint)i)).StoreUnsafe(ref dd, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            var tv = Vector256.Create(t);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var m = Vector256.GreaterThan(Vector256.LoadUnsafe(ref rr, (nuint)i), tv);
                Vector256.BitwiseAnd(m, Vector256.LoadUnsafe(ref vv, (nuint)i)).StoreUnsafe(ref dd, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref dd, i) = Unsafe.Add(ref rr, i) > t ? Unsafe.Add(ref vv, i) : 0f;
    }
}
