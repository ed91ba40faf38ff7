// Generated from one template (MR rows x 32 columns broadcast kernels, 4x6 dot kernel); change all variants alike.
// Every accumulator is a separate local so RyuJIT keeps it in a zmm register.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

internal static partial class Conv2dImplicit
{
    /// <summary>
    /// 12x32 tile: <c>c[i, 0..32) = Σ_p a[p·12 + i] · b[off[p] .. off[p] + 32)</c>. B rows are read straight from the
    /// padded input (row p starts <c>off[p]</c> floats from <paramref name="b"/>), so B is never packed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile12x32(int k, float* a, float* b, int* off, float* c, int ldc)
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
        for (int p = 0; p < k; p++)
        {
            float* bp = b + off[p];
            Vector512<float> b0 = Vector512.Load(bp);
            Vector512<float> b1 = Vector512.Load(bp + 16);
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
        }
        Vector512.Store(c0_0, c); Vector512.Store(c0_1, c + 16); c += ldc;
        Vector512.Store(c1_0, c); Vector512.Store(c1_1, c + 16); c += ldc;
        Vector512.Store(c2_0, c); Vector512.Store(c2_1, c + 16); c += ldc;
        Vector512.Store(c3_0, c); Vector512.Store(c3_1, c + 16); c += ldc;
        Vector512.Store(c4_0, c); Vector512.Store(c4_1, c + 16); c += ldc;
        Vector512.Store(c5_0, c); Vector512.Store(c5_1, c + 16); c += ldc;
        Vector512.Store(c6_0, c); Vector512.Store(c6_1, c + 16); c += ldc;
        Vector512.Store(c7_0, c); Vector512.Store(c7_1, c + 16); c += ldc;
        Vector512.Store(c8_0, c); Vector512.Store(c8_1, c + 16); c += ldc;
        Vector512.Store(c9_0, c); Vector512.Store(c9_1, c + 16); c += ldc;
        Vector512.Store(c10_0, c); Vector512.Store(c10_1, c + 16); c += ldc;
        Vector512.Store(c11_0, c); Vector512.Store(c11_1, c + 16); c += ldc;
    }

    /// <summary>
    /// 8x32 tile: <c>c[i, 0..32) = Σ_p a[p·8 + i] · b[off[p] .. off[p] + 32)</c>. B rows are read straight from the
    /// padded input (row p starts <c>off[p]</c> floats from <paramref name="b"/>), so B is never packed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile8x32(int k, float* a, float* b, int* off, float* c, int ldc)
    {
        Vector512<float> c0_0 = Vector512<float>.Zero; Vector512<float> c0_1 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero; Vector512<float> c1_1 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero; Vector512<float> c2_1 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero; Vector512<float> c3_1 = Vector512<float>.Zero;
        Vector512<float> c4_0 = Vector512<float>.Zero; Vector512<float> c4_1 = Vector512<float>.Zero;
        Vector512<float> c5_0 = Vector512<float>.Zero; Vector512<float> c5_1 = Vector512<float>.Zero;
        Vector512<float> c6_0 = Vector512<float>.Zero; Vector512<float> c6_1 = Vector512<float>.Zero;
        Vector512<float> c7_0 = Vector512<float>.Zero; Vector512<float> c7_1 = Vector512<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            float* bp = b + off[p];
            Vector512<float> b0 = Vector512.Load(bp);
            Vector512<float> b1 = Vector512.Load(bp + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(ai, b1, c3_1);
            ai = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(ai, b1, c4_1);
            ai = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(ai, b1, c5_1);
            ai = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(ai, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(ai, b1, c6_1);
            ai = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(ai, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(ai, b1, c7_1);
            a += 8;
        }
        Vector512.Store(c0_0, c); Vector512.Store(c0_1, c + 16); c += ldc;
        Vector512.Store(c1_0, c); Vector512.Store(c1_1, c + 16); c += ldc;
        Vector512.Store(c2_0, c); Vector512.Store(c2_1, c + 16); c += ldc;
        Vector512.Store(c3_0, c); Vector512.Store(c3_1, c + 16); c += ldc;
        Vector512.Store(c4_0, c); Vector512.Store(c4_1, c + 16); c += ldc;
        Vector512.Store(c5_0, c); Vector512.Store(c5_1, c + 16); c += ldc;
        Vector512.Store(c6_0, c); Vector512.Store(c6_1, c + 16); c += ldc;
        Vector512.Store(c7_0, c); Vector512.Store(c7_1, c + 16); c += ldc;
    }

    /// <summary>
    /// 4x32 tile: <c>c[i, 0..32) = Σ_p a[p·4 + i] · b[off[p] .. off[p] + 32)</c>. B rows are read straight from the
    /// padded input (row p starts <c>off[p]</c> floats from <paramref name="b"/>), so B is never packed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile4x32(int k, float* a, float* b, int* off, float* c, int ldc)
    {
        Vector512<float> c0_0 = Vector512<float>.Zero; Vector512<float> c0_1 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero; Vector512<float> c1_1 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero; Vector512<float> c2_1 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero; Vector512<float> c3_1 = Vector512<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            float* bp = b + off[p];
            Vector512<float> b0 = Vector512.Load(bp);
            Vector512<float> b1 = Vector512.Load(bp + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(ai, b1, c3_1);
            a += 4;
        }
        Vector512.Store(c0_0, c); Vector512.Store(c0_1, c + 16); c += ldc;
        Vector512.Store(c1_0, c); Vector512.Store(c1_1, c + 16); c += ldc;
        Vector512.Store(c2_0, c); Vector512.Store(c2_1, c + 16); c += ldc;
        Vector512.Store(c3_0, c); Vector512.Store(c3_1, c + 16); c += ldc;
    }

    /// <summary>
    /// 4x6 dot tile over <paramref name="n"/> columns (a multiple of 16): <c>t[o·6 + q] = Σ_j y_o[j] · p[offQ + j]</c>.
    /// Lane-wise partial sums are reduced once at the end in a fixed order, so results are reproducible.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dot4x6(int n, float* y0, float* y1, float* y2, float* y3, float* p, int* off, float* t)
    {
        float* p0 = p + off[0], p1 = p + off[1], p2 = p + off[2], p3 = p + off[3], p4 = p + off[4], p5 = p + off[5];
        Vector512<float> s0_0 = Vector512<float>.Zero; Vector512<float> s0_1 = Vector512<float>.Zero; Vector512<float> s0_2 = Vector512<float>.Zero; Vector512<float> s0_3 = Vector512<float>.Zero; Vector512<float> s0_4 = Vector512<float>.Zero; Vector512<float> s0_5 = Vector512<float>.Zero;
        Vector512<float> s1_0 = Vector512<float>.Zero; Vector512<float> s1_1 = Vector512<float>.Zero; Vector512<float> s1_2 = Vector512<float>.Zero; Vector512<float> s1_3 = Vector512<float>.Zero; Vector512<float> s1_4 = Vector512<float>.Zero; Vector512<float> s1_5 = Vector512<float>.Zero;
        Vector512<float> s2_0 = Vector512<float>.Zero; Vector512<float> s2_1 = Vector512<float>.Zero; Vector512<float> s2_2 = Vector512<float>.Zero; Vector512<float> s2_3 = Vector512<float>.Zero; Vector512<float> s2_4 = Vector512<float>.Zero; Vector512<float> s2_5 = Vector512<float>.Zero;
        Vector512<float> s3_0 = Vector512<float>.Zero; Vector512<float> s3_1 = Vector512<float>.Zero; Vector512<float> s3_2 = Vector512<float>.Zero; Vector512<float> s3_3 = Vector512<float>.Zero; Vector512<float> s3_4 = Vector512<float>.Zero; Vector512<float> s3_5 = Vector512<float>.Zero;
        for (int j = 0; j < n; j += 16)
        {
            Vector512<float> v0 = Vector512.Load(y0 + j), v1 = Vector512.Load(y1 + j), v2 = Vector512.Load(y2 + j), v3 = Vector512.Load(y3 + j);
            Vector512<float> x;
            x = Vector512.Load(p0 + j); s0_0 = Vector512.FusedMultiplyAdd(v0, x, s0_0); s1_0 = Vector512.FusedMultiplyAdd(v1, x, s1_0); s2_0 = Vector512.FusedMultiplyAdd(v2, x, s2_0); s3_0 = Vector512.FusedMultiplyAdd(v3, x, s3_0);
            x = Vector512.Load(p1 + j); s0_1 = Vector512.FusedMultiplyAdd(v0, x, s0_1); s1_1 = Vector512.FusedMultiplyAdd(v1, x, s1_1); s2_1 = Vector512.FusedMultiplyAdd(v2, x, s2_1); s3_1 = Vector512.FusedMultiplyAdd(v3, x, s3_1);
            x = Vector512.Load(p2 + j); s0_2 = Vector512.FusedMultiplyAdd(v0, x, s0_2); s1_2 = Vector512.FusedMultiplyAdd(v1, x, s1_2); s2_2 = Vector512.FusedMultiplyAdd(v2, x, s2_2); s3_2 = Vector512.FusedMultiplyAdd(v3, x, s3_2);
            x = Vector512.Load(p3 + j); s0_3 = Vector512.FusedMultiplyAdd(v0, x, s0_3); s1_3 = Vector512.FusedMultiplyAdd(v1, x, s1_3); s2_3 = Vector512.FusedMultiplyAdd(v2, x, s2_3); s3_3 = Vector512.FusedMultiplyAdd(v3, x, s3_3);
            x = Vector512.Load(p4 + j); s0_4 = Vector512.FusedMultiplyAdd(v0, x, s0_4); s1_4 = Vector512.FusedMultiplyAdd(v1, x, s1_4); s2_4 = Vector512.FusedMultiplyAdd(v2, x, s2_4); s3_4 = Vector512.FusedMultiplyAdd(v3, x, s3_4);
            x = Vector512.Load(p5 + j); s0_5 = Vector512.FusedMultiplyAdd(v0, x, s0_5); s1_5 = Vector512.FusedMultiplyAdd(v1, x, s1_5); s2_5 = Vector512.FusedMultiplyAdd(v2, x, s2_5); s3_5 = Vector512.FusedMultiplyAdd(v3, x, s3_5);
        }
        t[0] = Vector512.Sum(s0_0); t[1] = Vector512.Sum(s0_1); t[2] = Vector512.Sum(s0_2); t[3] = Vector512.Sum(s0_3); t[4] = Vector512.Sum(s0_4); t[5] = Vector512.Sum(s0_5);
        t[6] = Vector512.Sum(s1_0); t[7] = Vector512.Sum(s1_1); t[8] = Vector512.Sum(s1_2); t[9] = Vector512.Sum(s1_3); t[10] = Vector512.Sum(s1_4); t[11] = Vector512.Sum(s1_5);
        t[12] = Vector512.Sum(s2_0); t[13] = Vector512.Sum(s2_1); t[14] = Vector512.Sum(s2_2); t[15] = Vector512.Sum(s2_3); t[16] = Vector512.Sum(s2_4); t[17] = Vector512.Sum(s2_5);
        t[18] = Vector512.Sum(s3_0); t[19] = Vector512.Sum(s3_1); t[20] = Vector512.Sum(s3_2); t[21] = Vector512.Sum(s3_3); t[22] = Vector512.Sum(s3_4); t[23] = Vector512.Sum(s3_5);
    }
}
