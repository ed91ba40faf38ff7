// The micro-kernels are fully unrolled so every accumulator is a separate local that RyuJIT keeps in a vector register
// (checked with DOTNET_JitDisasm=Kernel512: zmm2..zmm25 accumulate, the k loop is 2 loads + 12 broadcasts + 24 FMAs,
// no stack traffic). They were emitted from one template, so change all rows alike. A 14x32 variant measured the same.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>AVX-512 micro-kernel: 12x32 tile of C += packed A sliver (12xkc) · packed B sliver (kcx32), 2·12 zmm accumulators.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    // The edge-tile scratch is fully written before it is read: skip the JIT's zeroing of the stackalloc.
    [SkipLocalsInit]
    private static unsafe void Kernel512(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta)
    {
        Vector512<float> c0_0 = Vector512<float>.Zero; Vector512<float> c0_1 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero; Vector512<float> c1_1 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero; Vector512<float> c2_1 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero; Vector512<float> c3_1 = Vector512<float>.Zero;
        Vector512<float> c4_0 = Vector512<float>.Zero; Vector512<float> c4_1 = Vector512<float>.Zero;
        Vector512<float> c5_0 = Vector512<float>.Zero; Vector512<float> c5_1 = Vector512<float>.Zero;
        Vector512<float> c6_0 = Vector512<float>.Zero; Vector512<float> c6_1 = Vector512<float>.Zero;
        Vector512<float> c7_0 = Vector512<float>.Zero; Vector512<float> c7_1 = Vector512<float>.Zero;
        Vector512<float> c8_0 = Vector512<float>.Zero; Vector512<float> c8_1 = Vector512<float>.Zero;
        Vector512<float> c9_0 = Vector512<float>.Zero; Vector512<float> c9_1 = Vector512<float>.Zero;
        Vector512<float> c10_0 = Vector512<float>.Zero; Vector512<float> c10_1 = Vector512<float>.Zero;
        Vector512<float> c11_0 = Vector512<float>.Zero; Vector512<float> c11_1 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(ai, b1, c3_1);
            ai = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(ai, b1, c4_1);
            ai = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(ai, b1, c5_1);
            ai = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(ai, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(ai, b1, c6_1);
            ai = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(ai, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(ai, b1, c7_1);
            ai = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(ai, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(ai, b1, c8_1);
            ai = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(ai, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(ai, b1, c9_1);
            ai = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(ai, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(ai, b1, c10_1);
            ai = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(ai, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(ai, b1, c11_1);
            a += 12;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        if (mr == 12 && nr == 32)
        {
            if (beta == 0f)
            {
                Vector512.Store(c0_0 * va, c + 0); Vector512.Store(c0_1 * va, c + 16); c += ldc;
                Vector512.Store(c1_0 * va, c + 0); Vector512.Store(c1_1 * va, c + 16); c += ldc;
                Vector512.Store(c2_0 * va, c + 0); Vector512.Store(c2_1 * va, c + 16); c += ldc;
                Vector512.Store(c3_0 * va, c + 0); Vector512.Store(c3_1 * va, c + 16); c += ldc;
                Vector512.Store(c4_0 * va, c + 0); Vector512.Store(c4_1 * va, c + 16); c += ldc;
                Vector512.Store(c5_0 * va, c + 0); Vector512.Store(c5_1 * va, c + 16); c += ldc;
                Vector512.Store(c6_0 * va, c + 0); Vector512.Store(c6_1 * va, c + 16); c += ldc;
                Vector512.Store(c7_0 * va, c + 0); Vector512.Store(c7_1 * va, c + 16); c += ldc;
                Vector512.Store(c8_0 * va, c + 0); Vector512.Store(c8_1 * va, c + 16); c += ldc;
                Vector512.Store(c9_0 * va, c + 0); Vector512.Store(c9_1 * va, c + 16); c += ldc;
                Vector512.Store(c10_0 * va, c + 0); Vector512.Store(c10_1 * va, c + 16); c += ldc;
                Vector512.Store(c11_0 * va, c + 0); Vector512.Store(c11_1 * va, c + 16); c += ldc;
            }
            else
            {
                Vector512.Store(Vector512.FusedMultiplyAdd(c0_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c0_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c1_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c1_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c2_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c2_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c3_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c3_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c4_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c4_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c5_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c5_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c6_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c6_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c7_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c7_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c8_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c8_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c9_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c9_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c10_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c10_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
                Vector512.Store(Vector512.FusedMultiplyAdd(c11_0, va, Vector512.Load(c + 0) * vb), c + 0); Vector512.Store(Vector512.FusedMultiplyAdd(c11_1, va, Vector512.Load(c + 16) * vb), c + 16); c += ldc;
            }
            return;
        }
        float* t = stackalloc float[384];
        Vector512.Store(c0_0, t + 0); Vector512.Store(c0_1, t + 16);
        Vector512.Store(c1_0, t + 32); Vector512.Store(c1_1, t + 48);
        Vector512.Store(c2_0, t + 64); Vector512.Store(c2_1, t + 80);
        Vector512.Store(c3_0, t + 96); Vector512.Store(c3_1, t + 112);
        Vector512.Store(c4_0, t + 128); Vector512.Store(c4_1, t + 144);
        Vector512.Store(c5_0, t + 160); Vector512.Store(c5_1, t + 176);
        Vector512.Store(c6_0, t + 192); Vector512.Store(c6_1, t + 208);
        Vector512.Store(c7_0, t + 224); Vector512.Store(c7_1, t + 240);
        Vector512.Store(c8_0, t + 256); Vector512.Store(c8_1, t + 272);
        Vector512.Store(c9_0, t + 288); Vector512.Store(c9_1, t + 304);
        Vector512.Store(c10_0, t + 320); Vector512.Store(c10_1, t + 336);
        Vector512.Store(c11_0, t + 352); Vector512.Store(c11_1, t + 368);
        MergeTile(t, 32, c, ldc, mr, nr, alpha, beta);
    }

    /// <summary>AVX2/FMA micro-kernel: 6x16 tile, 12 ymm accumulators (16 ymm registers on AVX2).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    // The edge-tile scratch is fully written before it is read: skip the JIT's zeroing of the stackalloc.
    [SkipLocalsInit]
    private static unsafe void Kernel256(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta)
    {
        Vector256<float> c0_0 = Vector256<float>.Zero; Vector256<float> c0_1 = Vector256<float>.Zero;
        Vector256<float> c1_0 = Vector256<float>.Zero; Vector256<float> c1_1 = Vector256<float>.Zero;
        Vector256<float> c2_0 = Vector256<float>.Zero; Vector256<float> c2_1 = Vector256<float>.Zero;
        Vector256<float> c3_0 = Vector256<float>.Zero; Vector256<float> c3_1 = Vector256<float>.Zero;
        Vector256<float> c4_0 = Vector256<float>.Zero; Vector256<float> c4_1 = Vector256<float>.Zero;
        Vector256<float> c5_0 = Vector256<float>.Zero; Vector256<float> c5_1 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b + 0);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> ai;
            ai = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(ai, b1, c3_1);
            ai = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(ai, b1, c4_1);
            ai = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(ai, b1, c5_1);
            a += 6;
            b += 16;
        }
        Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        if (mr == 6 && nr == 16)
        {
            if (beta == 0f)
            {
                Vector256.Store(c0_0 * va, c + 0); Vector256.Store(c0_1 * va, c + 8); c += ldc;
                Vector256.Store(c1_0 * va, c + 0); Vector256.Store(c1_1 * va, c + 8); c += ldc;
                Vector256.Store(c2_0 * va, c + 0); Vector256.Store(c2_1 * va, c + 8); c += ldc;
                Vector256.Store(c3_0 * va, c + 0); Vector256.Store(c3_1 * va, c + 8); c += ldc;
                Vector256.Store(c4_0 * va, c + 0); Vector256.Store(c4_1 * va, c + 8); c += ldc;
                Vector256.Store(c5_0 * va, c + 0); Vector256.Store(c5_1 * va, c + 8); c += ldc;
            }
            else
            {
                Vector256.Store(Vector256.FusedMultiplyAdd(c0_0, va, Vector256.Load(c + 0) * vb), c + 0); Vector256.Store(Vector256.FusedMultiplyAdd(c0_1, va, Vector256.Load(c + 8) * vb), c + 8); c += ldc;
                Vector256.Store(Vector256.FusedMultiplyAdd(c1_0, va, Vector256.Load(c + 0) * vb), c + 0); Vector256.Store(Vector256.FusedMultiplyAdd(c1_1, va, Vector256.Load(c + 8) * vb), c + 8); c += ldc;
                Vector256.Store(Vector256.FusedMultiplyAdd(c2_0, va, Vector256.Load(c + 0) * vb), c + 0); Vector256.Store(Vector256.FusedMultiplyAdd(c2_1, va, Vector256.Load(c + 8) * vb), c + 8); c += ldc;
                Vector256.Store(Vector256.FusedMultiplyAdd(c3_0, va, Vector256.Load(c + 0) * vb), c + 0); Vector256.Store(Vector256.FusedMultiplyAdd(c3_1, va, Vector256.Load(c + 8) * vb), c + 8); c += ldc;
                Vector256.Store(Vector256.FusedMultiplyAdd(c4_0, va, Vector256.Load(c + 0) * vb), c + 0); Vector256.Store(Vector256.FusedMultiplyAdd(c4_1, va, Vector256.Load(c + 8) * vb), c + 8); c += ldc;
                Vector256.Store(Vector256.FusedMultiplyAdd(c5_0, va, Vector256.Load(c + 0) * vb), c + 0); Vector256.Store(Vector256.FusedMultiplyAdd(c5_1, va, Vector256.Load(c + 8) * vb), c + 8); c += ldc;
            }
            return;
        }
        float* t = stackalloc float[96];
        Vector256.Store(c0_0, t + 0); Vector256.Store(c0_1, t + 8);
        Vector256.Store(c1_0, t + 16); Vector256.Store(c1_1, t + 24);
        Vector256.Store(c2_0, t + 32); Vector256.Store(c2_1, t + 40);
        Vector256.Store(c3_0, t + 48); Vector256.Store(c3_1, t + 56);
        Vector256.Store(c4_0, t + 64); Vector256.Store(c4_1, t + 72);
        Vector256.Store(c5_0, t + 80); Vector256.Store(c5_1, t + 88);
        MergeTile(t, 16, c, ldc, mr, nr, alpha, beta);
    }
}
