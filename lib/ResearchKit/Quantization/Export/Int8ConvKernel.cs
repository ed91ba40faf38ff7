using System.Buffers;
using System.Runtime.CompilerServices;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// The int8 path of an exported layer with weight codes of at most 8 bits and activation codes of at most 8 bits:
/// u8 activation codes j × s8 weights (k − zp) by <c>vpdpbusd</c> (<see cref="Int8DirectConv"/> for ungrouped convolutions,
/// <see cref="Int8Gemm"/> over im2col columns per group otherwise), Σ k·j = Σ (k − zp)·j + zp·Σ j.
/// </summary>
/// <remarks>vpdpbusd multiplies unsigned by signed bytes, so the activation codes (0..255) go in as they are and the weight
/// codes are made signed: zp = 0 when every code is ≤ 127 (up to 7-bit weights), 128 for 8-bit codes.</remarks>
internal sealed class Int8ConvKernel : LowBitConvKernel
{
    private readonly int[] _weights; // OutC rows of PaddedDepth(K)/4 words
    private readonly int[] _kOffset; // depth i → its offset inside a column's packed bytes
    private readonly int _zp;
    private readonly int[]? _direct; // Int8DirectConv's packed weights (ungrouped convolutions)

    public Int8ConvKernel(ExportedLayer layer, ActivationGrid grid, int[] codes, int cg, int kh, int kw, ConvGeometry geo)
        : base(layer, grid, cg, kh, kw, geo)
    {
        _zp = codes.Length > 0 && codes.Max() > sbyte.MaxValue ? 128 : 0;
        var s8 = new sbyte[codes.Length];
        for (int i = 0; i < codes.Length; i++) s8[i] = (sbyte)(codes[i] - _zp);
        _weights = Int8Gemm.PackWeights(s8, OutC, K);
        int kp = Int8Gemm.PaddedDepth(K);
        _kOffset = new int[K];
        for (int i = 0; i < K; i++) _kOffset[i] = Int8Gemm.PackedIndex(0, i, kp);
        if (geo.Groups == 1) _direct = Int8DirectConv.PackWeights(s8, OutC, cg, kh, kw);
    }

    /// <summary>
    /// Float activations (count, channels, h, w) on <paramref name="layer"/>'s input grid as NHWC codes with a zero border of
    /// (ph, pw) and channels zero-padded to cp, and each padded pixel's Σ j over its channels; the exact error for an input off
    /// the grid.
    /// </summary>
    internal static void QuantizeToPaddedNhwc(ExportedLayer layer, ReadOnlySpan<float> x, int count, int channels, int h, int w,
        int ph, int pw, int cp, byte[] nhwc, int[] pixelSums)
    {
        var grid = layer.InputGrid!;
        if (cp == channels && ActivationCodes.TryQuantizeToNhwc16(grid, x, count, channels, h, w, ph, pw, nhwc, pixelSums)) return;
        // Any shape.
        var planar = ArrayPool<byte>.Shared.Rent(x.Length);
        try
        {
            ActivationCodes.Quantize(layer, grid, x, planar.AsSpan(0, x.Length));
            ToPaddedNhwc(planar, count, channels, h, w, ph, pw, cp, nhwc, pixelSums);
        }
        finally { ArrayPool<byte>.Shared.Return(planar); }
    }

    // Planar codes (count, channels, h, w) into NHWC with a zero border of (ph, pw) and channels zero-padded to cp, and each padded
    // pixel's Σ j over its channels. Read by channel planes, written with stride cp: every byte of a plane is read once.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToPaddedNhwc(byte[] planar, int count, int channels, int h, int w, int ph, int pw, int cp, byte[] nhwc, int[] pixelSums)
    {
        int hp = h + 2 * ph, wp = w + 2 * pw, hw = h * w;
        nhwc.AsSpan(0, count * hp * wp * cp).Clear();
        pixelSums.AsSpan(0, count * hp * wp).Clear();
        for (int img = 0; img < count; img++)
            for (int c = 0; c < channels; c++)
            {
                var src = planar.AsSpan((img * channels + c) * hw, hw);
                for (int iy = 0; iy < h; iy++)
                {
                    int pix = (img * hp + iy + ph) * wp + pw;
                    var row = src.Slice(iy * w, w);
                    for (int ix = 0; ix < row.Length; ix++)
                    {
                        byte v = row[ix];
                        nhwc[(pix + ix) * cp + c] = v;
                        pixelSums[pix + ix] += v;
                    }
                }
            }
    }

    /// <summary>Images per parallel chunk of the direct path: enough pixels for whole tiles, and the chunk's codes and sums in cache.</summary>
    private const int DirectChunkPixels = 2048;

    /// <summary>
    /// Ungrouped convolutions run <see cref="Int8DirectConv"/> on the codes laid out NHWC with the zero padding in place (no
    /// im2col); Σ j of each output pixel is the sum, over the taps, of the per-pixel channel sums. Grouped ones take the packed
    /// im2col path of the base class.
    /// </summary>
    public override void Run(ReadOnlySpan<float> x, int n, int h, int w, int oh, int ow, Span<float> y)
    {
        if (_direct is null) { base.Run(x, n, h, w, oh, ow, y); return; }
        var (ph, pw) = Geo.Padding;
        int hp = h + 2 * ph, wp = w + 2 * pw, cp = Int8DirectConv.PaddedChannels(Cg), p = oh * ow;
        ForImageChunks(x, y, n, Cg * h * w, p, DirectChunkPixels, (count, xs, ys) =>
        {
            // Scratch from the shared pools: a fresh multi-megabyte array per chunk and layer is large-object garbage.
            var nhwc = ArrayPool<byte>.Shared.Rent(count * hp * wp * cp);
            var pixelSums = ArrayPool<int>.Shared.Rent(count * hp * wp);
            var sumJ = ArrayPool<int>.Shared.Rent(count * p);
            var acc = ArrayPool<int>.Shared.Rent(count * OutC * p);
            try
            {
                QuantizeToPaddedNhwc(Layer, xs, count, Cg, h, w, ph, pw, cp, nhwc, pixelSums);
                TapSums(pixelSums, count, hp, wp, oh, ow, sumJ);
                Int8DirectConv.Multiply(nhwc, count, hp, wp, Cg, _direct, OutC, Kh, Kw, (Geo.Stride.H, Geo.Stride.W), (Geo.Dilation.H, Geo.Dilation.W), oh, ow, acc);
                RecoverImageMajor(acc, sumJ, count, p, ys);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(nhwc);
                ArrayPool<int>.Shared.Return(pixelSums); ArrayPool<int>.Shared.Return(sumJ); ArrayPool<int>.Shared.Return(acc);
            }
        });
    }

    /// <summary>Whether this layer can take the int8 path: ≤ 8-bit weights and activations, and int32 sums (as IntegerMac's int32 case).</summary>
    public static bool Supports(ExportedLayer layer, ActivationGrid grid, int k) =>
        layer.Bits <= 8 && grid.Levels <= 256 && k <= Int8Gemm.MaxDepth
        && (long)k * ((1L << layer.Bits) - 1) * (grid.Levels - 1) <= int.MaxValue;

    protected override int ZeroPoint => _zp;

    /// <summary><see cref="Int8DirectConv"/>'s packed weights (ungrouped convolutions), or null.</summary>
    internal int[]? DirectWeights => _direct;

    /// <summary>The weight zero point (0 or 128).</summary>
    internal int WeightZeroPoint => _zp;

    protected override object CreateWorkspace(int count, int cols, int h, int w) => new byte[Int8Gemm.PackedColumnsLength(cols, K)];

    protected override void Multiply(byte[] codes, int count, int g, int h, int w, int oh, int ow, object workspace, int[] acc, int[] sumJ)
    {
        var packed = (byte[])workspace;
        Array.Clear(packed); // padding (zero-padded pixels, depth and column padding) is code 0
        int kp = Int8Gemm.PaddedDepth(K), cin = Cg * Geo.Groups, hw = h * w;
        var (sh, sw) = Geo.Stride; var (ph, pw) = Geo.Padding; var (dh, dw) = Geo.Dilation;
        int col = 0;
        for (int img = 0; img < count; img++)
            for (int yy = 0; yy < oh; yy++)
                for (int xx = 0; xx < ow; xx++, col++)
                {
                    int bas = Int8Gemm.PackedIndex(col, 0, kp), s = 0, ki = 0;
                    for (int c = 0; c < Cg; c++)
                    {
                        int plane = (img * cin + g * Cg + c) * hw;
                        for (int a = 0; a < Kh; a++)
                        {
                            int iy = yy * sh - ph + a * dh;
                            if ((uint)iy >= (uint)h) { ki += Kw; continue; }
                            int row = plane + iy * w;
                            for (int e = 0; e < Kw; e++, ki++)
                            {
                                int ix = xx * sw - pw + e * dw;
                                if ((uint)ix >= (uint)w) continue;
                                byte v = codes[row + ix];
                                packed[bas + _kOffset[ki]] = v;
                                s += v;
                            }
                        }
                    }
                    sumJ[col] = s;
                }
        int kq = kp / 4;
        Int8Gemm.Multiply(Og, col, K, _weights.AsSpan(g * Og * kq, Og * kq), packed, acc, col);
    }
}
