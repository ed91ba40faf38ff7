using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Packs the <paramref name="mc"/>×<paramref name="kc"/> block of op(A) starting at (<paramref name="i0"/>, <paramref name="p0"/>)
    /// into <paramref name="mrTile"/>-row slivers: sliver s holds op(A)[i0 + s·MR + i, p0 + p] at <c>s·MR·kc + p·MR + i</c>,
    /// rows past <paramref name="mc"/> zero-filled so edge tiles run the same micro-kernel.
    /// </summary>
    private static unsafe void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, int mrTile, float* dst)
    {
        for (int s = 0; s < mc; s += mrTile, dst += (nint)mrTile * kc)
        {
            int mr = Math.Min(mrTile, mc - s);
            if (!transA)
            {
                // Stored rows are contiguous along k: stream each row into its lane of the sliver (sliver stays in L1).
                for (int i = 0; i < mr; i++)
                {
                    float* src = a + (nint)(i0 + s + i) * lda + p0;
                    float* d = dst + i;
                    int p = 0;
                    for (; p + 4 <= kc; p += 4)
                    {
                        d[0] = src[p];
                        d[mrTile] = src[p + 1];
                        d[2 * mrTile] = src[p + 2];
                        d[3 * mrTile] = src[p + 3];
                        d += 4 * mrTile;
                    }
                    for (; p < kc; p++, d += mrTile) *d = src[p];
                }
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
                for (int j = 0; j < nr; j++)
                {
                    float* src = b + (nint)(j0 + jStart + j) * ldb + p0;
                    float* d = dst + j;
                    int p = 0;
                    for (; p + 4 <= kc; p += 4)
                    {
                        d[0] = src[p];
                        d[nrTile] = src[p + 1];
                        d[2 * nrTile] = src[p + 2];
                        d[3 * nrTile] = src[p + 3];
                        d += 4 * nrTile;
                    }
                    for (; p < kc; p++, d += nrTile) *d = src[p];
                }
                if (nr < nrTile)
                {
                    for (int p = 0; p < kc; p++)
                        for (int j = nr; j < nrTile; j++) dst[(nint)p * nrTile + j] = 0f;
                }
            }
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
