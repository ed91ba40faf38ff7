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
