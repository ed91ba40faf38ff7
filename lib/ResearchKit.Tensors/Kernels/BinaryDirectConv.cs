using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors.Kernels.Native;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Exact direct convolution of 1-bit weights by b-bit unsigned activations held as bit-planes, without im2col:
/// <c>out[n, o, y, x] = Σ_t 2^t·Σ_{a, e, q} popcount(W[o, a, e, q] AND X_t[n, q, y·sh + a, x·sw + e])</c>, where word q of a pixel
/// holds channels 64q..64q + 63 (bit c mod 64), i.e. Σ_i k_i·j_i over the receptive field.
/// </summary>
/// <remarks>
/// <para>Layout ("word-planar"): the activations are <c>planes × words</c> planes of <c>hp × wp</c> ulongs per image, the zero
/// padding already in place: <c>X[((n·planes + t)·words + q)·hp·wp + y·wp + x]</c>. Eight consecutive output pixels of a row then
/// read eight consecutive words of a plane at stride 1 (one 512-bit load), or every other of sixteen at stride 2 (two loads and
/// a lane permutation), so no activation bit is copied into a column operand.</para>
/// <para>The weights are <see cref="PackWeights"/>'s <c>[o][a·kw + e][q]</c> words; one is broadcast against the eight pixels'
/// words. Bits are counted with the nibble table of <c>vpshufb</c> (.NET 10 exposes no <c>vpopcntq</c>), byte counts summed
/// for up to 31 words, then <c>vpsadbw</c>. Row tails shorter than eight pixels, other strides, dilation and CPUs without
/// AVX-512BW take the scalar <c>popcnt</c> path over the same layout; all paths return the same exact sums.</para>
/// </remarks>
public static class BinaryDirectConv
{
    /// <summary>Output pixels of one row per vector tile (eight 64-bit lanes).</summary>
    public const int TilePixels = 8;

    // Larger receptive fields (planes × taps × words) take the scalar path rather than a larger stack block.
    private const int MaxTileVectors = 256;

    /// <summary>Which implementation <see cref="Multiply"/> runs for whole tiles.</summary>
    internal enum Path
    {
        /// <summary>Scalar popcnt.</summary>
        Scalar,
        /// <summary>AVX-512BW nibble-table popcount on Vector512 (strides 1 and 2, no dilation).</summary>
        Avx512V512,
        /// <summary>The same tiles, counted by <c>vpopcntq</c> in <see cref="BinaryPopcountKernel"/> for whole blocks of eight
        /// output channels (the rest as <see cref="Avx512V512"/>).</summary>
        Vpopcntdq,
    }

    /// <summary>The path this CPU runs best, and a test's per-thread override.</summary>
    internal static readonly KernelPath<Path> Paths = new(BinaryPopcountKernel.Available && Avx512BW.IsSupported ? Path.Vpopcntdq
        : Avx512BW.IsSupported && Avx512F.IsSupported ? Path.Avx512V512 : Path.Scalar);

    /// <summary>64-bit words per pixel for <paramref name="channels"/> channels.</summary>
    public static int Words(int channels) => (channels + 63) / 64;

    /// <summary>
    /// Packs outC×c×kh×kw 0/1 weight codes (PyTorch's order; any non-zero code is 1) as <c>[o][a·kw + e][q]</c> words, bit c mod 64
    /// of word q set when the weight of channel c is 1.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or <paramref name="codes"/> is too short.</exception>
    public static ulong[] PackWeights(ReadOnlySpan<int> codes, int outChannels, int channels, int kh, int kw)
    {
        if (outChannels < 0 || channels < 0 || kh < 0 || kw < 0 || codes.Length < (long)outChannels * channels * kh * kw)
            throw new ArgumentException($"BinaryDirectConv.PackWeights: {codes.Length} codes for {outChannels}×{channels}×{kh}×{kw}.", nameof(codes));
        int words = Words(channels), taps = kh * kw;
        var packed = new ulong[outChannels * taps * words];
        for (int o = 0; o < outChannels; o++)
            for (int c = 0; c < channels; c++)
                for (int t = 0; t < taps; t++)
                    if (codes[(o * channels + c) * taps + t] != 0)
                        packed[(o * taps + t) * words + (c >> 6)] |= 1UL << (c & 63);
        return packed;
    }

    /// <summary>
    /// <c>output[((i·outC + o)·oh + y)·ow + x] = Σ_t 2^t·Σ popcount(W AND X_t)</c> over the receptive field of (y, x), from
    /// word-planar activations of <paramref name="planes"/> bit-planes (see the class remarks); exact while
    /// <c>kh·kw·words·64·(2^planes − 1)</c> fits int32 (checked). Rows of tiles are split over <see cref="Parallelism.Threads"/>
    /// (inline inside another parallel body).
    /// </summary>
    /// <exception cref="ArgumentException">A size is out of range, a pixel would read outside the image, or a span is too short.</exception>
    public static void Multiply(ReadOnlySpan<ulong> input, int n, int planes, int hp, int wp, int channels,
        ReadOnlySpan<ulong> packedWeights, int outChannels, int kh, int kw, (int H, int W) stride, (int H, int W) dilation,
        int oh, int ow, Span<int> output)
    {
        int words = Words(channels), taps = kh * kw;
        if (n < 0 || planes < 1 || planes > 8 || oh < 0 || ow < 0 || kh < 1 || kw < 1 || stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1)
            throw new ArgumentException($"BinaryDirectConv.Multiply: bad geometry n={n}, planes={planes}, out {oh}×{ow}, kernel {kh}×{kw}, stride {stride}, dilation {dilation}.");
        if ((long)taps * words * 64 * ((1L << planes) - 1) > int.MaxValue)
            throw new ArgumentException($"BinaryDirectConv.Multiply: {taps} taps × {words} words × {planes} planes could overflow int32.");
        if (n == 0 || oh == 0 || ow == 0 || outChannels == 0) return;
        if ((oh - 1) * stride.H + (kh - 1) * dilation.H >= hp || (ow - 1) * stride.W + (kw - 1) * dilation.W >= wp)
            throw new ArgumentException($"BinaryDirectConv.Multiply: an output of {oh}×{ow} reads outside the {hp}×{wp} padded input.");
        if (input.Length < (long)n * planes * words * hp * wp || packedWeights.Length < (long)outChannels * taps * words
            || output.Length < (long)n * outChannels * oh * ow)
            throw new ArgumentException("BinaryDirectConv.Multiply: a span is too short for the given sizes.");
        var path = Paths.Current;
        if (path != Path.Scalar && !(Avx512BW.IsSupported && Avx512F.IsSupported))
            throw new PlatformNotSupportedException("BinaryDirectConv: AVX-512BW is not supported on this CPU.");
        if (path == Path.Vpopcntdq && !BinaryPopcountKernel.Available)
            throw new PlatformNotSupportedException($"BinaryDirectConv: the vpopcntq kernel cannot run: {BinaryPopcountKernel.Unavailable}.");
        // The tile keeps every plane × tap × word vector of its eight pixels on the stack: at most 16 KiB.
        bool vector = path != Path.Scalar && dilation == (1, 1) && stride.W is 1 or 2 && planes * taps * words <= MaxTileVectors;
        int rows = n * oh, p = oh * ow, perPlane = taps * words;
        // The native kernel counts whole blocks of eight output channels from weights interleaved per block.
        int blocks = vector && path == Path.Vpopcntdq ? outChannels / BinaryPopcountKernel.Block : 0;
        var interleaved = ArrayPool<ulong>.Shared.Rent(Math.Max(1, blocks * BinaryPopcountKernel.Block * perPlane));
        BinaryPopcountKernel.Interleave(packedWeights, blocks, perPlane, interleaved);
        try
        {
            unsafe
            {
                fixed (ulong* px = input)
                fixed (ulong* pw = packedWeights)
                fixed (ulong* pi = interleaved)
                fixed (int* po = output)
                {
                    nint xb = (nint)px, wb = (nint)pw, ob = (nint)po, ib = (nint)pi;
                    var g = new Geometry(planes, words, hp, wp, kh, kw, stride.H, stride.W, dilation.H, dilation.W, outChannels, oh, ow);
                    int chunks = Math.Min(rows, Parallelism.InParallelRegion ? 1 : Parallelism.Threads * 4);
                    Parallelism.For(chunks, ch =>
                    {
                        int r0 = (int)((long)rows * ch / chunks), r1 = (int)((long)rows * (ch + 1) / chunks);
                        for (int r = r0; r < r1; r++)
                        {
                            int img = r / oh, y = r % oh;
                            ulong* image = (ulong*)xb + (long)img * planes * words * hp * wp;
                            int* outRow = (int*)ob + (long)img * outChannels * p + y * ow;
                            int x = 0;
                            if (blocks > 0)   // sixteen pixels: each output channel's sums are one 64-byte store
                                for (; x + 2 * TilePixels <= ow; x += 2 * TilePixels)
                                    Tile1024(g, image, (ulong*)wb, (ulong*)ib, blocks, y, x, outRow + x, p);
                            if (vector)
                                for (; x + TilePixels <= ow; x += TilePixels)
                                    Tile512(g, image, (ulong*)wb, (ulong*)ib, blocks, y, x, outRow + x, p);
                            for (; x < ow; x++) PixelScalar(g, image, (ulong*)wb, y, x, outRow + x, p);
                        }
                    });
                }
            }
        }
        finally { ArrayPool<ulong>.Shared.Return(interleaved); }
    }

    private readonly record struct Geometry(int Planes, int Words, int Hp, int Wp, int Kh, int Kw, int Sh, int Sw, int Dh, int Dw, int OutC, int Oh, int Ow)
    {
        public long PlaneStride => (long)Hp * Wp;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PixelScalar(in Geometry g, ulong* image, ulong* weights, int y, int x, int* outp, int p)
    {
        int taps = g.Kh * g.Kw;
        for (int o = 0; o < g.OutC; o++)
        {
            long total = 0;
            for (int t = 0; t < g.Planes; t++)
            {
                long s = 0;
                for (int q = 0; q < g.Words; q++)
                {
                    ulong* plane = image + ((long)t * g.Words + q) * g.PlaneStride;
                    for (int a = 0; a < g.Kh; a++)
                        for (int e = 0; e < g.Kw; e++)
                            s += BitOperations.PopCount(weights[((long)o * taps + a * g.Kw + e) * g.Words + q]
                                & plane[(long)(y * g.Sh + a * g.Dh) * g.Wp + x * g.Sw + e * g.Dw]);
                }
                total += s << t;
            }
            outp[(long)o * p] = (int)total;
        }
    }

    // Byte counters take up to 31 words (31·8 = 248 ≤ 255) before vpsadbw widens them.
    private const int FlushWords = 31;

    // The words of 8·halves pixels (y, x..) for every plane, word and tap, in the weights' order [tap][q] within each plane
    // (so one running index walks both), each step's halves (pixels 0-7, 8-15) adjacent: xs[(t·perPlane + i)·halves + h].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gather(in Geometry g, ulong* image, int y, int x, int halves, Vector512<ulong>* xs)
    {
        int perPlane = g.Kh * g.Kw * g.Words;
        // Stride 2: pixel k reads word 2k; words 0..7 and 7..14 (not 8..15, which would read one word past the last pixel's).
        var even = Vector512.Create(0UL, 2, 4, 6, 9, 11, 13, 15);
        for (int t = 0; t < g.Planes; t++)
            for (int q = 0; q < g.Words; q++)
            {
                ulong* plane = image + ((long)t * g.Words + q) * g.PlaneStride;
                for (int a = 0; a < g.Kh; a++)
                    for (int e = 0; e < g.Kw; e++)
                    {
                        ulong* src = plane + (long)(y * g.Sh + a) * g.Wp + x * g.Sw + e;
                        Vector512<ulong>* dst = xs + (t * perPlane + (a * g.Kw + e) * g.Words + q) * halves;
                        for (int h = 0; h < halves; h++, src += TilePixels * g.Sw)
                            dst[h] = g.Sw == 1 ? Vector512.Load(src) : Avx512F.PermuteVar8x64x2(Vector512.Load(src), even, Vector512.Load(src + 7));
                    }
            }
    }

    // Sixteen pixels (y, x..x+15): the native kernel for the blocks of eight output channels, the eight-pixel tiles for the
    // channels after them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile1024(in Geometry g, ulong* image, ulong* weights, ulong* interleaved, int blocks, int y, int x, int* outp, int p)
    {
        int perPlane = g.Kh * g.Kw * g.Words;
        Vector512<ulong>* xs = stackalloc Vector512<ulong>[2 * g.Planes * perPlane];
        Gather(g, image, y, x, 2, xs);
        BinaryPopcountKernel.Args args;
        args.Xs = xs; args.Weights = interleaved; args.Out = outp; args.OutStride = (long)p * sizeof(int);
        args.Blocks = blocks; args.SegmentBytes = (long)perPlane * 64; args.Planes = g.Planes;
        args.LastPlane = xs + 2 * (g.Planes - 1) * perPlane;
        BinaryPopcountKernel.Run16(&args);
        if (blocks * BinaryPopcountKernel.Block < g.OutC)
        {
            Tile512(g, image, weights, interleaved, -blocks, y, x, outp, p);
            Tile512(g, image, weights, interleaved, -blocks, y, x + TilePixels, outp + TilePixels, p);
        }
    }

    // Eight pixels (y, x..x+7) × every output channel: the pixels' words are gathered once into a stack block, then each output channel ANDs its broadcast weight words against them and counts the bits; the first
    // blocks·8 channels in the native kernel (interleaved weights), the others here; blocks < 0: the first −blocks·8 channels
    // are already counted.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512(in Geometry g, ulong* image, ulong* weights, ulong* interleaved, int blocks, int y, int x, int* outp, int p)
    {
        int perPlane = g.Kh * g.Kw * g.Words;
        Vector512<ulong>* xs = stackalloc Vector512<ulong>[g.Planes * perPlane];
        Gather(g, image, y, x, 1, xs);
        int first = -Math.Min(blocks, 0) * BinaryPopcountKernel.Block;
        if (blocks > 0)
        {
            BinaryPopcountKernel.Args args;
            args.Xs = xs; args.Weights = interleaved; args.Out = outp; args.OutStride = (long)p * sizeof(int);
            args.Blocks = blocks; args.SegmentBytes = (long)perPlane * 64; args.Planes = g.Planes;
            args.LastPlane = xs + (g.Planes - 1) * perPlane;
            BinaryPopcountKernel.Run(&args);
            first = blocks * BinaryPopcountKernel.Block;
        }
        var lut = Vector512.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
        var nib = Vector512.Create((byte)0x0f);
        for (int o = first; o < g.OutC; o++)
        {
            ulong* w = weights + (long)o * perPlane;
            var total = Vector512<ulong>.Zero;
            for (int t = 0; t < g.Planes; t++)
            {
                Vector512<ulong>* xp = xs + t * perPlane;
                var plane = Vector512<ulong>.Zero;
                for (int i0 = 0; i0 < perPlane; i0 += FlushWords)
                {
                    int i1 = Math.Min(perPlane, i0 + FlushWords);
                    var acc = Vector512<byte>.Zero;
                    for (int i = i0; i < i1; i++)
                    {
                        var v = (xp[i] & Vector512.Create(w[i])).AsByte();
                        acc += Avx512BW.Shuffle(lut, v & nib) + Avx512BW.Shuffle(lut, (v.AsUInt16() >>> 4).AsByte() & nib);
                    }
                    plane += Avx512BW.SumAbsoluteDifferences(acc, Vector512<byte>.Zero).AsUInt64();
                }
                total += plane << t;
            }
            // Eight sums below 2^31: the low halves of the 64-bit lanes, stored as the row's eight consecutive outputs.
            Avx512F.ConvertToVector256Int32(total.AsInt64()).Store(outp + (long)o * p);
        }
    }
}
