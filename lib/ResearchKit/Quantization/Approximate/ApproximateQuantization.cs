namespace ResearchKit.Quantization.Approximate;

/// <summary>
/// The int quantization of the approximate layers: per-output-channel symmetric weight codes and per-tensor input codes,
/// both scale = max magnitude / largest code, code = round-half-even(v / scale) clamped, in double.
/// </summary>
/// <remarks>The input scale is taken from each call's whole input (dynamic per-tensor quantization, as PyTorch's dynamic
/// quantization does), so a sample's output can depend on the other samples of its batch; evaluate with a fixed batch
/// size for comparable numbers. A channel or input that is all zero gets scale 1 (all codes 0).</remarks>
internal static class ApproximateQuantization
{
    /// <summary>Codes of a weight laid out as <paramref name="rows"/> output channels of <paramref name="perRow"/> values.</summary>
    public static int[] WeightCodes(ReadOnlySpan<float> weight, int rows, int perRow, int qmax, out double[] scales)
    {
        var codes = new int[rows * perRow];
        scales = new double[rows];
        for (int o = 0; o < rows; o++)
        {
            var row = weight.Slice(o * perRow, perRow);
            double max = 0;
            foreach (float v in row)
            {
                if (!float.IsFinite(v)) throw new ArgumentException($"Approximate layer: weight of output channel {o} holds {v}; train or load finite weights.");
                max = Math.Max(max, Math.Abs((double)v));
            }
            double s = max > 0 ? max / qmax : 1.0;
            scales[o] = s;
            for (int i = 0; i < perRow; i++) codes[o * perRow + i] = Code(row[i], s, -qmax, qmax);
        }
        return codes;
    }

    /// <summary>Per-tensor input codes (signed or unsigned by <paramref name="mode"/>) and their scale.</summary>
    public static int[] InputCodes(ReadOnlySpan<float> x, ApproximateInputMode mode, ProductTable table, string layer, out double scale)
    {
        double maxAbs = 0, min = 0;
        foreach (float v in x)
        {
            if (!float.IsFinite(v)) throw new ArgumentException($"{layer}: the input holds {v}; approximate inference needs finite inputs.");
            maxAbs = Math.Max(maxAbs, Math.Abs((double)v));
            min = Math.Min(min, v);
        }
        bool unsigned = mode switch
        {
            ApproximateInputMode.Unsigned when min < 0 => throw new ArgumentException(
                $"{layer}: unsigned input quantization got a negative input ({min}); use ApproximateInputMode.Symmetric or Auto for layers not fed by a ReLU."),
            ApproximateInputMode.Unsigned => true,
            ApproximateInputMode.Symmetric => false,
            _ => min >= 0,
        };
        int lo = unsigned ? 0 : table.InputMin, hi = unsigned ? table.UnsignedInputMax : table.WeightMax;
        scale = maxAbs > 0 ? maxAbs / hi : 1.0;
        var idx = new int[x.Length];
        for (int i = 0; i < x.Length; i++) idx[i] = Code(x[i], scale, lo, hi);
        return idx;
    }

    private static int Code(float v, double scale, int lo, int hi) =>
        (int)Math.Clamp(Math.Round(v / scale, MidpointRounding.ToEven), lo, hi);
}
