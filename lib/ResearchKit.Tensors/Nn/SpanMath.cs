using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Fused span reductions and updates used by the normalization and loss kernels that TensorPrimitives does not offer
/// in one pass (they would need a temporary buffer). Vector512 → Vector256 → scalar tail.
/// </summary>
internal static class SpanMath
{
    /// <summary>Σ (x_i − m)², the centered sum of squares (two-pass variance avoids cancellation).</summary>
    public static double SumSquaredDeviation(ReadOnlySpan<float> x, float m)
    {
        int i = 0, n = x.Length;
        double total = 0;
        ref float rx = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m); var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.LoadUnsafe(ref rx, (nuint)i) - vm;
                acc = Vector512.FusedMultiplyAdd(d, d, acc);
            }
            total = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vm = Vector256.Create(m); var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref rx, (nuint)i) - vm;
                acc = Vector256.FusedMultiplyAdd(d, d, acc);
            }
            total = Vector256.Sum(acc);
        }
        for (; i < n; i++) { float d = Unsafe.Add(ref rx, i) - m; total += d * d; }
        return total;
    }

    /// <summary>Σ g_i·(x_i − m): the gradient/centered-input product of batch- and layer-norm backward.</summary>
    public static double DotDeviation(ReadOnlySpan<float> g, ReadOnlySpan<float> x, float m)
    {
        int i = 0, n = x.Length;
        double total = 0;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rg = ref MemoryMarshal.GetReference(g);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vm = Vector512.Create(m); var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rg, (nuint)i), Vector512.LoadUnsafe(ref rx, (nuint)i) - vm, acc);
            total = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vm = Vector256.Create(m); var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rg, (nuint)i), Vector256.LoadUnsafe(ref rx, (nuint)i) - vm, acc);
            total = Vector256.Sum(acc);
        }
        for (; i < n; i++) total += Unsafe.Add(ref rg, i) * (Unsafe.Add(ref rx, i) - m);
        return total;
    }

    /// <summary><c>d_i = k·(g_i − c − (x_i − m)·s)</c>: the closed-form input gradient of batch norm (one channel).</summary>
    public static void NormGradInput(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d, float k, float c, float m, float s)
    {
        int i = 0, n = x.Length;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rd = ref MemoryMarshal.GetReference(d);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var vk = Vector512.Create(k); var vc = Vector512.Create(c); var vm = Vector512.Create(m); var vs = Vector512.Create(s);
            for (; i <= n - 16; i += 16)
            {
                var xc = Vector512.LoadUnsafe(ref rx, (nuint)i) - vm;
                var t = Vector512.LoadUnsafe(ref rg, (nuint)i) - vc - xc * vs;
                (t * vk).StoreUnsafe(ref rd, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vk = Vector256.Create(k); var vc = Vector256.Create(c); var vm = Vector256.Create(m); var vs = Vector256.Create(s);
            for (; i <= n - 8; i += 8)
            {
                var xc = Vector256.LoadUnsafe(ref rx, (nuint)i) - vm;
                var t = Vector256.LoadUnsafe(ref rg, (nuint)i) - vc - xc * vs;
                (t * vk).StoreUnsafe(ref rd, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref rd, i) = k * (Unsafe.Add(ref rg, i) - c - (Unsafe.Add(ref rx, i) - m) * s);
    }

    /// <summary><c>d_i = x_i·a + b</c> (TensorPrimitives has no scalar-scalar multiply-add).</summary>
    public static void ScaleShift(ReadOnlySpan<float> x, float a, float b, Span<float> d)
    {
        int i = 0, n = x.Length;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rd = ref MemoryMarshal.GetReference(d);
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var va = Vector512.Create(a); var vb = Vector512.Create(b);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rx, (nuint)i), va, vb).StoreUnsafe(ref rd, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b);
            for (; i <= n - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rx, (nuint)i), va, vb).StoreUnsafe(ref rd, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref rd, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref rx, i), a, b);
    }

    /// <summary>Number of chunks for splitting <paramref name="items"/> independent items of total size <paramref name="work"/>:
    /// one below ~32K elements (threads cost more than they save), else up to the thread count.</summary>
    public static int Chunks(int items, long work) =>
        work < (1 << 15) || items < 2 ? 1 : Math.Min(items, Kernels.Parallelism.Threads);

    /// <summary>Range [start, end) of chunk <paramref name="chunk"/> when <paramref name="items"/> are split into <paramref name="chunks"/>.</summary>
    public static (int Start, int End) Range(int chunk, int chunks, int items) =>
        ((int)((long)items * chunk / chunks), (int)((long)items * (chunk + 1) / chunks));
}
