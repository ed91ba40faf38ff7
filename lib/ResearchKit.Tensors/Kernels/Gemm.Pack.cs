using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Packs the <paramref name="mc"/>×<paramref name="kc"/> block of op(A) starting at (<paramref name="i0"/>, <paramref name="p0"/>)
    /// into <paramref name="mrTile"/>-row slivers: sliver s holds op(A)[i0 + s·MR + i, p0 + p] at <c>s·MR·kc + p·MR + i</c>,
    /// rows past <paramref name="mc"/> zero-filled so edge tiles run the same micro-kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, int mrTile, float* dst)
    {
        for (int s = 0; s < mc; s += mrTile, dst += (nint)mrTile * kc)
        {
            int mr = Math.Min(mrTile, mc - s);
            if (!transA)
            {
                // Stored rows are contiguous along k: transpose them into the sliver.
                TransposeRows(a + (nint)(i0 + s) * lda + p0, lda, mr, kc, mrTile, dst);
            }
            else
            {
                // Stored A is K×M: each k-step of the sliver is a contiguous run of mr floats.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (nint)(p0 + p) * lda + i0 + s;
                    float* d = dst + (nint)p * mrTile;
                    for (int i = 0; i < mr; i++) d[i] = src[i];
                }
            }
            if (mr < mrTile)
            {
                for (int p = 0; p < kc; p++)
                    for (int i = mr; i < mrTile; i++) dst[(nint)p * mrTile + i] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs NR-column slivers <paramref name="s0"/>..<paramref name="s1"/>-1 of the <paramref name="kc"/>×<paramref name="nc"/>
    /// block of op(B) starting at (<paramref name="p0"/>, <paramref name="j0"/>): sliver s holds op(B)[p0 + p, j0 + s·NR + j]
    /// at <c>s·NR·kc + p·NR + j</c>, columns past <paramref name="nc"/> zero-filled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int nrTile,
        int s0, int s1, float* packed)
    {
        for (int s = s0; s < s1; s++)
        {
            float* dst = packed + (nint)s * nrTile * kc;
            int jStart = s * nrTile;
            int nr = Math.Min(nrTile, nc - jStart);
            if (!transB)
            {
                // Stored rows are contiguous along n: a k-step of the sliver is one contiguous copy.
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (nint)(p0 + p) * ldb + j0 + jStart;
                    float* d = dst + (nint)p * nrTile;
                    if (nr == nrTile)
                    {
                        for (int j = 0; j < nrTile; j += Vector256<float>.Count)
                            Vector256.Store(Vector256.Load(src + j), d + j);
                    }
                    else
                    {
                        int j = 0;
                        for (; j < nr; j++) d[j] = src[j];
                        for (; j < nrTile; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // Stored B is N×K: each stored row becomes one lane of the sliver.
                TransposeRows(b + (nint)(j0 + jStart) * ldb + p0, ldb, nr, kc, nrTile, dst);
                if (nr < nrTile)
                {
                    for (int p = 0; p < kc; p++)
                        for (int j = nr; j < nrTile; j++) dst[(nint)p * nrTile + j] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// dst[p·tile + r] = src[r·ld + p] for r &lt; rows, p &lt; kc: rows that are contiguous along k become lanes of a packed
    /// sliver. Groups of 4 rows × 4 k-steps go through an SSE 4×4 transpose (4 loads, 8 shuffles, 4 stores instead of
    /// 16 scalar loads and strided stores); leftover rows and k-steps are copied one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TransposeRows(float* src, int ld, int rows, int kc, int tile, float* dst)
    {
        int r = 0;
        if (Sse.IsSupported)
        {
            for (; r + 4 <= rows; r += 4)
            {
                float* s0 = src + (nint)r * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
                float* d = dst + r;
                int p = 0;
                for (; p + 4 <= kc; p += 4, d += 4 * tile)
                {
                    Vector128<float> r0 = Sse.LoadVector128(s0 + p), r1 = Sse.LoadVector128(s1 + p);
                    Vector128<float> r2 = Sse.LoadVector128(s2 + p), r3 = Sse.LoadVector128(s3 + p);
                    Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackLow(r2, r3);
                    Vector128<float> t2 = Sse.UnpackHigh(r0, r1), t3 = Sse.UnpackHigh(r2, r3);
                    Sse.Store(d, Sse.MoveLowToHigh(t0, t1));
                    Sse.Store(d + tile, Sse.MoveHighToLow(t1, t0));
                    Sse.Store(d + 2 * tile, Sse.MoveLowToHigh(t2, t3));
                    Sse.Store(d + 3 * tile, Sse.MoveHighToLow(t3, t2));
                }
                for (; p < kc; p++, d += tile)
                {
                    d[0] = s0[p];
                    d[1] = s1[p];
                    d[2] = s2[p];
                    d[3] = s3[p];
                }
            }
        }
        for (; r < rows; r++)
        {
            float* sr = src + (nint)r * ld;
            float* d = dst + r;
            for (int p = 0; p < kc; p++, d += tile) *d = sr[p];
        }
    }

    /// <summary>
    /// Takes the calling thread's cached scratch array (or a new pinned one if it is missing, too small, or already taken
    /// by an outer call on this thread) so steady-state calls do not allocate.
    /// </summary>
    private static float[] RentScratch(ref float[]? slot, int floats)
    {
        float[]? buf = slot;
        slot = null;
        if (buf is null || buf.Length < floats + 16)
            buf = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        return buf;
    }

    /// <summary>Gives a scratch array back to the thread cache, keeping the larger one.</summary>
    private static void ReturnScratch(ref float[]? slot, float[] buf)
    {
        if (slot is null || slot.Length < buf.Length) slot = buf;
    }

    /// <summary>64-byte aligned start of a pinned scratch array (pinned arrays never move, so the pointer stays valid).</summary>
    private static unsafe float* Aligned(float[] pinned)
    {
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (float*)((p + 63) & ~(nint)63);
    }
}
