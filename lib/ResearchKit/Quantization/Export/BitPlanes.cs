using System.Numerics;
using System.Runtime.Intrinsics;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// A batch of b-bit activation codes held as bit-planes, the layout a binary convolution reads without im2col: per image,
/// <c>planes × words</c> planes of <c>(h + 2·pad) × (w + 2·pad)</c> 64-bit words, word q of a pixel holding bit t of the codes
/// of channels 64q..64q + 63 (bit c mod 64), the zero padding in place; and each padded pixel's Σ of codes over its channels
/// (the Σ j a binary layer's recovery needs). One bit per activation and plane: 32·planes⁻¹ times smaller than floats.
/// </summary>
/// <remarks>See <see cref="BinaryDirectConv"/> for the layout (<c>X[((n·planes + t)·words + q)·hp·wp + y·wp + x]</c>).</remarks>
public sealed class BitPlanes
{
    /// <summary>Zero codes of n images of <paramref name="channels"/> channels, h × w pixels, b = <paramref name="planes"/> bits, with a
    /// zero border of <paramref name="pad"/> pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range (planes 1 to 8, pad ≥ 0, the others ≥ 1).</exception>
    public BitPlanes(int n, int planes, int channels, int h, int w, int pad)
    {
        if (n < 1 || planes < 1 || planes > 8 || channels < 1 || h < 1 || w < 1 || pad < 0)
            throw new ArgumentOutOfRangeException(nameof(n), $"BitPlanes: bad shape n={n}, planes={planes}, channels={channels}, {h}×{w}, pad {pad} (planes 1 to 8, pad ≥ 0, the others ≥ 1).");
        (N, Planes, Channels, H, W, Pad) = (n, planes, channels, h, w, pad);
        Bits = new ulong[(long)n * planes * Words * Hp * Wp];
        PixelSums = new int[(long)n * Hp * Wp];
    }

    /// <summary>Images.</summary>
    public int N { get; }

    /// <summary>Bits per code (b).</summary>
    public int Planes { get; }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Rows, without the border.</summary>
    public int H { get; }

    /// <summary>Columns, without the border.</summary>
    public int W { get; }

    /// <summary>Zero border on every side, in pixels.</summary>
    public int Pad { get; }

    /// <summary>64-bit words per pixel and plane: ⌈channels/64⌉.</summary>
    public int Words => BinaryDirectConv.Words(Channels);

    /// <summary>Padded rows.</summary>
    public int Hp => H + 2 * Pad;

    /// <summary>Padded columns.</summary>
    public int Wp => W + 2 * Pad;

    /// <summary>Bytes of the bit-planes (the pixel sums not counted).</summary>
    public long Bytes => Bits.LongLength * sizeof(ulong);

    /// <summary>The planes, <c>[((n·planes + t)·words + q)·hp·wp + y·wp + x]</c>.</summary>
    internal ulong[] Bits { get; }

    /// <summary>Each padded pixel's Σ of codes, <c>[(n·hp + y)·wp + x]</c> (0 on the border).</summary>
    internal int[] PixelSums { get; }

    /// <summary>Bit-planes of NCHW codes (each below 2^<paramref name="planes"/>).</summary>
    /// <exception cref="ArgumentException">Too few codes, or a code needs more than <paramref name="planes"/> bits.</exception>
    public static BitPlanes FromCodes(ReadOnlySpan<byte> codes, int n, int channels, int h, int w, int planes, int pad)
    {
        var x = new BitPlanes(n, planes, channels, h, w, pad);
        if (codes.Length < (long)n * channels * h * w)
            throw new ArgumentException($"BitPlanes.FromCodes: {codes.Length} codes for {n}×{channels}×{h}×{w}.", nameof(codes));
        int over = codes[..(n * channels * h * w)].IndexOfAnyExceptInRange((byte)0, (byte)((1 << planes) - 1));
        if (over >= 0)
            throw new ArgumentException($"BitPlanes.FromCodes: code {codes[over]} at {over} needs more than {planes} bits; pass more planes.", nameof(codes));
        Write(codes, n, channels, h, w, planes, pad, pad, x.Bits, x.PixelSums);
        return x;
    }

    /// <summary>The codes as NCHW bytes.</summary>
    public byte[] ToCodes()
    {
        var codes = new byte[N * Channels * H * W];
        long planeLen = (long)Hp * Wp;
        for (int img = 0; img < N; img++)
            for (int c = 0; c < Channels; c++)
                for (int t = 0; t < Planes; t++)
                {
                    var plane = Bits.AsSpan((int)(((long)(img * Planes + t) * Words + (c >> 6)) * planeLen), (int)planeLen);
                    for (int y = 0; y < H; y++)
                        for (int x = 0; x < W; x++)
                            codes[((img * Channels + c) * H + y) * W + x] |= (byte)(((plane[(y + Pad) * Wp + x + Pad] >> (c & 63)) & 1) << t);
                }
        return codes;
    }

    /// <summary>Each pixel's Σ of codes over its channels, n × h × w (the border left out).</summary>
    public int[] PixelCodeSums()
    {
        var s = new int[N * H * W];
        for (int img = 0; img < N; img++)
            for (int y = 0; y < H; y++)
                PixelSums.AsSpan((img * Hp + y + Pad) * Wp + Pad, W).CopyTo(s.AsSpan((img * H + y) * W, W));
        return s;
    }

    /// <summary>
    /// Planar codes (n, c, h, w) into the word-planar planes <paramref name="bits"/> (zero border in place) and
    /// each padded pixel's Σ of codes (borders of <paramref name="ph"/> rows and <paramref name="pw"/> columns): per 64 pixels and 64 channels, one byte-lane move mask per channel gives the pixels' bits
    /// of plane t, and a 64×64 bit transpose turns them into the channels' bits of each pixel.
    /// </summary>
    internal static void Write(ReadOnlySpan<byte> planar, int n, int channels, int h, int w, int planes, int ph, int pw, Span<ulong> bits, Span<int> pixelSums)
    {
        int hp = h + 2 * ph, wp = w + 2 * pw, hw = h * w, planeLen = hp * wp, cw = BinaryDirectConv.Words(channels);
        bits[..(n * planes * cw * planeLen)].Clear();
        pixelSums[..(n * planeLen)].Clear();
        Span<ulong> m = stackalloc ulong[64];
        Span<byte> tail = stackalloc byte[64];
        for (int img = 0; img < n; img++)
            for (int t = 0; t < planes; t++)
                for (int q = 0; q < cw; q++)
                {
                    var plane = bits.Slice(((img * planes + t) * cw + q) * planeLen, planeLen);
                    for (int pix0 = 0; pix0 < hw; pix0 += 64)
                    {
                        int len = Math.Min(64, hw - pix0);
                        // Row c of m: bit i = bit t of channel (64q + c)'s code at pixel pix0 + i.
                        for (int c = 0; c < 64; c++)
                        {
                            int ch = q * 64 + c;
                            if (ch >= channels) { m[c] = 0; continue; }
                            var src = planar.Slice((img * channels + ch) * hw + pix0, len);
                            Vector512<byte> v;
                            if (len == 64) v = Vector512.Create<byte>(src);
                            else { tail.Clear(); src.CopyTo(tail); v = Vector512.Create<byte>(tail); }
                            m[c] = Vector512.ExtractMostSignificantBits(v << (7 - t));
                        }
                        Transpose64(m);
                        for (int i = 0; i < len; i++)
                        {
                            int pix = pix0 + i, at = (pix / w + ph) * wp + pix % w + pw;
                            plane[at] = m[i];
                            pixelSums[img * planeLen + at] += BitOperations.PopCount(m[i]) << t;
                        }
                    }
                }
    }

    /// <summary>In place: bit c of a[r] becomes bit r of a[c] (a 64×64 bit matrix, least significant bit first), by swapping
    /// off-diagonal blocks of 32, 16, …, 1.</summary>
    internal static unsafe void Transpose64(Span<ulong> a)
    {
        if (a.Length < 64) throw new ArgumentException("Transpose64 needs 64 words.", nameof(a));
        fixed (ulong* p = a) Transpose64(p);
    }

    /// <summary><see cref="Transpose64(Span{ulong})"/> on 64 words at <paramref name="a"/>.</summary>
    internal static unsafe void Transpose64(ulong* a)
    {
        ulong mask = 0x00000000FFFFFFFFUL;
        for (int j = 32; j != 0; j >>= 1, mask ^= mask << j)
            for (int k = 0; k < 64; k = ((k | j) + 1) & ~j)
            {
                ulong t = ((a[k] >> j) ^ a[k | j]) & mask;
                a[k] ^= t << j;
                a[k | j] ^= t;
            }
    }
}
