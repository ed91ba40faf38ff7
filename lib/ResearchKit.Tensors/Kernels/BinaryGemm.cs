using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Exact product of 1-bit weights by b-bit unsigned activations held as bit-planes (a code j = Σ_t 2^t·plane_t):
/// <c>C[o, p] = Σ_t 2^t·Σ_w popcount(W[o, w] AND X_t[p, w])</c> over 64-bit words, i.e. Σ_i k_i·j_i for weight bits k and
/// activation codes j. With one plane (binary activations) that is one AND-popcount pass; XNOR-popcount for ±1 operands is
/// the same sum after the affine correction the caller folds into its output offset.
/// </summary>
/// <remarks>
/// <para>Layout: the weights are m rows of <c>words</c> ulongs; the columns are packed in panels of <see cref="PanelColumns"/>
/// columns, each plane of a panel being <c>words</c> blocks of 8 ulongs (one word of each column; <see cref="PackedIndex"/>),
/// so one 512-bit load holds the same word of 8 columns and a weight word is broadcast against it. Unused bits must be 0 in
/// the weights or in the columns (zero padding is then exact).</para>
/// <para>Paths: .NET 10 has no <c>vpopcntq</c> intrinsic (no <c>Avx512Vpopcntdq</c> class), so the SIMD paths count bits with
/// the nibble look-up table of <c>vpshufb</c> (W. Muła's method): per byte two table look-ups, byte counts summed for up
/// to 31 words (≤ 248, no byte overflow), then <c>vpsadbw</c> into 64-bit lanes. AVX-512BW on Vector512, AVX2 on Vector256,
/// else scalar <see cref="BitOperations.PopCount(ulong)"/> (the <c>popcnt</c> instruction). All paths give the same exact sums.</para>
/// </remarks>
public static class BinaryGemm
{
    /// <summary>Columns per packed panel (8 ulong lanes of a Vector512).</summary>
    public const int PanelColumns = 8;

    /// <summary>Which implementation <see cref="Multiply"/> runs.</summary>
    internal enum Path
    {
        /// <summary>Scalar popcnt.</summary>
        Scalar,
        /// <summary>AVX2 nibble-LUT popcount on Vector256 (half a panel per pass).</summary>
        Avx2V256,
        /// <summary>AVX-512BW nibble-LUT popcount on Vector512.</summary>
        Avx512V512,
    }

    /// <summary>The path this CPU runs best, and a test's per-thread override.</summary>
    internal static readonly KernelPath<Path> Paths = new(Avx512BW.IsSupported ? Path.Avx512V512 : Avx2.IsSupported ? Path.Avx2V256 : Path.Scalar);

    /// <summary>Length in ulongs of <paramref name="n"/> packed columns of <paramref name="words"/> words and <paramref name="planes"/> planes (whole panels).</summary>
    public static int PackedColumnsLength(int n, int words, int planes) =>
        checked(((n + PanelColumns - 1) / PanelColumns) * PanelColumns * words * planes);

    /// <summary>Position of word <paramref name="w"/> of plane <paramref name="plane"/> of column <paramref name="p"/> in the packed columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PackedIndex(int p, int plane, int w, int words, int planes) =>
        (((p >> 3) * planes + plane) * words + w) * 8 + (p & 7);

    /// <summary>
    /// <c>c[o·ldc + p] = Σ_t 2^t·Σ_w popcount(weights[o·words + w] AND X_t[p, w])</c> for o &lt; m, p &lt; n, with X packed as
    /// <see cref="PackedIndex"/> says; exact while the sums fit int32 (words·64·(2^planes − 1) &lt; 2^31, checked). Panels are
    /// split over <see cref="Parallelism.Threads"/> (inline inside another parallel body).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short, or the sums could overflow int32.</exception>
    public static void Multiply(int m, int n, int words, int planes, ReadOnlySpan<ulong> weights, ReadOnlySpan<ulong> packedColumns, Span<int> c, int ldc)
    {
        if (m < 0 || n < 0 || words < 0 || planes < 1 || planes > 16 || weights.Length < (long)m * words
            || packedColumns.Length < PackedColumnsLength(n, words, planes) || ldc < n || (m > 0 && n > 0 && c.Length < (long)(m - 1) * ldc + n))
            throw new ArgumentException($"BinaryGemm.Multiply: bad sizes or short spans for m={m}, n={n}, words={words}, planes={planes}, ldc={ldc}.");
        if ((long)words * 64 * ((1L << planes) - 1) > int.MaxValue)
            throw new ArgumentException($"BinaryGemm.Multiply: {words} words × {planes} planes could overflow int32.");
        if (m == 0 || n == 0) return;
        var path = Paths.Current;
        if ((path == Path.Avx512V512 && !Avx512BW.IsSupported) || (path == Path.Avx2V256 && !Avx2.IsSupported))
            throw new PlatformNotSupportedException($"BinaryGemm: path {path} is not supported on this CPU.");
        int panels = (n + PanelColumns - 1) / PanelColumns;
        unsafe
        {
            fixed (ulong* pw = weights)
            fixed (ulong* pb = packedColumns)
            fixed (int* pc = c)
            {
                nint w = (nint)pw, b = (nint)pb, cc = (nint)pc;
                int chunks = Math.Min(panels, Parallelism.InParallelRegion ? 1 : Parallelism.Threads * 2);
                Parallelism.For(chunks, ch =>
                {
                    int p0 = (int)((long)panels * ch / chunks), p1 = (int)((long)panels * (ch + 1) / chunks);
                    ulong* sums = stackalloc ulong[PanelColumns];
                    for (int panel = p0; panel < p1; panel++)
                    {
                        int cols = Math.Min(PanelColumns, n - panel * PanelColumns);
                        var pan = (ulong*)b + (long)panel * planes * words * 8;
                        var outp = (int*)cc + panel * PanelColumns;
                        for (int o = 0; o < m; o++)
                        {
                            var wr = (ulong*)w + (long)o * words;
                            if (path == Path.Avx512V512) Row512(wr, pan, words, planes, sums);
                            else if (path == Path.Avx2V256) { Row256(wr, pan, words, planes, sums); Row256(wr, pan + 4, words, planes, sums + 4); }
                            else RowScalar(wr, pan, words, planes, sums);
                            int* dst = outp + (long)o * ldc;
                            for (int j = 0; j < cols; j++) dst[j] = (int)sums[j];
                        }
                    }
                });
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowScalar(ulong* w, ulong* pan, int words, int planes, ulong* sums)
    {
        for (int j = 0; j < PanelColumns; j++)
        {
            ulong total = 0;
            for (int t = 0; t < planes; t++)
            {
                ulong* x = pan + (long)t * words * 8 + j;
                ulong s = 0;
                for (int i = 0; i < words; i++) s += (ulong)BitOperations.PopCount(w[i] & x[i * 8]);
                total += s << t;
            }
            sums[j] = total;
        }
    }

    // Byte counts can add up 31 words (31·8 = 248 ≤ 255) before vpsadbw widens them.
    private const int FlushWords = 31;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row512(ulong* w, ulong* pan, int words, int planes, ulong* sums)
    {
        var lut = Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var nib = Vector512.Create((byte)0x0f);
        var total = Vector512<ulong>.Zero;
        for (int t = 0; t < planes; t++)
        {
            ulong* x = pan + (long)t * words * 8;
            var plane = Vector512<ulong>.Zero;
            for (int i0 = 0; i0 < words; i0 += FlushWords)
            {
                int i1 = Math.Min(words, i0 + FlushWords);
                var acc = Vector512<byte>.Zero;
                for (int i = i0; i < i1; i++)
                {
                    var v = (Vector512.Load(x + i * 8) & Vector512.Create(w[i])).AsByte();
                    acc += Avx512BW.Shuffle(lut, v & nib) + Avx512BW.Shuffle(lut, (v.AsUInt16() >>> 4).AsByte() & nib);
                }
                plane += Avx512BW.SumAbsoluteDifferences(acc, Vector512<byte>.Zero).AsUInt64();
            }
            total += plane << t;
        }
        total.Store(sums);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row256(ulong* w, ulong* pan, int words, int planes, ulong* sums)
    {
        var lut = Vector256.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var nib = Vector256.Create((byte)0x0f);
        var total = Vector256<ulong>.Zero;
        for (int t = 0; t < planes; t++)
        {
            ulong* x = pan + (long)t * words * 8;
            var plane = Vector256<ulong>.Zero;
            for (int i0 = 0; i0 < words; i0 += FlushWords)
            {
                int i1 = Math.Min(words, i0 + FlushWords);
                var acc = Vector256<byte>.Zero;
                for (int i = i0; i < i1; i++)
                {
                    var v = (Vector256.Load(x + i * 8) & Vector256.Create(w[i])).AsByte();
                    acc += Avx2.Shuffle(lut, v & nib) + Avx2.Shuffle(lut, (v.AsUInt16() >>> 4).AsByte() & nib);
                }
                plane += Avx2.SumAbsoluteDifferences(acc, Vector256<byte>.Zero).AsUInt64();
            }
            total += plane << t;
        }
        total.Store(sums);
    }
}
