using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Exact integer matrix product of unsigned 8-bit activations by signed 8-bit weights with int32 accumulators:
/// <c>C[o, p] = Σ_i A[o, i]·B[p, i]</c>, A (m×k, s8) the weights, B (n×k, u8) the columns (im2col rows or linear inputs).
/// </summary>
/// <remarks>
/// <para>The operands are packed once: the weights as m rows of ⌈k/4⌉ int32 words (four s8 each, zero padded), the columns
/// into panels of <see cref="PanelColumns"/> columns where each group of four depths of the 16 columns is one 64-byte block
/// (<see cref="PackedIndex"/>). That is the operand layout of <c>vpdpbusd</c>: one instruction multiplies four u8 activations of
/// each column by the four s8 weights broadcast from one int32 and adds the four products to the column's int32 lane.</para>
/// <para>Paths: AVX-VNNI (<c>vpdpbusd</c> on 256 bits) when <see cref="AvxVnni"/> is supported, else a scalar loop over the
/// same layout. .NET 10 exposes no 512-bit <c>vpdpbusd</c> (there is no <c>Avx512Vnni</c> class; <c>AvxVnniInt8.V512</c> is a
/// different instruction set that needs AVX10.2), so AVX-512 machines take the 256-bit path; on AMD Zen 4 a 512-bit
/// <c>vpdpbusd</c> is double-pumped anyway, so the 256-bit one has the same multiply throughput.</para>
/// <para>Exactness: <c>vpdpbusd</c> (not the saturating <c>vpdpbusds</c>) adds four u8×s8 products (each within ±32640) to
/// int32 with wrap-around; no overflow happens while k·255·128 ≤ 2^31 − 1 (<see cref="MaxDepth"/>), which
/// <see cref="Multiply"/> checks, so every path returns the same exact sums.</para>
/// </remarks>
public static class Int8Gemm
{
    /// <summary>Columns per packed panel (one 512-bit block of int32 lanes per four depths).</summary>
    public const int PanelColumns = 16;

    /// <summary>The largest depth k whose sums cannot overflow int32 for any u8 activation and s8 weight: ⌊(2^31 − 1)/(255·128)⌋.</summary>
    public const int MaxDepth = int.MaxValue / (255 * 128);

    /// <summary>Which implementation <see cref="Multiply"/> runs.</summary>
    internal enum Path
    {
        /// <summary>Plain loops over the packed layout.</summary>
        Scalar,
        /// <summary>AVX-VNNI <c>vpdpbusd</c> on Vector256 (two per 16-column panel).</summary>
        AvxVnni256,
    }

    /// <summary>The path this CPU runs best, and a test's per-thread override.</summary>
    internal static readonly KernelPath<Path> Paths = new(AvxVnni.IsSupported ? Path.AvxVnni256 : Path.Scalar);

    /// <summary>k rounded up to a multiple of 4 (the depth of one <c>vpdpbusd</c> step).</summary>
    public static int PaddedDepth(int k) => (k + 3) & ~3;

    /// <summary>Length in bytes of <paramref name="n"/> packed columns of depth <paramref name="k"/> (whole panels, zero padded).</summary>
    public static int PackedColumnsLength(int n, int k) => checked(((n + PanelColumns - 1) / PanelColumns) * PanelColumns * PaddedDepth(k));

    /// <summary>Position of depth <paramref name="i"/> of column <paramref name="p"/> in the packed columns
    /// (<paramref name="paddedDepth"/> = <see cref="PaddedDepth"/>(k)): panel p/16, block i/4 of 64 bytes, lane p mod 16, byte i mod 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PackedIndex(int p, int i, int paddedDepth) =>
        (p >> 4) * (paddedDepth << 4) + ((i >> 2) << 6) + ((p & 15) << 2) + (i & 3);

    /// <summary>Packs m×k row-major s8 weights into m rows of <see cref="PaddedDepth"/>(k)/4 int32 words (zero padded).</summary>
    /// <exception cref="ArgumentException"><paramref name="weights"/> is shorter than m·k.</exception>
    public static int[] PackWeights(ReadOnlySpan<sbyte> weights, int m, int k)
    {
        if (m < 0 || k < 0 || weights.Length < (long)m * k)
            throw new ArgumentException($"Int8Gemm.PackWeights: {weights.Length} weights for {m}×{k}.", nameof(weights));
        int kp = PaddedDepth(k);
        var packed = new int[m * kp / 4];
        var bytes = MemoryMarshal.AsBytes(packed.AsSpan());
        for (int o = 0; o < m; o++)
            MemoryMarshal.AsBytes(weights.Slice(o * k, k)).CopyTo(bytes.Slice(o * kp, k));
        return packed;
    }

    /// <summary>Packs n×k row-major u8 columns into <paramref name="packed"/> (length <see cref="PackedColumnsLength"/>; padding is zeroed).</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void PackColumns(ReadOnlySpan<byte> columns, int n, int k, Span<byte> packed)
    {
        if (columns.Length < (long)n * k || packed.Length < PackedColumnsLength(n, k))
            throw new ArgumentException($"Int8Gemm.PackColumns: {columns.Length} bytes of columns and {packed.Length} packed bytes for {n}×{k}.");
        int kp = PaddedDepth(k);
        packed[..PackedColumnsLength(n, k)].Clear();
        for (int p = 0; p < n; p++)
            for (int i = 0; i < k; i++) packed[PackedIndex(p, i, kp)] = columns[p * k + i];
    }

    /// <summary>
    /// <c>c[o·ldc + p] = Σ_i A[o, i]·B[p, i]</c> for o &lt; m, p &lt; n, from <see cref="PackWeights"/> and
    /// <see cref="PackColumns"/> (or <see cref="PackedIndex"/>) operands; exact. Panels are split over
    /// <see cref="Parallelism.Threads"/> (inline inside another parallel body).
    /// </summary>
    /// <exception cref="ArgumentException">k exceeds <see cref="MaxDepth"/> or a span is too short.</exception>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<int> packedWeights, ReadOnlySpan<byte> packedColumns, Span<int> c, int ldc)
    {
        if (k > MaxDepth) throw new ArgumentException($"Int8Gemm.Multiply: depth {k} could overflow int32 (at most {MaxDepth}).", nameof(k));
        int kq = PaddedDepth(k) / 4, panels = (n + PanelColumns - 1) / PanelColumns;
        if (m < 0 || n < 0 || packedWeights.Length < (long)m * kq || packedColumns.Length < PackedColumnsLength(n, k) || (m > 0 && n > 0 && c.Length < (long)(m - 1) * ldc + n) || ldc < n)
            throw new ArgumentException($"Int8Gemm.Multiply: spans too short for m={m}, n={n}, k={k}, ldc={ldc}.");
        if (m == 0 || n == 0) return;
        var path = Paths.Current;
        if (path == Path.AvxVnni256 && !AvxVnni.IsSupported) throw new PlatformNotSupportedException("Int8Gemm: AVX-VNNI is not supported on this CPU.");
        unsafe
        {
            fixed (int* pw = packedWeights)
            fixed (byte* pb = packedColumns)
            fixed (int* pc = c)
            {
                nint w = (nint)pw, b = (nint)pb, cc = (nint)pc;
                // Chunks of whole panels; a fixed count per thread count keeps the work split reproducible (the sums are exact anyway).
                int chunks = Math.Min(panels, Parallelism.InParallelRegion ? 1 : Parallelism.Threads * 2);
                Parallelism.For(chunks, ch =>
                {
                    int p0 = (int)((long)panels * ch / chunks), p1 = (int)((long)panels * (ch + 1) / chunks);
                    for (int panel = p0; panel < p1; panel++)
                    {
                        int cols = Math.Min(PanelColumns, n - panel * PanelColumns);
                        var pan = (byte*)b + (long)panel * kq * 64;
                        var outp = (int*)cc + panel * PanelColumns;
                        if (path == Path.AvxVnni256) PanelVnni256((int*)w, pan, outp, m, kq, ldc, cols);
                        else PanelScalar((int*)w, pan, outp, m, kq, ldc, cols);
                    }
                });
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PanelScalar(int* w, byte* pan, int* c, int m, int kq, int ldc, int cols)
    {
        for (int o = 0; o < m; o++)
        {
            var wr = (sbyte*)(w + (long)o * kq);
            for (int j = 0; j < cols; j++)
            {
                int acc = 0;
                for (int q = 0; q < kq; q++)
                {
                    byte* x = pan + q * 64 + j * 4;
                    sbyte* a = wr + q * 4;
                    acc += x[0] * a[0] + x[1] * a[1] + x[2] * a[2] + x[3] * a[3];
                }
                c[(long)o * ldc + j] = acc;
            }
        }
    }

    // Rows of weights per register tile: 6 × 16 columns = 12 ymm accumulators + 2 column loads + 1 broadcast, the 15 of the
    // 16 registers that VEX-encoded vpdpbusd can address; twelve independent chains cover its latency.
    private const int TileRows = 6;

    private static unsafe void PanelVnni256(int* w, byte* pan, int* c, int m, int kq, int ldc, int cols)
    {
        int* tile = stackalloc int[TileRows * PanelColumns];
        int o = 0;
        for (; o + TileRows <= m; o += TileRows)
        {
            Tile6Vnni256(w + (long)o * kq, kq, pan, tile);
            for (int r = 0; r < TileRows; r++) Copy(tile + r * PanelColumns, c + (long)(o + r) * ldc, cols);
        }
        for (; o < m; o++)
        {
            Row1Vnni256(w + (long)o * kq, kq, pan, tile);
            Copy(tile, c + (long)o * ldc, cols);
        }
    }

    // No call inside: the accumulators stay in registers (a call in the loop nest makes the JIT spill them every step,
    // since every vector register is caller-saved). Fully optimized from the first call, not the spilling OSR code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile6Vnni256(int* w0, int kq, byte* pan, int* tile)
    {
        int* w1 = w0 + kq, w2 = w1 + kq, w3 = w2 + kq, w4 = w3 + kq, w5 = w4 + kq;
        Vector256<int> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default,
            d0 = default, d1 = default, e0 = default, e1 = default, f0 = default, f1 = default;
        for (int q = 0; q < kq; q++)
        {
            var lo = Vector256.Load(pan + q * 64);
            var hi = Vector256.Load(pan + q * 64 + 32);
            var x = Vector256.Create(w0[q]).AsSByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, lo, x); a1 = AvxVnni.MultiplyWideningAndAdd(a1, hi, x);
            x = Vector256.Create(w1[q]).AsSByte();
            b0 = AvxVnni.MultiplyWideningAndAdd(b0, lo, x); b1 = AvxVnni.MultiplyWideningAndAdd(b1, hi, x);
            x = Vector256.Create(w2[q]).AsSByte();
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, lo, x); c1 = AvxVnni.MultiplyWideningAndAdd(c1, hi, x);
            x = Vector256.Create(w3[q]).AsSByte();
            d0 = AvxVnni.MultiplyWideningAndAdd(d0, lo, x); d1 = AvxVnni.MultiplyWideningAndAdd(d1, hi, x);
            x = Vector256.Create(w4[q]).AsSByte();
            e0 = AvxVnni.MultiplyWideningAndAdd(e0, lo, x); e1 = AvxVnni.MultiplyWideningAndAdd(e1, hi, x);
            x = Vector256.Create(w5[q]).AsSByte();
            f0 = AvxVnni.MultiplyWideningAndAdd(f0, lo, x); f1 = AvxVnni.MultiplyWideningAndAdd(f1, hi, x);
        }
        a0.Store(tile); a1.Store(tile + 8); b0.Store(tile + 16); b1.Store(tile + 24);
        c0.Store(tile + 32); c1.Store(tile + 40); d0.Store(tile + 48); d1.Store(tile + 56);
        e0.Store(tile + 64); e1.Store(tile + 72); f0.Store(tile + 80); f1.Store(tile + 88);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Row1Vnni256(int* w0, int kq, byte* pan, int* tile)
    {
        Vector256<int> a0 = default, a1 = default;
        for (int q = 0; q < kq; q++)
        {
            var x = Vector256.Create(w0[q]).AsSByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.Load(pan + q * 64), x);
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.Load(pan + q * 64 + 32), x);
        }
        a0.Store(tile); a1.Store(tile + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy(int* src, int* dst, int cols)
    {
        if (cols == PanelColumns) { Vector256.Load(src).Store(dst); Vector256.Load(src + 8).Store(dst + 8); return; }
        for (int j = 0; j < cols; j++) dst[j] = src[j];
    }
}
