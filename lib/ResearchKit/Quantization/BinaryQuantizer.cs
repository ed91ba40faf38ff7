using ResearchKit.Tensors;

namespace ResearchKit.Quantization;

/// <summary>
/// Binary-Weight-Network quantizer (BWN, Rastegari et al. 2016, in Table 5.4): W_b = sign(W)·mean|W|, the scale taken
/// over the whole tensor or per output channel (BWN uses one per filter).
/// </summary>
/// <remarks>
/// sign(0) = +1 (see <see cref="SignSte"/>). Gradient: the hard-tanh STE of <see cref="SignSte"/> for sign, times the
/// scale, plus the exact gradient of mean|W| (XNOR-Net's rule). The thesis only reports BWN's published accuracy.
/// </remarks>
public sealed class BinaryQuantizer : IQuantizer
{
    /// <summary>Creates the quantizer.</summary>
    /// <param name="granularity">One scale mean|W| for the tensor (default) or one per output channel.</param>
    public BinaryQuantizer(QuantGranularity granularity = QuantGranularity.PerTensor) { Granularity = granularity; }

    /// <summary>1: each weight is one sign bit (the per-channel scales are stored apart in float).</summary>
    public int BitWidth => 1;

    /// <inheritdoc/>
    public QuantGranularity Granularity { get; }

    /// <summary>The scales mean|W|, shape (groups, 1).</summary>
    private Tensor Scales(Tensor w, int groups) => QuantArgs.Grouped(w, groups).Abs().Mean(1, keepDim: true);

    /// <summary>sign(W)·mean|W|, shaped like <paramref name="w"/>.</summary>
    /// <exception cref="ArgumentException">Per-channel on a tensor without a channel dimension.</exception>
    public Tensor Quantize(Tensor w)
    {
        int groups = QuantArgs.Groups(nameof(BinaryQuantizer), w, Granularity);
        var signs = SignSte.Apply(QuantArgs.Grouped(w, groups));
        return (signs * Scales(w, groups)).Reshape(w.Shape.ToArray());
    }

    /// <summary>Levels {−mean|W|, +mean|W|} for each group (needs <paramref name="w"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="w"/> is null.</exception>
    public QuantGrid Grid(Tensor? w = null)
    {
        if (w is null) throw new ArgumentException("BinaryQuantizer.Grid: the scale is mean|W|; pass the weight tensor.", nameof(w));
        int groups = QuantArgs.Groups(nameof(BinaryQuantizer), w, Granularity);
        float[] s;
        using (GradMode.Set(false)) s = Scales(w, groups).ToArray();
        var levels = new float[groups][];
        for (int c = 0; c < groups; c++) levels[c] = [-s[c], s[c]];
        var steps = new float[groups];
        for (int c = 0; c < groups; c++) steps[c] = 2f * s[c];
        return new QuantGrid(levels, steps);
    }
}
