using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// The binary path of an exported layer with 1-bit weight codes and b-bit activation codes (b ≤ <see cref="MaxPlanes"/>):
/// the activations as b bit-planes, Σ k·j = Σ_t 2^t·popcount(k AND plane_t) by <see cref="BinaryDirectConv"/> (ungrouped) or
/// <see cref="BinaryGemm"/> over im2col columns (grouped).
/// </summary>
/// <remarks>
/// The depth is ordered (kernel row, kernel column, channel) instead of the weight's (channel, row, column), so that the
/// channels of one input pixel are whole 64-bit words (⌈C/64⌉ per pixel, zero-filled above C): im2col then copies words
/// instead of bits, and a zero-padded pixel is a zero word (code 0 in every plane).
/// </remarks>
internal sealed class BinaryConvKernel : LowBitConvKernel
{
    /// <summary>Most activation bits taken as bit-planes; above, b popcount passes cost more than the int8 path.</summary>
    public const int MaxPlanes = 4;

    private readonly ulong[] _weights; // OutC rows of _words words
    private readonly int _cw, _words, _planes;

    public BinaryConvKernel(ExportedLayer layer, ActivationGrid grid, int[] codes, int cg, int kh, int kw, ConvGeometry geo)
        : base(layer, grid, cg, kh, kw, geo)
    {
        _planes = grid.Bits; _cw = (cg + 63) / 64; _words = kh * kw * _cw;
        _weights = new ulong[OutC * _words];
        for (int o = 0; o < OutC; o++)
            for (int c = 0; c < cg; c++)
                for (int a = 0; a < kh; a++)
                    for (int e = 0; e < kw; e++)
                        if (codes[((o * cg + c) * kh + a) * kw + e] != 0)
                            _weights[o * _words + (a * kw + e) * _cw + (c >> 6)] |= 1UL << (c & 63);
    }

    /// <summary>Images per parallel chunk of the direct path.</summary>
    private const int DirectChunkPixels = 2048;

    /// <summary>
    /// Ungrouped convolutions run <see cref="BinaryDirectConv"/> on word-planar bit-planes with the zero padding in place (no
    /// im2col): per 64 pixels and 64 channels, one byte-lane move mask per channel gives the pixels' bits, and a 64×64 bit
    /// transpose turns them into the channels' bits of each pixel. Σ j of an output pixel is the sum over the taps of the
    /// per-pixel Σ_t 2^t·popcount. Grouped convolutions take the packed im2col path of the base class.
    /// </summary>
    public override void Run(ReadOnlySpan<float> x, int n, int h, int w, int oh, int ow, Span<float> y)
    {
        if (Geo.Groups != 1) { base.Run(x, n, h, w, oh, ow, y); return; }
        var (ph, pw) = Geo.Padding;
        int hp = h + 2 * ph, wp = w + 2 * pw, p = oh * ow;
        ForImageChunks(x, y, n, Cg * h * w, p, DirectChunkPixels, (count, xs, ys) =>
        {
            var planar = ArrayPool<byte>.Shared.Rent(xs.Length);
            var bits = ArrayPool<ulong>.Shared.Rent(count * _planes * _cw * hp * wp);
            var pixelSums = ArrayPool<int>.Shared.Rent(count * hp * wp);
            var sumJ = ArrayPool<int>.Shared.Rent(count * p);
            var acc = ArrayPool<int>.Shared.Rent(count * OutC * p);
            try
            {
                ActivationCodes.Quantize(Layer, Grid, xs, planar.AsSpan(0, xs.Length));
                BitPlanes.Write(planar.AsSpan(0, xs.Length), count, Cg, h, w, _planes, ph, pw, bits, pixelSums);
                TapSums(pixelSums, count, hp, wp, oh, ow, sumJ);
                BinaryDirectConv.Multiply(bits, count, _planes, hp, wp, Cg, _weights, OutC, Kh, Kw, (Geo.Stride.H, Geo.Stride.W), (Geo.Dilation.H, Geo.Dilation.W), oh, ow, acc);
                RecoverImageMajor(acc, sumJ, count, p, ys);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(planar); ArrayPool<ulong>.Shared.Return(bits);
                ArrayPool<int>.Shared.Return(pixelSums); ArrayPool<int>.Shared.Return(sumJ); ArrayPool<int>.Shared.Return(acc);
            }
        });
    }

    /// <summary>Bits of the input codes (bit-planes read).</summary>
    internal int Planes => _planes;

    /// <summary>
    /// The exact sums of images i0..i0 + count − 1 of <paramref name="x"/> (bit-planes whose border is this layer's padding):
    /// acc[(i·OutC + o)·oh·ow + pixel] = Σ k·j and sumJ[i·oh·ow + pixel] = Σ j, the values <see cref="Run"/> recovers floats from.
    /// </summary>
    internal void MultiplyPlanes(BitPlanes x, int i0, int count, int oh, int ow, Span<int> acc, Span<int> sumJ)
    {
        int planeLen = x.Hp * x.Wp, perImage = _planes * _cw * planeLen;
        TapSums(x.PixelSums.AsSpan(i0 * planeLen, count * planeLen), count, x.Hp, x.Wp, oh, ow, sumJ);
        BinaryDirectConv.Multiply(x.Bits.AsSpan(i0 * perImage, count * perImage), count, _planes, x.Hp, x.Wp, Cg, _weights, OutC, Kh, Kw,
            (Geo.Stride.H, Geo.Stride.W), (Geo.Dilation.H, Geo.Dilation.W), oh, ow, acc);
    }

    /// <summary>Whether this layer can take the binary path: 1-bit weights, at most <see cref="MaxPlanes"/>-bit activations.</summary>
    public static bool Supports(ExportedLayer layer, ActivationGrid grid) => layer.Bits == 1 && grid.Bits <= MaxPlanes;

    private sealed record Workspace(ulong[] Bits, ulong[] Packed);

    protected override object CreateWorkspace(int count, int cols, int h, int w) =>
        new Workspace(new ulong[count * _planes * h * w * _cw], new ulong[BinaryGemm.PackedColumnsLength(cols, _words, _planes)]);

    protected override void Multiply(byte[] codes, int count, int g, int h, int w, int oh, int ow, object workspace, int[] acc, int[] sumJ)
    {
        var (bits, packed) = (Workspace)workspace;
        Array.Clear(bits);
        Array.Clear(packed);
        int cin = Cg * Geo.Groups, hw = h * w;
        // Channel-packed bit-planes: bits[((img·planes + t)·hw + pixel)·cw + c/64], bit c mod 64 = bit t of the code.
        for (int img = 0; img < count; img++)
            for (int c = 0; c < Cg; c++)
            {
                var src = codes.AsSpan((img * cin + g * Cg + c) * hw, hw);
                int word = c >> 6;
                ulong bit = 1UL << (c & 63);
                for (int t = 0; t < _planes; t++)
                {
                    int bas = (img * _planes + t) * hw * _cw + word;
                    for (int i = 0; i < hw; i++)
                        if (((src[i] >> t) & 1) != 0) bits[bas + i * _cw] |= bit;
                }
            }
        var (sh, sw) = Geo.Stride; var (ph, pw) = Geo.Padding; var (dh, dw) = Geo.Dilation;
        int col = 0;
        for (int img = 0; img < count; img++)
            for (int yy = 0; yy < oh; yy++)
                for (int xx = 0; xx < ow; xx++, col++)
                {
                    long s = 0;
                    for (int t = 0; t < _planes; t++)
                    {
                        int planeBase = (img * _planes + t) * hw;
                        long st = 0;
                        for (int a = 0; a < Kh; a++)
                        {
                            int iy = yy * sh - ph + a * dh;
                            if ((uint)iy >= (uint)h) continue;
                            for (int e = 0; e < Kw; e++)
                            {
                                int ix = xx * sw - pw + e * dw;
                                if ((uint)ix >= (uint)w) continue;
                                int src = (planeBase + iy * w + ix) * _cw, dstW = (a * Kw + e) * _cw;
                                for (int q = 0; q < _cw; q++)
                                {
                                    ulong v = bits[src + q];
                                    packed[BinaryGemm.PackedIndex(col, t, dstW + q, _words, _planes)] = v;
                                    st += BitOperations.PopCount(v);
                                }
                            }
                        }
                        s += st << t;
                    }
                    sumJ[col] = (int)s;
                }
        BinaryGemm.Multiply(Og, col, _words, _planes, _weights.AsSpan(g * Og * _words, Og * _words), packed, acc, col);
    }
}
