using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// The fast integer path of an exported convolution (a linear layer is a 1×1 convolution on 1×1 images) whose input lies on
/// a grid: activation codes as bytes, then per chunk of images an exact integer product (ungrouped convolutions directly on
/// the codes, <see cref="Int8DirectConv"/> and <see cref="BinaryDirectConv"/>; grouped ones per group by im2col into a packed
/// operand, <see cref="Int8Gemm"/> and <see cref="BinaryGemm"/>), and the
/// float recovery y = s_a·s_w·Σ k·j + f_w·s_a·Σ j + b of <see cref="IntegerMac"/>, evaluated with the same double operations in
/// the same order so that the output equals the reference path bit for bit.
/// </summary>
internal abstract class LowBitConvKernel
{
    protected LowBitConvKernel(ExportedLayer layer, ActivationGrid grid, int cg, int kh, int kw, ConvGeometry geo)
    {
        Layer = layer; Grid = grid; Cg = cg; Kh = kh; Kw = kw; Geo = geo;
        OutC = layer.OutChannels; Og = OutC / geo.Groups; K = cg * kh * kw;
        _c1 = new double[OutC]; _c2 = new double[OutC]; _b = new double[OutC];
        double sa = grid.Step;
        for (int o = 0; o < OutC; o++)
        {
            int g = layer.GroupOf(o);
            double sw = layer.Step[g], fw = layer.First[g];
            // IntegerMac evaluates sa * sw * acc + fw * sa * sumJ + b left to right: (sa·sw)·acc + (fw·sa)·sumJ, then + b.
            _c1[o] = sa * sw; _c2[o] = fw * sa; _b[o] = layer.Bias?[o] ?? 0f;
        }
    }

    private readonly double[] _c1, _c2, _b;

    /// <summary>The recovery's constants of output channel o: y = c1·(acc + zp·Σj) + c2·Σj + b, in double, left to right.</summary>
    internal (double C1, double C2, double B) Recovery(int o) => (_c1[o], _c2[o], _b[o]);

    /// <summary>The exported layer this kernel runs.</summary>
    internal ExportedLayer Layer { get; }
    /// <summary>The grid of the layer's input codes.</summary>
    internal ActivationGrid Grid { get; }
    /// <summary>Stride, padding, dilation and groups.</summary>
    internal ConvGeometry Geo { get; }
    /// <summary>Input channels per group.</summary>
    internal int Cg { get; }
    /// <summary>Kernel rows.</summary>
    internal int Kh { get; }
    /// <summary>Kernel columns.</summary>
    internal int Kw { get; }
    /// <summary>Output channels.</summary>
    internal int OutC { get; }
    protected int Og { get; }
    protected int K { get; }

    /// <summary>Columns a chunk aims at: enough for full panels and parallel chunks, small enough for the packed operand to stay in cache.</summary>
    private const int ChunkColumns = 2048;

    /// <summary>Runs the layer on n images (n, cg·groups, h, w) into y (n, outC, oh, ow).</summary>
    public virtual void Run(ReadOnlySpan<float> x, int n, int h, int w, int oh, int ow, Span<float> y)
    {
        int p = oh * ow;
        ForImageChunks(x, y, n, Cg * Geo.Groups * h * w, p, ChunkColumns, (count, xs, ys) =>
        {
            var codes = new byte[xs.Length];
            ActivationCodes.Quantize(Layer, Grid, xs, codes);
            int cols = count * p;
            var acc = new int[Og * cols];
            var sumJ = new int[cols];
            var ws = CreateWorkspace(count, cols, h, w);
            for (int g = 0; g < Geo.Groups; g++)
            {
                Multiply(codes, count, g, h, w, oh, ow, ws, acc, sumJ);
                Recover(acc, sumJ, count, p, g, ys);
            }
        });
    }

    /// <summary>One chunk of images: their count, their input and their output.</summary>
    protected delegate void ImageChunk(int count, ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// Runs <paramref name="body"/> over chunks of whole images in parallel: about <paramref name="targetPixels"/> output pixels
    /// each (enough for whole tiles, small enough for a chunk's codes to stay in cache), at least one chunk per thread.
    /// </summary>
    protected unsafe void ForImageChunks(ReadOnlySpan<float> x, Span<float> y, int n, int inPerImage, int p, int targetPixels, ImageChunk body)
    {
        int outPerImage = OutC * p;
        int imgs = Math.Clamp(targetPixels / p, 1, Math.Max(1, (n + Parallelism.Threads - 1) / Parallelism.Threads));
        int chunks = (n + imgs - 1) / imgs;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            nint xp = (nint)px, yp = (nint)py;
            Parallelism.For(chunks, ch =>
            {
                int i0 = ch * imgs, count = Math.Min(imgs, n - i0);
                body(count, new ReadOnlySpan<float>((float*)xp + (long)i0 * inPerImage, count * inPerImage),
                    new Span<float>((float*)yp + (long)i0 * outPerImage, count * outPerImage));
            });
        }
    }

    /// <summary>Per-chunk scratch for <see cref="Multiply"/>.</summary>
    protected abstract object CreateWorkspace(int count, int cols, int h, int w);

    /// <summary>acc[o·cols + c] (o &lt; Og) = the raw integer sum of group g's output channel o at column c (image-major, then
    /// output pixel), and sumJ[c] = Σ j over the column, such that Σ k·j = acc + <see cref="ZeroPoint"/>·sumJ.</summary>
    protected abstract void Multiply(byte[] codes, int count, int g, int h, int w, int oh, int ow, object workspace, int[] acc, int[] sumJ);

    /// <summary>The weight offset taken out of the codes (signed weights k − zp); the sum is Σ (k − zp)·j + zp·Σ j.</summary>
    protected virtual int ZeroPoint => 0;

    /// <summary>Σ j of each output pixel of the direct paths: the sum, over the kernel's taps, of the per-pixel channel sums of
    /// the padded input (count × hp × wp), into sumJ (count × oh × ow).</summary>
    protected void TapSums(ReadOnlySpan<int> pixelSums, int count, int hp, int wp, int oh, int ow, Span<int> sumJ)
    {
        var (sh, sw) = Geo.Stride; var (dh, dw) = Geo.Dilation;
        for (int img = 0; img < count; img++)
            for (int oy = 0; oy < oh; oy++)
            {
                var dst = sumJ.Slice((img * oh + oy) * ow, ow);
                for (int a = 0; a < Kh; a++)
                {
                    int row = (img * hp + oy * sh + a * dh) * wp;
                    for (int e = 0; e < Kw; e++)
                    {
                        int start = row + e * dw;
                        if (sw == 1)
                        {
                            // Contiguous taps: one vectorized copy or add per row (integer sums, exact in any order).
                            var src = pixelSums.Slice(start, ow);
                            if (a == 0 && e == 0) src.CopyTo(dst);
                            else TensorPrimitives.Add(dst, src, dst);
                        }
                        else if (a == 0 && e == 0) { for (int ox = 0; ox < ow; ox++) dst[ox] = pixelSums[start + ox * sw]; }
                        else for (int ox = 0; ox < ow; ox++) dst[ox] += pixelSums[start + ox * sw];
                    }
                }
            }
    }

    /// <summary>
    /// y[img, o, ·] = s_a·s_w·(acc + zp·Σ j) + f_w·s_a·Σ j + b for acc laid out as the output, [img][o][pixel], and sumJ as
    /// [img][pixel]: the same double operations, in the same order, as <see cref="IntegerMac"/>.
    /// </summary>
    protected void RecoverImageMajor(ReadOnlySpan<int> acc, ReadOnlySpan<int> sumJ, int count, int p, Span<float> y)
    {
        for (int img = 0; img < count; img++)
            for (int o = 0; o < OutC; o++)
                RecoverRow(acc.Slice((img * OutC + o) * p, p), sumJ.Slice(img * p, p), _c1[o], _c2[o], _b[o], ZeroPoint, y.Slice((img * OutC + o) * p, p));
    }

    private static void RecoverRow(ReadOnlySpan<int> aa, ReadOnlySpan<int> sj, double c1, double c2, double b, int zp, Span<float> dst)
    {
        int i = 0, p = dst.Length;
        if (Avx.IsSupported)
        {
            var v1 = Vector256.Create(c1); var v2 = Vector256.Create(c2); var vb = Vector256.Create(b);
            var vz = Vector128.Create(zp);
            for (; i + 4 <= p; i += 4)
            {
                var s = Vector128.Create(sj.Slice(i, 4));
                // The exact Σ k·j fits int32 (the kernel is chosen only then), so the wrap-around int32 sum is exact.
                var t = Vector128.Create(aa.Slice(i, 4)) + vz * s;
                var r = v1 * Avx.ConvertToVector256Double(t) + v2 * Avx.ConvertToVector256Double(s) + vb;
                Avx.ConvertToVector128Single(r).CopyTo(dst.Slice(i, 4));
            }
        }
        for (; i < p; i++)
            dst[i] = (float)(c1 * (double)(aa[i] + zp * sj[i]) + c2 * (double)sj[i] + b);
    }

    private void Recover(int[] acc, int[] sumJ, int count, int p, int g, Span<float> y)
    {
        int cols = count * p;
        for (int oi = 0; oi < Og; oi++)
        {
            int o = g * Og + oi;
            var a = acc.AsSpan(oi * cols, cols);
            for (int img = 0; img < count; img++)
                RecoverRow(a.Slice(img * p, p), sumJ.AsSpan(img * p, p), _c1[o], _c2[o], _b[o], ZeroPoint, y.Slice((img * OutC + o) * p, p));
        }
    }
}
