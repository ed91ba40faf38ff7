using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// The activation codes j = min(round(max(x, 0)/s_a), L − 1) of a layer's float input, as bytes, with the on-grid check of
/// <see cref="IntegerMac"/>: the same IEEE operations (max, divide, round half to even, min, multiply back) lane by lane, so the
/// codes are those of <see cref="ActivationGrid.Code"/> bit for bit.
/// </summary>
internal static class ActivationCodes
{
    /// <summary>codes[i] = grid.Code(x[i]) for grids of at most 256 levels.</summary>
    /// <exception cref="InvalidOperationException">The grid says the input is on it and a value is not (message as <see cref="IntegerMac"/>'s).</exception>
    public static void Quantize(ExportedLayer layer, ActivationGrid grid, ReadOnlySpan<float> x, Span<byte> codes)
    {
        float step = grid.Step, top = grid.Levels - 1;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(step);
            var vt = Vector256.Create(top);
            bool bad = false;
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                var q = Vector256.ConvertToInt32(Vector256.Min(Vector256.Round(Vector256.Max(v, Vector256<float>.Zero) / vs), vt));
                if (grid.InputOnGrid && Vector256.ConvertToSingle(q) * vs != v) { bad = true; break; }
                if (Avx512F.VL.IsSupported) // vpmovdb: the eight codes (0..255) as eight bytes in one store
                    Unsafe.WriteUnaligned(ref codes[i], Avx512F.VL.ConvertToVector128Byte(q).AsUInt64().ToScalar());
                else
                    for (int l = 0; l < 8; l++) codes[i + l] = (byte)q.GetElement(l);
            }
            if (bad) { ScalarTail(layer, grid, x, codes, i); return; }
        }
        ScalarTail(layer, grid, x, codes, i);
    }

    /// <summary>
    /// The codes of a chunk of NCHW images written straight into the NHWC layout of the int8 direct convolution (zero border of
    /// (ph, pw), cp = channels), with each padded pixel's Σ j: 16 channels × 16 pixels are quantized as sixteen 512-bit
    /// vectors, narrowed to bytes and transposed in registers, so every code is written once. Needs AVX-512 and channels and
    /// h·w multiples of 16; returns false (having written nothing that matters) when it does not apply or a value is off the
    /// grid, and the caller takes the general path, which reports the off-grid value.
    /// </summary>
    public static bool TryQuantizeToNhwc16(ActivationGrid grid, ReadOnlySpan<float> x, int count, int channels, int h, int w,
        int ph, int pw, byte[] nhwc, int[] pixelSums) =>
        grid.Levels <= 256 && TryToNhwc16(new GridCodes(grid), x, count, channels, h, w, ph, pw, nhwc, pixelSums);

    /// <summary>A per-channel map from sixteen floats of one channel to their codes (0..255), or false to give up.</summary>
    internal interface ICodeMap
    {
        /// <summary>The codes of <paramref name="v"/>, sixteen pixels of channel <paramref name="channel"/>.</summary>
        bool TryCodes(Vector512<float> v, int channel, out Vector512<int> codes);
    }

    // The grid's codes min(round(max(x, 0)/s), L − 1), and the on-grid check.
    private readonly struct GridCodes(ActivationGrid grid) : ICodeMap
    {
        private readonly Vector512<float> _step = Vector512.Create(grid.Step), _top = Vector512.Create((float)(grid.Levels - 1));
        private readonly bool _check = grid.InputOnGrid;

        public bool TryCodes(Vector512<float> v, int channel, out Vector512<int> codes)
        {
            var q = Vector512.Min(Vector512.Round(Vector512.Max(v, Vector512<float>.Zero) / _step), _top);
            codes = Vector512.ConvertToInt32(q);
            return !_check || q * _step == v;
        }
    }

    /// <summary>
    /// <see cref="TryQuantizeToNhwc16"/> for any code map (a struct, so each map gets its own compiled loop): the codes of a
    /// chunk of NCHW images into padded NHWC with each padded pixel's Σ of codes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe bool TryToNhwc16<TMap>(TMap map, ReadOnlySpan<float> x, int count, int channels, int h, int w,
        int ph, int pw, byte[] nhwc, int[] pixelSums) where TMap : struct, ICodeMap
    {
        int hw = h * w, hp = h + 2 * ph, wp = w + 2 * pw;
        if (!Avx512F.IsSupported || channels % 16 != 0 || hw % 16 != 0) return false;
        nhwc.AsSpan(0, count * hp * wp * channels).Clear();
        pixelSums.AsSpan(0, count * hp * wp).Clear();
        var rows = stackalloc Vector128<byte>[16];
        var cols = stackalloc Vector128<byte>[16];
        var at = stackalloc int[16];
        fixed (float* px = x)
        fixed (byte* pn = nhwc)
            for (int img = 0; img < count; img++)
                for (int pix0 = 0; pix0 < hw; pix0 += 16)
                {
                    for (int i = 0; i < 16; i++)
                    {
                        int pix = pix0 + i;
                        at[i] = (img * hp + pix / w + ph) * wp + pix % w + pw;
                    }
                    for (int c0 = 0; c0 < channels; c0 += 16)
                    {
                        for (int k = 0; k < 16; k++)
                        {
                            if (!map.TryCodes(Vector512.Load(px + ((long)(img * channels + c0 + k)) * hw + pix0), c0 + k, out var codes)) return false;
                            rows[k] = Avx512F.ConvertToVector128Byte(codes);
                        }
                        Transpose16x16(rows, cols);
                        for (int i = 0; i < 16; i++)
                        {
                            cols[i].Store(pn + (long)at[i] * channels + c0);
                            var sums = Sse2.SumAbsoluteDifferences(cols[i], Vector128<byte>.Zero).AsUInt64();
                            pixelSums[at[i]] += (int)(sums.GetElement(0) + sums.GetElement(1));
                        }
                    }
                }
        return true;
    }

    /// <summary>cols[i] byte k = rows[k] byte i (a 16×16 byte transpose by four rounds of unpacks).</summary>
    internal static unsafe void Transpose16x16(Vector128<byte>* rows, Vector128<byte>* cols)
    {
        var s1 = stackalloc Vector128<byte>[16];
        var t = stackalloc Vector128<byte>[16];
        // Bytes: pairs of rows (2p, 2p + 1), columns 0–7 in s1[p], 8–15 in s1[8 + p].
        for (int p = 0; p < 8; p++)
        {
            s1[p] = Sse2.UnpackLow(rows[2 * p], rows[2 * p + 1]);
            s1[8 + p] = Sse2.UnpackHigh(rows[2 * p], rows[2 * p + 1]);
        }
        // 16-bit: four rows (4q..4q + 3) per 32-bit element; t[4q + g] holds columns 4g..4g + 3.
        for (int half = 0; half < 2; half++)
            for (int q = 0; q < 4; q++)
            {
                var a = s1[8 * half + 2 * q].AsUInt16();
                var b = s1[8 * half + 2 * q + 1].AsUInt16();
                t[4 * q + 2 * half] = Sse2.UnpackLow(a, b).AsByte();
                t[4 * q + 2 * half + 1] = Sse2.UnpackHigh(a, b).AsByte();
            }
        // 32-bit: eight rows per 64-bit element; u[8m + 2g] holds columns 4g, 4g + 1 and u[8m + 2g + 1] columns 4g + 2, 4g + 3.
        var u = s1;   // s1 is free again
        for (int m = 0; m < 2; m++)
            for (int g = 0; g < 4; g++)
            {
                var a = t[4 * (2 * m) + g].AsUInt32();
                var b = t[4 * (2 * m + 1) + g].AsUInt32();
                u[8 * m + 2 * g] = Sse2.UnpackLow(a, b).AsByte();
                u[8 * m + 2 * g + 1] = Sse2.UnpackHigh(a, b).AsByte();
            }
        // 64-bit: rows 0–7 with rows 8–15.
        for (int pair = 0; pair < 8; pair++)
        {
            var a = u[pair].AsUInt64();
            var b = u[8 + pair].AsUInt64();
            cols[2 * pair] = Sse2.UnpackLow(a, b).AsByte();
            cols[2 * pair + 1] = Sse2.UnpackHigh(a, b).AsByte();
        }
    }

    private static void ScalarTail(ExportedLayer layer, ActivationGrid grid, ReadOnlySpan<float> x, Span<byte> codes, int start)
    {
        for (int i = start; i < x.Length; i++)
        {
            int code = grid.Code(x[i]);
            if (grid.InputOnGrid && code * grid.Step != x[i]) throw OffGrid(layer, grid, x[i]);
            codes[i] = (byte)code;
        }
    }

    /// <summary>The error of an input value off the recorded grid.</summary>
    public static InvalidOperationException OffGrid(ExportedLayer layer, ActivationGrid grid, float x) => new(
        $"Integer layer '{layer.Name}': input value {x:R} is not on the grid j·{grid.Step:R} (j = 0..{grid.Levels - 1}) of '{grid.Source}' recorded at export. " +
        "The activation quantizer changed after the export (e.g. α was trained again) or the layer now reads another tensor; export the model again.");
}
