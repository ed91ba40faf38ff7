using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// A linear layer that runs an <see cref="ExportedLayer"/>: integer weight codes × integer activation codes (int32
/// accumulators) when the input lies on a known grid, integer weight codes × float activations otherwise (e.g. the classifier
/// after the average pool); y = s_a·s_w·Σ k·j + f_w·s_a·Σ j + b per output (see <see cref="IntegerExport"/>).
/// </summary>
/// <remarks>Inference only; registers no tensors (see <see cref="IntegerConv2d"/>).</remarks>
public sealed class IntegerLinear : Module<Tensor, Tensor>
{
    private readonly int[] _codes;

    /// <summary>Builds the layer from an exported linear layer.</summary>
    /// <exception cref="ArgumentException"><paramref name="layer"/> is not a linear layer.</exception>
    public IntegerLinear(ExportedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Kind != ExportedLayerKind.Linear)
            throw new ArgumentException($"IntegerLinear: layer '{layer.Name}' is a {layer.Kind}; use IntegerConv2d.", nameof(layer));
        Layer = layer;
        _codes = layer.Codes.Unpack();
    }

    /// <summary>The exported layer this module runs.</summary>
    public ExportedLayer Layer { get; }

    /// <summary>Whether the multiply-accumulate is integer × integer (the input lies on a grid).</summary>
    public bool IntegerActivations => Layer.InputGrid is not null;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The last dimension of the input is not the layer's input size.</exception>
    /// <exception cref="InvalidOperationException">The input should lie on the recorded grid and does not.</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        int outF = Layer.WeightShape[0], inF = Layer.WeightShape[1];
        if (input.Dim < 1 || input.Size(-1) != inF)
            throw new ArgumentException($"IntegerLinear '{Layer.Name}': expected input (…, {inF}), got {input.Shape}.", nameof(input));
        float[] x;
        using (Torch.NoGrad()) x = input.Contiguous().ToArray();
        int rows = x.Length / inF;
        var yt = new float[outF * rows]; // (out, rows)
        IntegerMac.Run(Layer, _codes, 0, outF, inF, x, rows, yt);
        var y = new float[rows * outF];
        for (int o = 0; o < outF; o++)
            for (int r = 0; r < rows; r++) y[r * outF + o] = yt[o * rows + r];
        var shape = input.Shape.ToArray();
        shape[^1] = outF;
        return Tensor.FromArray(y, shape);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"in_features={Layer.WeightShape[1]}, out_features={Layer.WeightShape[0]}, weight_bits={Layer.Bits}, " +
        (IntegerActivations ? $"input_bits={Layer.InputGrid!.Bits}" : "input=float");
}
