using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// im2col / col2im (PyTorch's <c>F.unfold</c> / <c>F.fold</c>) for one image of a convolution, restricted to a band
/// of output rows so callers can keep the column buffer cache-sized.
/// </summary>
/// <remarks>
/// The column matrix of output rows <c>[oh0, oh1)</c> is row-major <c>[channels·KH·KW, (oh1 − oh0)·OutW]</c>:
/// row <c>(c·KH + kh)·KW + kw</c>, column <c>(oh − oh0)·OutW + ow</c> holds
/// <c>image[c, oh·StrideH − PadH + kh·DilationH, ow·StrideW − PadW + kw·DilationW]</c>, or 0 inside the padding.
/// Rows are <c>ldCol</c> floats apart (default: dense), so several images can share one wide column matrix.
/// </remarks>
public static class Im2Col
{
    /// <summary>im2col: writes the column matrix of output rows <c>[oh0, oh1)</c> (every element is written).</summary>
    /// <param name="g">Convolution geometry (spatial sizes, kernel, stride, padding, dilation).</param>
    /// <param name="image">One image's channels, <c>[channels, H, W]</c>.</param>
    /// <param name="channels">Channels to unfold (usually <see cref="Conv2dGeometry.GroupC"/>).</param>
    /// <param name="oh0">First output row.</param>
    /// <param name="oh1">One past the last output row.</param>
    /// <param name="col">Destination matrix, <c>channels·KH·KW</c> rows of <c>(oh1 − oh0)·OutW</c> columns.</param>
    /// <param name="ldCol">Distance between column-matrix rows; 0 means <c>(oh1 − oh0)·OutW</c> (dense).</param>
    /// <exception cref="ArgumentException">Row range, leading dimension or span lengths do not match the geometry.</exception>
    public static void Unfold(in Conv2dGeometry g, ReadOnlySpan<float> image, int channels, int oh0, int oh1, Span<float> col, int ldCol = 0)
    {
        int cols = Check(nameof(Unfold), g, image.Length, channels, oh0, oh1, col.Length, ref ldCol);
        if (cols == 0) return;
        int rowIndex = 0;
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = image.Slice(c * g.H * g.W, g.H * g.W);
            for (int kh = 0; kh < g.KH; kh++)
            {
                int offH = kh * g.DilationH - g.PadH;
                for (int kw = 0; kw < g.KW; kw++, rowIndex++)
                {
                    int offW = kw * g.DilationW - g.PadW;
                    ValidColumns(offW, g.StrideW, g.W, g.OutW, out int owLo, out int owHi);
                    Span<float> dstRow = col.Slice(rowIndex * ldCol, cols);
                    for (int oh = oh0; oh < oh1; oh++)
                    {
                        Span<float> dst = dstRow.Slice((oh - oh0) * g.OutW, g.OutW);
                        int ih = oh * g.StrideH + offH;
                        if ((uint)ih >= (uint)g.H || owLo == owHi)
                        {
                            dst.Clear();
                            continue;
                        }
                        dst[..owLo].Clear();
                        dst[owHi..].Clear();
                        ReadOnlySpan<float> src = plane.Slice(ih * g.W, g.W);
                        if (g.StrideW == 1)
                        {
                            src.Slice(owLo + offW, owHi - owLo).CopyTo(dst[owLo..owHi]);
                        }
                        else
                        {
                            // Strided gather: bounds were established by ValidColumns, so skip per-element checks.
                            ref float s = ref MemoryMarshal.GetReference(src);
                            ref float d = ref MemoryMarshal.GetReference(dst);
                            int sw = g.StrideW;
                            for (int ow = owLo; ow < owHi; ow++)
                                Unsafe.Add(ref d, ow) = Unsafe.Add(ref s, ow * sw + offW);
                        }
                    }
                }
            }
        }
    }

    /// <summary>col2im: adds the column matrix of output rows <c>[oh0, oh1)</c> back into the image (accumulates; clear first to overwrite).</summary>
    /// <param name="g">Convolution geometry.</param>
    /// <param name="col">Column matrix, <c>channels·KH·KW</c> rows of <c>(oh1 − oh0)·OutW</c> columns.</param>
    /// <param name="channels">Channels to fold.</param>
    /// <param name="oh0">First output row.</param>
    /// <param name="oh1">One past the last output row.</param>
    /// <param name="image">Destination image, <c>[channels, H, W]</c>, accumulated into; padding entries are dropped.</param>
    /// <param name="ldCol">Distance between column-matrix rows; 0 means <c>(oh1 − oh0)·OutW</c> (dense).</param>
    /// <exception cref="ArgumentException">Row range, leading dimension or span lengths do not match the geometry.</exception>
    public static void FoldAdd(in Conv2dGeometry g, ReadOnlySpan<float> col, int channels, int oh0, int oh1, Span<float> image, int ldCol = 0)
    {
        int cols = Check(nameof(FoldAdd), g, image.Length, channels, oh0, oh1, col.Length, ref ldCol);
        if (cols == 0) return;
        int rowIndex = 0;
        // Stride 2: a row of sources is spread over every other destination, so it is interleaved with −0 (x + −0 = x for every
        // x, signed zeros included) and added as one contiguous segment: the same additions in the same order, vectorized.
        // Only for long rows: on ResNet's 16-wide rows the two calls per row cost more than the scalar adds (the input
        // gradient of a 16→32 stride-2 layer, batch 128: 13.5 ms spread, 3.3-3.8 ms scalar, `ResearchKit.Benchmarks conv`).
        bool spread2 = g.StrideW == 2 && Vector512.IsHardwareAccelerated && g.OutW >= 64;
        float[]? spread = spread2 ? KernelPool.Floats.Rent(2 * g.OutW + 32) : null;
        try
        {
            for (int c = 0; c < channels; c++)
            {
                Span<float> plane = image.Slice(c * g.H * g.W, g.H * g.W);
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int offH = kh * g.DilationH - g.PadH;
                    for (int kw = 0; kw < g.KW; kw++, rowIndex++)
                    {
                        int offW = kw * g.DilationW - g.PadW;
                        ValidColumns(offW, g.StrideW, g.W, g.OutW, out int owLo, out int owHi);
                        if (owLo == owHi) continue;
                        ReadOnlySpan<float> srcRow = col.Slice(rowIndex * ldCol, cols);
                        for (int oh = oh0; oh < oh1; oh++)
                        {
                            int ih = oh * g.StrideH + offH;
                            if ((uint)ih >= (uint)g.H) continue;
                            ReadOnlySpan<float> src = srcRow.Slice((oh - oh0) * g.OutW, g.OutW);
                            Span<float> dst = plane.Slice(ih * g.W, g.W);
                            if (g.StrideW == 1)
                            {
                                Span<float> seg = dst.Slice(owLo + offW, owHi - owLo);
                                TensorPrimitives.Add(seg, src[owLo..owHi], seg);
                            }
                            else if (spread is not null)
                            {
                                int n = owHi - owLo, len = 2 * n - 1;
                                Spread2(src[owLo..owHi], spread);
                                Span<float> seg = dst.Slice(2 * owLo + offW, len);
                                TensorPrimitives.Add(seg, spread.AsSpan(0, len), seg);
                            }
                            else
                            {
                                ref float s = ref MemoryMarshal.GetReference(src);
                                ref float d = ref MemoryMarshal.GetReference(dst);
                                int sw = g.StrideW;
                                for (int ow = owLo; ow < owHi; ow++)
                                    Unsafe.Add(ref d, ow * sw + offW) += Unsafe.Add(ref s, ow);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            if (spread is not null) KernelPool.Floats.Return(spread);
        }
    }

    // dst[2i] = src[i], dst[2i + 1] = −0 (the additive identity for every float), for i < src.Length.
    private static void Spread2(ReadOnlySpan<float> src, Span<float> dst)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            var filler = Vector512.Create(-0f);
            var lo = Vector512.Create(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
            var hi = Vector512.Create(8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16);
            for (; i + 16 <= src.Length; i += 16)
            {
                var v = Vector512.Create(src.Slice(i, 16));
                Avx512F.PermuteVar16x32x2(v, lo, filler).CopyTo(dst.Slice(2 * i, 16));
                Avx512F.PermuteVar16x32x2(v, hi, filler).CopyTo(dst.Slice(2 * i + 16, 16));
            }
        }
        for (; i < src.Length; i++)
        {
            dst[2 * i] = src[i];
            dst[2 * i + 1] = -0f;
        }
    }

    /// <summary>Output columns <c>[owLo, owHi)</c> whose input column <c>ow·stride + off</c> lies inside <c>[0, width)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ValidColumns(int off, int stride, int width, int outW, out int lo, out int hi)
    {
        lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
        hi = width - 1 - off < 0 ? 0 : Math.Min(outW, (width - 1 - off) / stride + 1);
        if (lo > hi) lo = hi;
    }

    /// <summary>Validates arguments; returns the column count and resolves a default (0) leading dimension.</summary>
    private static int Check(string method, in Conv2dGeometry g, int imageLength, int channels, int oh0, int oh1, int colLength, ref int ldCol)
    {
        g.EnsureInitialized("Im2Col." + method);
        if (channels < 0 || oh0 < 0 || oh1 > g.OutH || oh0 > oh1)
            throw new ArgumentException($"Im2Col.{method}: need 0 <= oh0 <= oh1 <= OutH ({g.OutH}) and channels >= 0, got oh0={oh0}, oh1={oh1}, channels={channels}.");
        int cols = (oh1 - oh0) * g.OutW;
        if (ldCol == 0) ldCol = cols;
        if (ldCol < cols)
            throw new ArgumentException($"Im2Col.{method}: ldCol ({ldCol}) is smaller than the column count {cols}; pass 0 for a dense matrix.");
        long rows = (long)channels * g.KH * g.KW;
        long imageNeed = (long)channels * g.H * g.W;
        long colNeed = rows == 0 || cols == 0 ? 0 : (rows - 1) * ldCol + cols;
        if (imageLength < imageNeed || colLength < colNeed)
            throw new ArgumentException($"Im2Col.{method}: image needs {imageNeed} elements (has {imageLength}) and col needs {colNeed} (has {colLength}) for {channels} channels of {g.H}x{g.W}, kernel {g.KH}x{g.KW}, output rows [{oh0}, {oh1}) of width {g.OutW}, ldCol {ldCol}.");
        return cols;
    }
}
