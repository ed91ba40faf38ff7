using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors.Kernels.Native;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Exact direct convolution of unsigned 8-bit activations by signed 8-bit weights with int32 accumulators, without im2col:
/// <c>out[n, o, y, x] = Σ_{c, a, e} W[o, c, a, e]·X[n, y·sh + a·dh, x·sw + e·dw, c]</c>, X an NHWC image whose zero border (the
/// convolution's padding) is already in place and whose channels are padded to a multiple of 4 with zeros.
/// </summary>
/// <remarks>
/// <para>Why not im2col: an int8 product is four times denser than a float one, so scattering every activation byte into a
/// packed column operand costs more than the product itself. Here the activations are read where they lie: for a tile of
/// <see cref="TilePixels"/> output pixels and <see cref="Lanes"/> output channels, each step broadcasts four channels of one
/// input pixel (one int32 of the NHWC image) and multiplies them with <c>vpdpbusd</c> by the four matching weights of each of the
/// 16 output channels (two 256-bit vectors of the packed weights, <see cref="PackWeights"/>). Twelve accumulators, two weight
/// vectors and one broadcast use 15 of the 16 registers that VEX-encoded <c>vpdpbusd</c> can address.</para>
/// <para>Exactness: as <see cref="Int8Gemm"/>: wrap-around int32 sums, exact while the depth c·kh·kw is at most
/// <see cref="Int8Gemm.MaxDepth"/> (checked). Every path and every split over threads returns the same sums.</para>
/// </remarks>
public static class Int8DirectConv
{
    /// <summary>Output channels per packed weight block (16 int32 lanes: two 256-bit vectors).</summary>
    public const int Lanes = 16;

    /// <summary>Output pixels per register tile.</summary>
    public const int TilePixels = 6;

    /// <summary>The most pixels <see cref="RowTile"/> computes at once (the 512-bit kernel's tile).</summary>
    public const int MaxRowTilePixels = 12;

    /// <summary>Which implementation <see cref="Multiply"/> runs.</summary>
    internal enum Path
    {
        /// <summary>Plain loops over the same layout.</summary>
        Scalar,
        /// <summary>AVX-VNNI <c>vpdpbusd</c> on Vector256.</summary>
        AvxVnni256,
        /// <summary>Tiles of 12 (or, for rows of 8 to 11, 8) pixels × 16 channels of 512-bit <c>vpdpbusd</c>
        /// (<see cref="Int8VnniKernel"/>); rows narrower than 8 pixels take <see cref="AvxVnni256"/> where the CPU has it, else
        /// <see cref="Scalar"/>.</summary>
        Vnni512,
    }

    /// <summary>The path this CPU runs best, and a test's per-thread override.</summary>
    internal static readonly KernelPath<Path> Paths = new(Int8VnniKernel.Available ? Path.Vnni512 : AvxVnni.IsSupported ? Path.AvxVnni256 : Path.Scalar);

    /// <summary>Channels rounded up to a multiple of 4 (one <c>vpdpbusd</c> step reads four).</summary>
    public static int PaddedChannels(int channels) => (channels + 3) & ~3;

    /// <summary>Int32 words of the packed weights of <see cref="PackWeights"/>.</summary>
    public static int PackedWeightsLength(int outChannels, int channels, int kh, int kw) =>
        checked((outChannels + Lanes - 1) / Lanes * kh * kw * PaddedChannels(channels) / 4 * Lanes);

    /// <summary>
    /// Packs outC×c×kh×kw s8 weights (PyTorch's order) into blocks of 16 output channels: block b, tap t = a·kw + e, channel
    /// group q = c/4 is 16 int32 words, word l holding the four weights of output channel 16b + l for channels 4q..4q + 3
    /// (zero for missing channels and output channels).
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or <paramref name="weights"/> is too short.</exception>
    public static int[] PackWeights(ReadOnlySpan<sbyte> weights, int outChannels, int channels, int kh, int kw)
    {
        if (outChannels < 0 || channels < 0 || kh < 0 || kw < 0 || weights.Length < (long)outChannels * channels * kh * kw)
            throw new ArgumentException($"Int8DirectConv.PackWeights: {weights.Length} weights for {outChannels}×{channels}×{kh}×{kw}.", nameof(weights));
        int taps = kh * kw, groups = PaddedChannels(channels) / 4;
        var packed = new int[PackedWeightsLength(outChannels, channels, kh, kw)];
        var bytes = MemoryMarshal.AsBytes(packed.AsSpan());
        for (int o = 0; o < outChannels; o++)
            for (int c = 0; c < channels; c++)
                for (int t = 0; t < taps; t++)
                {
                    long word = (((long)(o / Lanes) * taps + t) * groups + c / 4) * Lanes + o % Lanes;
                    bytes[(int)(word * 4 + c % 4)] = (byte)weights[(o * channels + c) * taps + t];
                }
        return packed;
    }

    /// <summary>
    /// <c>output[((i·outC + o)·oh + y)·ow + x] = Σ W[o, c, a, e]·input[((i·hp + y·sh + a·dh)·wp + x·sw + e·dw)·cp + c]</c> for n images,
    /// input NHWC u8 of <paramref name="hp"/>×<paramref name="wp"/> pixels (the padding included) and
    /// cp = <see cref="PaddedChannels"/>(c) channels; exact. Output rows are split over <see cref="Parallelism.Threads"/>
    /// (inline inside another parallel body).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short, a pixel would read outside the image, or the depth exceeds
    /// <see cref="Int8Gemm.MaxDepth"/>.</exception>
    public static void Multiply(ReadOnlySpan<byte> input, int n, int hp, int wp, int channels,
        ReadOnlySpan<int> packedWeights, int outChannels, int kh, int kw, (int H, int W) stride, (int H, int W) dilation,
        int oh, int ow, Span<int> output)
    {
        int cp = PaddedChannels(channels);
        if (n < 0 || oh < 0 || ow < 0 || stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1 || kh < 1 || kw < 1)
            throw new ArgumentException($"Int8DirectConv.Multiply: bad geometry n={n}, out {oh}×{ow}, kernel {kh}×{kw}, stride {stride}, dilation {dilation}.");
        if ((long)channels * kh * kw > Int8Gemm.MaxDepth)
            throw new ArgumentException($"Int8DirectConv.Multiply: depth {channels * kh * kw} could overflow int32 (at most {Int8Gemm.MaxDepth}).");
        if (n == 0 || oh == 0 || ow == 0 || outChannels == 0) return;
        if ((oh - 1) * stride.H + (kh - 1) * dilation.H >= hp || (ow - 1) * stride.W + (kw - 1) * dilation.W >= wp)
            throw new ArgumentException($"Int8DirectConv.Multiply: an output of {oh}×{ow} reads outside the {hp}×{wp} padded input.");
        if (input.Length < (long)n * hp * wp * cp || packedWeights.Length < PackedWeightsLength(outChannels, channels, kh, kw)
            || output.Length < (long)n * outChannels * oh * ow)
            throw new ArgumentException("Int8DirectConv.Multiply: a span is too short for the given sizes.");
        var path = Paths.Current;
        if (path == Path.AvxVnni256 && !AvxVnni.IsSupported) throw new PlatformNotSupportedException("Int8DirectConv: AVX-VNNI is not supported on this CPU.");
        if (path == Path.Vnni512 && !Int8VnniKernel.Available)
            throw new PlatformNotSupportedException($"Int8DirectConv: the 512-bit vpdpbusd kernel cannot run: {Int8VnniKernel.Unavailable}.");
        // 512-bit tiles of 12 pixels, of 8 for rows of 8 to 11; narrower rows (and only they) take the 6-pixel tiles.
        int tileW = path == Path.Vnni512 ? Int8VnniKernel.TileWidth(ow) : 0;
        bool wide = tileW > 0;
        var narrow = path != Path.Vnni512 ? path : AvxVnni.IsSupported ? Path.AvxVnni256 : Path.Scalar;

        int taps = kh * kw, groups = cp / 4, blocks = (outChannels + Lanes - 1) / Lanes, p = oh * ow;
        int rows = n * oh;
        // Byte offset of each tap from the tile pixel's top-left input pixel.
        var tapOffsets = new int[taps];
        for (int a = 0; a < kh; a++)
            for (int e = 0; e < kw; e++) tapOffsets[a * kw + e] = (a * dilation.H * wp + e * dilation.W) * cp;
        unsafe
        {
            fixed (byte* px = input)
            fixed (int* pw = packedWeights)
            fixed (int* po = output)
            fixed (int* pt = tapOffsets)
            {
                nint xb = (nint)px, wb = (nint)pw, ob = (nint)po, tb = (nint)pt;
                int chunks = Math.Min(rows, Parallelism.InParallelRegion ? 1 : Parallelism.Threads * 4);
                Parallelism.For(chunks, ch =>
                {
                    int r0 = (int)((long)rows * ch / chunks), r1 = (int)((long)rows * (ch + 1) / chunks);
                    byte** src = stackalloc byte*[TilePixels];
                    int* tile = stackalloc int[Int8VnniKernel.Pixels * Lanes];
                    // Tiles run along one output row, so their pixels are consecutive in the output and need no division.
                    for (int r = r0; r < r1; r++)
                    {
                        int img = r / oh, y = r % oh;
                        byte* rowIn = (byte*)xb + ((long)img * hp + (long)y * stride.H) * wp * cp;
                        int* rowOut = (int*)ob + (long)img * outChannels * p + (long)y * ow;
                        if (wide)
                        {
                            for (int x0 = 0; x0 < ow; x0 += tileW)
                            {
                                // The last tile ends at the row's end, recomputing a few pixels of the one before (same sums).
                                int xs = Math.Min(x0, ow - tileW);
                                Int8VnniKernel.Args args;
                                args.Pixel0 = rowIn + (long)xs * stride.W * cp; args.PixelStride = (long)stride.W * cp;
                                args.TapOffsets = (int*)tb; args.Taps = taps; args.Quads = groups; args.Tile = tile;
                                for (int b = 0; b < blocks; b++)
                                {
                                    args.Weights = (int*)wb + (long)b * taps * groups * Lanes;
                                    Int8VnniKernel.Run(&args, tileW);
                                    int lanes = Math.Min(Lanes, outChannels - b * Lanes);
                                    int* outp = rowOut + (long)b * Lanes * p + xs;
                                    for (int l = 0; l < lanes; l++, outp += p)
                                        for (int k = 0; k < tileW; k++) outp[k] = tile[k * Lanes + l];
                                }
                            }
                            continue;
                        }
                        for (int x0 = 0; x0 < ow; x0 += TilePixels)
                        {
                            int count = Math.Min(TilePixels, ow - x0);
                            for (int k = 0; k < TilePixels; k++)   // a short tile repeats its last pixel
                                src[k] = rowIn + (long)(x0 + Math.Min(k, count - 1)) * stride.W * cp;
                            for (int b = 0; b < blocks; b++)
                            {
                                int* wblock = (int*)wb + (long)b * taps * groups * Lanes;
                                if (narrow == Path.AvxVnni256) TileVnni256(src, (int*)tb, taps, groups, wblock, tile);
                                else TileScalar(src, (int*)tb, taps, groups, wblock, tile);
                                int lanes = Math.Min(Lanes, outChannels - b * Lanes);
                                int* outp = rowOut + (long)b * Lanes * p + x0;
                                for (int l = 0; l < lanes; l++, outp += p)
                                    for (int k = 0; k < count; k++) outp[k] = tile[k * Lanes + l];
                            }
                        }
                    }
                });
            }
        }
    }

    /// <summary>
    /// One tile of an output row for one block of 16 output channels, for a caller that consumes the sums tile by tile:
    /// tile[k·16 + l] = the sum of output channel l at pixel start + k, for k below the returned count. The tile begins at
    /// <paramref name="x0"/> except a 12-pixel tile at the row's end, which begins earlier (its first pixels repeat the previous
    /// tile's); the next tile begins at start + count.
    /// </summary>
    /// <param name="rowIn">The row's first pixel: input pixel (y·sh, 0) of the padded NHWC image.</param>
    /// <param name="pixelStride">Bytes between the row's consecutive output pixels (stride · padded channels).</param>
    /// <param name="x0">The first pixel not yet computed.</param>
    /// <param name="ow">The row's width.</param>
    /// <param name="tapOffsets">Byte offset of each tap from a pixel (dilation included).</param>
    /// <param name="taps">kh·kw.</param>
    /// <param name="quads">Padded channels / 4.</param>
    /// <param name="wblock">The block's packed weights (<see cref="PackWeights"/>).</param>
    /// <param name="tile"><see cref="MaxRowTilePixels"/> × 16 int32.</param>
    /// <param name="src">Scratch for 6 pixel pointers.</param>
    public static unsafe (int Start, int Count) RowTile(byte* rowIn, int pixelStride, int x0, int ow, int* tapOffsets, int taps, int quads,
        int* wblock, int* tile, byte** src)
    {
        var path = Paths.Current;
        int width = path == Path.Vnni512 ? Int8VnniKernel.TileWidth(ow) : 0;
        if (width > 0)
        {
            int start = Math.Min(x0, ow - width);
            Int8VnniKernel.Args args;
            args.Pixel0 = rowIn + (long)start * pixelStride; args.PixelStride = pixelStride;
            args.TapOffsets = tapOffsets; args.Taps = taps; args.Quads = quads; args.Weights = wblock; args.Tile = tile;
            Int8VnniKernel.Run(&args, width);
            return (start, width);
        }
        int count = Math.Min(TilePixels, ow - x0);
        for (int k = 0; k < TilePixels; k++) src[k] = rowIn + (long)(x0 + Math.Min(k, count - 1)) * pixelStride;
        if (path != Path.Scalar && AvxVnni.IsSupported) TileVnni256(src, tapOffsets, taps, quads, wblock, tile);
        else TileScalar(src, tapOffsets, taps, quads, wblock, tile);
        return (x0, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileScalar(byte** src, int* tapOffsets, int taps, int groups, int* wblock, int* tile)
    {
        for (int r = 0; r < TilePixels; r++)
            for (int l = 0; l < Lanes; l++)
            {
                int acc = 0;
                for (int t = 0; t < taps; t++)
                {
                    byte* x = src[r] + tapOffsets[t];
                    sbyte* w = (sbyte*)(wblock + (long)t * groups * Lanes + l);
                    for (int q = 0; q < groups; q++, x += 4, w += Lanes * 4)
                        acc += x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3];
                }
                tile[r * Lanes + l] = acc;
            }
    }

    // No call inside and fully optimized from the first call: the accumulators stay in registers (the on-stack-replacement
    // code that tiering runs first, or a call in the loop nest, makes the JIT spill them at every step).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileVnni256(byte** src, int* tapOffsets, int taps, int groups, int* wblock, int* tile)
    {
        Vector256<int> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default,
            d0 = default, d1 = default, e0 = default, e1 = default, f0 = default, f1 = default;
        byte* s0 = src[0], s1 = src[1], s2 = src[2], s3 = src[3], s4 = src[4], s5 = src[5];
        int* w = wblock;
        for (int t = 0; t < taps; t++)
        {
            int off = tapOffsets[t];
            int* x0 = (int*)(s0 + off), x1 = (int*)(s1 + off), x2 = (int*)(s2 + off),
                x3 = (int*)(s3 + off), x4 = (int*)(s4 + off), x5 = (int*)(s5 + off);
            for (int q = 0; q < groups; q++, w += Lanes)
            {
                var lo = Vector256.Load(w).AsSByte();
                var hi = Vector256.Load(w + 8).AsSByte();
                var v = Vector256.Create(x0[q]).AsByte();
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, v, lo); a1 = AvxVnni.MultiplyWideningAndAdd(a1, v, hi);
                v = Vector256.Create(x1[q]).AsByte();
                b0 = AvxVnni.MultiplyWideningAndAdd(b0, v, lo); b1 = AvxVnni.MultiplyWideningAndAdd(b1, v, hi);
                v = Vector256.Create(x2[q]).AsByte();
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, v, lo); c1 = AvxVnni.MultiplyWideningAndAdd(c1, v, hi);
                v = Vector256.Create(x3[q]).AsByte();
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, v, lo); d1 = AvxVnni.MultiplyWideningAndAdd(d1, v, hi);
                v = Vector256.Create(x4[q]).AsByte();
                e0 = AvxVnni.MultiplyWideningAndAdd(e0, v, lo); e1 = AvxVnni.MultiplyWideningAndAdd(e1, v, hi);
                v = Vector256.Create(x5[q]).AsByte();
                f0 = AvxVnni.MultiplyWideningAndAdd(f0, v, lo); f1 = AvxVnni.MultiplyWideningAndAdd(f1, v, hi);
            }
        }
        a0.Store(tile); a1.Store(tile + 8); b0.Store(tile + 16); b1.Store(tile + 24);
        c0.Store(tile + 32); c1.Store(tile + 40); d0.Store(tile + 48); d1.Store(tile + 56);
        e0.Store(tile + 64); e1.Store(tile + 72); f0.Store(tile + 80); f1.Store(tile + 88);
    }
}
