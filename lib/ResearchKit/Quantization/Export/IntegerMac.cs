namespace ResearchKit.Quantization.Export;

/// <summary>
/// The multiply-accumulate of an exported layer over columns of its input (im2col rows, or linear input rows), for output
/// channels [oStart, oStart + oCount): integer × integer with int32 accumulators when the input lies on a grid, integer
/// weight codes × float activations otherwise.
/// </summary>
/// <remarks>
/// With W = f_w + s_w·k and x = s_a·j, Σ W·x = s_a·s_w·Σ k·j + f_w·s_a·Σ j (both sums integer); with float x,
/// Σ W·x = s_w·Σ k·x + f_w·Σ x. The float recovery is done in double. Accumulators are int32 when
/// K·(2^b_w − 1)·(L − 1) fits (always for the widths of Table 5.4), int64 otherwise.
/// </remarks>
internal static class IntegerMac
{
    /// <summary>y[o·P + p] for o in [0, oCount), p in [0, P), from cols[p·K + k] (the input values, zero where padded).</summary>
    public static void Run(ExportedLayer layer, int[] wCodes, int oStart, int oCount, int k, float[] cols, int p, Span<float> y)
    {
        var grid = layer.InputGrid;
        if (grid is null) { RunFloat(layer, wCodes, oStart, oCount, k, cols, p, y); return; }

        var j = new int[cols.Length];
        var sumJ = new long[p];
        for (int pi = 0; pi < p; pi++)
        {
            long s = 0;
            for (int ki = 0; ki < k; ki++)
            {
                float x = cols[pi * k + ki];
                int code = grid.Code(x);
                if (grid.InputOnGrid && code * grid.Step != x)
                    throw new InvalidOperationException(
                        $"Integer layer '{layer.Name}': input value {x:R} is not on the grid j·{grid.Step:R} (j = 0..{grid.Levels - 1}) of '{grid.Source}' recorded at export. " +
                        "The activation quantizer changed after the export (e.g. α was trained again) or the layer now reads another tensor; export the model again.");
                j[pi * k + ki] = code;
                s += code;
            }
            sumJ[pi] = s;
        }
        long bound = (long)k * ((1L << layer.Bits) - 1) * (grid.Levels - 1);
        bool int32 = bound <= int.MaxValue;
        double sa = grid.Step;
        for (int oi = 0; oi < oCount; oi++)
        {
            int o = oStart + oi, g = layer.GroupOf(o);
            double sw = layer.Step[g], fw = layer.First[g], b = layer.Bias?[o] ?? 0f;
            var w = wCodes.AsSpan(o * k, k);
            for (int pi = 0; pi < p; pi++)
            {
                var col = j.AsSpan(pi * k, k);
                long acc;
                if (int32)
                {
                    int a = 0;
                    for (int ki = 0; ki < k; ki++) a += w[ki] * col[ki];
                    acc = a;
                }
                else
                {
                    long a = 0;
                    for (int ki = 0; ki < k; ki++) a += (long)w[ki] * col[ki];
                    acc = a;
                }
                y[oi * p + pi] = (float)(sa * sw * acc + fw * sa * sumJ[pi] + b);
            }
        }
    }

    private static void RunFloat(ExportedLayer layer, int[] wCodes, int oStart, int oCount, int k, float[] cols, int p, Span<float> y)
    {
        var sumX = new double[p];
        for (int pi = 0; pi < p; pi++)
        {
            double s = 0;
            for (int ki = 0; ki < k; ki++) s += cols[pi * k + ki];
            sumX[pi] = s;
        }
        for (int oi = 0; oi < oCount; oi++)
        {
            int o = oStart + oi, g = layer.GroupOf(o);
            double sw = layer.Step[g], fw = layer.First[g], b = layer.Bias?[o] ?? 0f;
            var w = wCodes.AsSpan(o * k, k);
            for (int pi = 0; pi < p; pi++)
            {
                var col = cols.AsSpan(pi * k, k);
                double acc = 0;
                for (int ki = 0; ki < k; ki++) acc += w[ki] * (double)col[ki];
                y[oi * p + pi] = (float)(sw * acc + fw * sumX[pi] + b);
            }
        }
    }
}
