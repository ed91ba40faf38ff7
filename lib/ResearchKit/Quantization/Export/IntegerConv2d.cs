using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// A convolution that runs an <see cref="ExportedLayer"/>: im2col, then integer weight codes × integer activation codes with
/// int32 accumulators when the input lies on a known grid (<see cref="ExportedLayer.InputGrid"/>), integer weight codes ×
/// float activations otherwise; the float output is recovered per output channel as
/// y = s_a·s_w·Σ k·j + f_w·s_a·Σ j + b (see <see cref="IntegerExport"/>).
/// </summary>
/// <remarks>Inference only (no gradient); written for correctness, not speed. It registers no tensors: its codes and scales
/// are those of the export, so a model's state dict loses the layer's <c>weight</c>, <c>bias</c> and quantizer entries.</remarks>
public sealed class IntegerConv2d : Module<Tensor, Tensor>
{
    private readonly int[] _codes;

    /// <summary>Builds the layer from an exported convolution.</summary>
    /// <exception cref="ArgumentException"><paramref name="layer"/> is not a convolution.</exception>
    public IntegerConv2d(ExportedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Kind != ExportedLayerKind.Conv2d)
            throw new ArgumentException($"IntegerConv2d: layer '{layer.Name}' is a {layer.Kind}; use IntegerLinear.", nameof(layer));
        Layer = layer;
        _codes = layer.Codes.Unpack();
    }

    /// <summary>The exported layer this module runs.</summary>
    public ExportedLayer Layer { get; }

    /// <summary>Whether the multiply-accumulate is integer × integer (the input lies on a grid).</summary>
    public bool IntegerActivations => Layer.InputGrid is not null;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input is not (N, C, H, W) with the layer's input channels.</exception>
    /// <exception cref="InvalidOperationException">The input should lie on the recorded grid and does not.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        var shape = Layer.WeightShape;
        var geo = Layer.Conv!;
        int outC = shape[0], cg = shape[1], kh = shape[2], kw = shape[3], groups = geo.Groups;
        if (input.Dim != 4 || input.Size(1) != cg * groups)
            throw new ArgumentException($"IntegerConv2d '{Layer.Name}': expected input (N, {cg * groups}, H, W), got {input.Shape}.", nameof(input));
        int n = input.Size(0), h = input.Size(2), w = input.Size(3);
        var (sh, sw) = geo.Stride; var (ph, pw) = geo.Padding; var (dh, dw) = geo.Dilation;
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"IntegerConv2d '{Layer.Name}': input {input.Shape} is smaller than the kernel.", nameof(input));
        float[] x;
        using (Torch.NoGrad()) x = input.Contiguous().ToArray();
        int k = cg * kh * kw, p = oh * ow, og = outC / groups;
        var y = new float[n * outC * p];
        var cols = new float[p * k];
        for (int b = 0; b < n; b++)
            for (int g = 0; g < groups; g++)
            {
                for (int yy = 0; yy < oh; yy++)
                    for (int xx = 0; xx < ow; xx++)
                    {
                        int row = (yy * ow + xx) * k;
                        for (int c = 0; c < cg; c++)
                        {
                            int plane = (b * cg * groups + g * cg + c) * h * w;
                            for (int a = 0; a < kh; a++)
                            {
                                int iy = yy * sh - ph + a * dh;
                                for (int e = 0; e < kw; e++)
                                {
                                    int ix = xx * sw - pw + e * dw;
                                    cols[row + (c * kh + a) * kw + e] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[plane + iy * w + ix] : 0f;
                                }
                            }
                        }
                    }
                IntegerMac.Run(Layer, _codes, g * og, og, k, cols, p, y.AsSpan((b * outC + g * og) * p, og * p));
            }
        return Tensor.FromArray(y, n, outC, oh, ow);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{Layer.WeightShape[1] * Layer.Conv!.Groups}, {Layer.WeightShape[0]}, kernel_size=({Layer.WeightShape[2]}, {Layer.WeightShape[3]}), " +
        $"stride={Layer.Conv.Stride.ToTupleString()}, padding={Layer.Conv.Padding.ToTupleString()}, weight_bits={Layer.Bits}, " +
        (IntegerActivations ? $"input_bits={Layer.InputGrid!.Bits}" : "input=float");
}
