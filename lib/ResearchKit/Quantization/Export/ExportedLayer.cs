namespace ResearchKit.Quantization.Export;

/// <summary>
/// One quantized convolution or linear layer in integer form: its weight as packed codes k on a uniform grid,
/// W = first[g] + k·step[g] (g = the output channel for per-channel grids, 0 for a per-tensor grid), its float bias, and the
/// grid its input lies on when that is known.
/// </summary>
/// <remarks>Made by <see cref="IntegerExport.Export"/> or read back by <see cref="ExportedModel.Load"/>.</remarks>
public sealed class ExportedLayer
{
    internal ExportedLayer(string name, ExportedLayerKind kind, string quantizer, int[] weightShape, PackedCodes codes,
        float[] first, float[] step, float[]? bias, ConvGeometry? conv, ActivationGrid? inputGrid, double maxDecodeError)
    {
        int outCh = weightShape[0];
        if (first.Length != step.Length || (first.Length != 1 && first.Length != outCh))
            throw new ArgumentException($"ExportedLayer '{name}': {first.Length} grid offsets and {step.Length} steps for {outCh} output channels; expected 1 (per tensor) or {outCh} (per channel) of each.");
        long n = 1;
        foreach (var d in weightShape) n *= d;
        if (codes.Count != n)
            throw new ArgumentException($"ExportedLayer '{name}': {codes.Count} codes for a weight of shape [{string.Join(", ", weightShape)}] ({n} values).");
        if (bias is not null && bias.Length != outCh)
            throw new ArgumentException($"ExportedLayer '{name}': bias has {bias.Length} values for {outCh} output channels.");
        if ((kind == ExportedLayerKind.Conv2d) != (conv is not null) || weightShape.Length != (kind == ExportedLayerKind.Conv2d ? 4 : 2))
            throw new ArgumentException($"ExportedLayer '{name}': a {kind} needs a weight of rank {(kind == ExportedLayerKind.Conv2d ? 4 : 2)}{(kind == ExportedLayerKind.Conv2d ? " and a geometry" : " and no geometry")}.");
        Name = name; Kind = kind; Quantizer = quantizer; WeightShape = weightShape; Codes = codes;
        First = first; Step = step; Bias = bias; Conv = conv; InputGrid = inputGrid; MaxDecodeError = maxDecodeError;
    }

    /// <summary>Dotted module path of the layer in the model (e.g. <c>layer1.0.conv1</c>).</summary>
    public string Name { get; }

    /// <summary>Convolution or linear.</summary>
    public ExportedLayerKind Kind { get; }

    /// <summary>Type name of the weight quantizer the codes come from (e.g. <c>DoReFaWeightQuantizer</c>).</summary>
    public string Quantizer { get; }

    /// <summary>Shape of the weight: (out, in/groups, kh, kw) or (out, in).</summary>
    public IReadOnlyList<int> WeightShape { get; }

    /// <summary>The weight codes, row-major over <see cref="WeightShape"/>, packed at <see cref="Bits"/> bits.</summary>
    public PackedCodes Codes { get; }

    /// <summary>The first level of each scale group (one, or one per output channel): the offset of the affine decoding.</summary>
    public IReadOnlyList<float> First { get; }

    /// <summary>The step of each scale group: the weight scale s_w of the affine decoding.</summary>
    public IReadOnlyList<float> Step { get; }

    /// <summary>The float bias, or null.</summary>
    public IReadOnlyList<float>? Bias { get; }

    /// <summary>Stride, padding, dilation and groups of a convolution; null for a linear layer.</summary>
    public ConvGeometry? Conv { get; }

    /// <summary>The uniform grid the input lies on (integer × integer products), or null when the input is a float tensor
    /// (integer weight codes × float activations, e.g. the first convolution on the normalized image).</summary>
    public ActivationGrid? InputGrid { get; }

    /// <summary>The largest |first + k·step − Q| over the weights, in units in the last place of the grid's largest |level|
    /// (0: every weight decodes bit-for-bit to the fake-quantized weight Q; the exporter refuses more than
    /// <see cref="IntegerExport.MaxDecodeUnits"/>).</summary>
    public double MaxDecodeError { get; }

    /// <summary>Bits per weight code (1 for binary weights).</summary>
    public int Bits => Codes.Bits;

    /// <summary>Number of weights.</summary>
    public int WeightCount => Codes.Count;

    /// <summary>Output channels (dimension 0 of the weight).</summary>
    public int OutChannels => WeightShape[0];

    /// <summary>Bytes of the packed weight codes: ⌈<see cref="WeightCount"/>·<see cref="Bits"/>/8⌉.</summary>
    public int PackedBytes => Codes.ByteLength;

    /// <summary>Whether the weight has one grid per output channel (more than one scale group).</summary>
    public bool PerChannel => First.Count > 1;

    /// <summary>The scale group of output channel <paramref name="outChannel"/>.</summary>
    internal int GroupOf(int outChannel) => First.Count == 1 ? 0 : outChannel;

    /// <summary>The decoded weights first[g] + k·step[g] (float32 arithmetic), row-major over <see cref="WeightShape"/>.</summary>
    public float[] DecodeWeights()
    {
        var codes = Codes.Unpack();
        var w = new float[codes.Length];
        int per = codes.Length / OutChannels;
        for (int i = 0; i < w.Length; i++)
        {
            int g = GroupOf(i / per);
            w[i] = Decode(First[g], Step[g], codes[i]);
        }
        return w;
    }

    /// <summary>first + code·step in float32, the one decoding formula used by export checks and <see cref="DecodeWeights"/>.</summary>
    internal static float Decode(float first, float step, int code) => first + code * step;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {Kind} [{string.Join(", ", WeightShape)}] {Quantizer} {Bits} bits, {PackedBytes} bytes, " +
        (InputGrid is null ? "float input" : $"{InputGrid.Bits}-bit input ({InputGrid.Source})");
}
