using System.Numerics;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// The binary path of an exported layer with 1-bit weight codes and b-bit activation codes (b ≤ <see cref="MaxPlanes"/>):
/// the activations as b bit-planes, Σ k·j = Σ_t 2^t·popcount(k AND plane_t) by <see cref="BinaryGemm"/>.
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
