using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// The int8 path of an exported layer with weight codes of at most 8 bits and activation codes of at most 8 bits:
/// u8 activation codes j × s8 weights (k − zp) by <see cref="Int8Gemm"/> (<c>vpdpbusd</c>), Σ k·j = Σ (k − zp)·j + zp·Σ j.
/// </summary>
/// <remarks>vpdpbusd multiplies unsigned by signed bytes, so the activation codes (0..255) go in as they are and the weight
/// codes are made signed: zp = 0 when every code is ≤ 127 (up to 7-bit weights), 128 for 8-bit codes.</remarks>
internal sealed class Int8ConvKernel : LowBitConvKernel
{
    private readonly int[] _weights; // OutC rows of PaddedDepth(K)/4 words
    private readonly int[] _kOffset; // depth i → its offset inside a column's packed bytes
    private readonly int _zp;

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
    }

    /// <summary>Whether this layer can take the int8 path: ≤ 8-bit weights and activations, and int32 sums (as IntegerMac's int32 case).</summary>
    public static bool Supports(ExportedLayer layer, ActivationGrid grid, int k) =>
        layer.Bits <= 8 && grid.Levels <= 256 && k <= Int8Gemm.MaxDepth
        && (long)k * ((1L << layer.Bits) - 1) * (grid.Levels - 1) <= int.MaxValue;

    protected override int ZeroPoint => _zp;

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
