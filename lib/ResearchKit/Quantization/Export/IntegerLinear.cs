using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Functional = ResearchKit.Tensors.Nn.Functional;

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
        int outF = layer.WeightShape[0], inF = layer.WeightShape[1];
        var grid = layer.InputGrid;
        // A linear layer is a 1×1 convolution of (rows, in, 1, 1) images: the same kernels, with rows as the columns.
        var geo = new ConvGeometry((1, 1), (0, 0), (1, 1), 1);
        if (grid is null)
        {
            Kernel = IntegerKernel.FloatInput;
            _floatCodes = Tensor.FromArray(_codes.Select(c => (float)c).ToArray(), outF, inF);
        }
        else if (BinaryConvKernel.Supports(layer, grid))
        {
            Kernel = IntegerKernel.Binary;
            _fast = new BinaryConvKernel(layer, grid, _codes, inF, 1, 1, geo);
        }
        else if (Int8ConvKernel.Supports(layer, grid, inF))
        {
            Kernel = IntegerKernel.Int8;
            _fast = new Int8ConvKernel(layer, grid, _codes, inF, 1, 1, geo);
        }
    }

    private readonly LowBitConvKernel? _fast;
    private readonly Tensor? _floatCodes;

    /// <summary>The multiply-accumulate this layer runs (chosen from the weight and input bit widths).</summary>
    public IntegerKernel Kernel { get; } = IntegerKernel.Reference;

    /// <summary>Test hook: run the scalar reference loops whatever <see cref="Kernel"/> says.</summary>
    internal bool ForceReference { get; set; }

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
        var outShape = input.Shape.ToArray();
        outShape[^1] = outF;
        if (!ForceReference && Kernel == IntegerKernel.FloatInput) return ForwardFloat(input, outShape);
        if (!ForceReference && _fast is not null)
        {
            int n = (int)(input.Numel / inF);
            var fast = _fast;
            // (rows, outF) is the (rows, outF, 1, 1) output of the 1×1 convolution; pooled, every element written.
            return SpanKernels.Map(input, outShape, (x, y) => fast.Run(x, n, 1, 1, 1, 1, y));
        }
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

    // Σ k·x by the engine's matmul over the codes (exact in float32), Σ x in double, recovery in double as IntegerMac.
    private Tensor ForwardFloat(Tensor input, int[] outShape)
    {
        int outF = Layer.WeightShape[0], inF = Layer.WeightShape[1];
        var src = input.Contiguous();
        Tensor kx;
        using (Torch.NoGrad()) kx = Functional.Linear(src.Reshape(-1, inF), _floatCodes!).Contiguous();
        var x = src.AsReadOnlySpan();
        var y = kx.AsSpan();
        int rows = x.Length / inF;
        for (int r = 0; r < rows; r++)
        {
            double sx = 0;
            foreach (var v in x.Slice(r * inF, inF)) sx += v;
            for (int o = 0; o < outF; o++)
            {
                int g = Layer.GroupOf(o);
                double sw = Layer.Step[g], fw = Layer.First[g], b = Layer.Bias?[o] ?? 0f;
                y[r * outF + o] = (float)(sw * y[r * outF + o] + fw * sx + b);
            }
        }
        return kx.Reshape(outShape);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"in_features={Layer.WeightShape[1]}, out_features={Layer.WeightShape[0]}, weight_bits={Layer.Bits}, " +
        (IntegerActivations ? $"input_bits={Layer.InputGrid!.Bits}" : "input=float");
}
