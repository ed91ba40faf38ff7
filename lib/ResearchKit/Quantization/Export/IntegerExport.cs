using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// Exports a fake-quantized model (Training II, §5.4.1) to integer weights for real low-bit inference (§5.4.2): each
/// quantized convolution and linear layer's weight Q = q_w(W) becomes codes k on the quantizer's uniform grid,
/// k = round((Q − first)/step), packed at ⌈log2 levels⌉ bits (1 bit for binary weights).
/// </summary>
/// <remarks>
/// <para>Exported layers: <see cref="QuantConv2d"/>, <see cref="QuantLinear"/>, and the <see cref="SharedQuantConv2d"/> /
/// <see cref="SharedQuantLinear"/> that <see cref="ModelQuantizer.Quantize"/> makes, when they have a weight quantizer (a
/// shared layer with a float weight stays in <see cref="ExportedModel.FloatTensors"/>).</para>
/// <para>Exactness: every code is checked to decode back to Q, first + k·step in float32, bit-for-bit or within
/// <see cref="MaxDecodeUnits"/> units in the last place of the grid's largest |level| (for DoReFa, of 1: 2^−23). The grid's
/// affine formula and the quantizer's own arithmetic round differently: DoReFa computes 2·(k/a) − 1, whose subtraction
/// leaves Q off by one unit of 2·(k/a), i.e. two ulps of Q itself when |Q| &lt; ½; Scaled-Adjust (Eq. 5.5, DL-QAT's last
/// layer) then divides both by sqrt(n_out·Var[Q]), one more rounding on each side (measured up to 2.5 units), hence a
/// bound of 4. Even at 16 bits a step is over 2^6 such units, so the codes stay unambiguous. 1- and 2-bit DoReFa, BWN
/// and TWN decode bit-for-bit. <see cref="ExportedLayer.MaxDecodeError"/> says which.</para>
/// <para>Choice: non-uniform grids (<see cref="PowerOfTwoQuantizer"/>, whose <see cref="QuantGrid.Steps"/> is null) are
/// refused with an <see cref="ArgumentException"/>: the integer multiply-accumulate needs W = first + k·step.</para>
/// <para>Input grids: a layer's input lies on a known uniform grid when the layer has its own input quantizer (the "*" rows
/// of Table 5.4) or, found by a traced forward pass over <c>exampleInput</c>, when its input tensor is the output of a
/// <see cref="QuantAct"/> (e.g. <see cref="QuantReLU"/> over PACT or unsigned LSQ). Only unsigned grids {j·s_a} (first level
/// 0) count, so that zero padding is code 0. Other layers (the first convolution on the normalized image, the classifier
/// after the average pool) multiply integer weight codes by float activations.</para>
/// </remarks>
public static class IntegerExport
{
    /// <summary>Exports every quantized convolution and linear layer of <paramref name="model"/> (in eval mode, without gradients).</summary>
    /// <param name="model">A model with quantized layers, e.g. converted by <see cref="ModelQuantizer.Quantize"/>.</param>
    /// <param name="exampleInput">An input batch for one traced forward pass that finds which layers read the output of an
    /// activation quantizer (their input then is integer codes); null: only layers with their own input quantizer get one.</param>
    /// <returns>The export; the model is unchanged (its train/eval modes are restored).</returns>
    /// <exception cref="ArgumentException">The model has no quantized convolution or linear layer; a weight quantizer's grid is
    /// not uniform (power of two) or does not reproduce the quantized weight within 1 ulp; a layer's own input quantizer is not
    /// an unsigned uniform grid; a convolution pads other than with zeros; or <paramref name="exampleInput"/> is given for a
    /// model that is not a <c>Module&lt;Tensor, Tensor&gt;</c>.</exception>
    public static ExportedModel Export(Module model, Tensor? exampleInput = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sources = model.NamedModules().Select(nm => Source(nm.Name, nm.Module)).OfType<LayerSource>().ToList();
        if (sources.Count == 0)
            throw new ArgumentException(
                "IntegerExport.Export: the model has no quantized convolution or linear layer (QuantConv2d, QuantLinear, SharedQuantConv2d, " +
                "SharedQuantLinear with a weight quantizer); convert it first, e.g. with ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(2, 2)).", nameof(model));

        var traced = exampleInput is null ? new Dictionary<string, ActivationGrid>() : Trace(model, exampleInput, sources);
        var layers = new List<ExportedLayer>();
        foreach (var s in sources)
        {
            ActivationGrid? grid = s.InputQuant is not null ? OwnInputGrid(s) : traced.GetValueOrDefault(s.Path);
            layers.Add(ExportLayer(s, grid));
        }

        var exported = new HashSet<string>(sources.Select(s => s.Path), StringComparer.Ordinal);
        bool Inside(string key) => exported.Any(p => p.Length == 0 || key.StartsWith(p + ".", StringComparison.Ordinal));
        var parameterNames = model.NamedParameters().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var floats = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var buffers = new List<string>();
        using (Torch.NoGrad())
            foreach (var (name, t) in model.StateDict())
            {
                if (Inside(name)) continue;
                floats[name] = t.Detach().Clone();
                if (!parameterNames.Contains(name)) buffers.Add(name);
            }
        return new ExportedModel(layers, floats, buffers);
    }

    // ───────────────────────────── layers ─────────────────────────────

    private sealed record LayerSource(string Path, Module Module, ExportedLayerKind Kind, Tensor Weight, Tensor? Bias,
        IQuantizer WeightQuant, IQuantizer? InputQuant, ConvGeometry? Conv, string PaddingMode);

    private static LayerSource? Source(string path, Module m) => m switch
    {
        QuantConv2d c => new(path, m, ExportedLayerKind.Conv2d, c.Weight, c.Bias, c.WeightQuant, c.InputQuant,
            new ConvGeometry(c.Stride, c.Padding, c.Dilation, c.Groups), c.PaddingMode),
        QuantLinear l => new(path, m, ExportedLayerKind.Linear, l.Weight, l.Bias, l.WeightQuant, l.InputQuant, null, "zeros"),
        SharedQuantConv2d { WeightQuant: { } wq } s => new(path, m, ExportedLayerKind.Conv2d, s.Weight, s.Bias, wq, s.InputQuant,
            new ConvGeometry(s.Source.Stride, s.Source.Padding, s.Source.Dilation, s.Source.Groups), s.Source.PaddingMode),
        SharedQuantLinear { WeightQuant: { } wq } s => new(path, m, ExportedLayerKind.Linear, s.Weight, s.Bias, wq, s.InputQuant, null, "zeros"),
        _ => null,
    };

    private static ExportedLayer ExportLayer(LayerSource s, ActivationGrid? inputGrid)
    {
        string who = $"IntegerExport.Export: layer '{s.Path}' ({s.Module.GetType().Name}, weight quantizer {s.WeightQuant.GetType().Name}, {s.WeightQuant.BitWidth} bits)";
        if (s.PaddingMode != "zeros")
            throw new ArgumentException($"{who} pads with '{s.PaddingMode}'; the integer convolution supports zero padding only.");
        int outCh = s.Weight.Size(0);
        float[] q;
        QuantGrid grid;
        using (Torch.NoGrad())
        {
            q = s.WeightQuant.Quantize(s.Weight).Contiguous().ToArray();
            grid = s.WeightQuant.Grid(s.Weight);
        }
        if (grid.Steps is null)
            throw new ArgumentException($"{who}: the grid is not uniform ({grid.Levels[0].Length} levels such as ±2^k); integer export needs levels first + k·step. " +
                "Use a uniform quantizer (DoReFa, LSQ, BWN, TWN, fixed point) for layers to export.");
        int groups = grid.Levels.Count;
        if (groups != 1 && groups != outCh)
            throw new ArgumentException($"{who}: the grid has {groups} level lists for {outCh} output channels; expected 1 or {outCh}.");
        int levels = grid.Levels[0].Length;
        if (grid.Levels.Any(l => l.Length != levels))
            throw new ArgumentException($"{who}: the per-channel grids have different numbers of levels; one bit width per layer is needed.");
        int bits = PackedCodes.BitsForLevels(levels);
        var first = new float[groups];
        var step = new float[groups];
        for (int g = 0; g < groups; g++) { first[g] = grid.Levels[g][0]; step[g] = grid.Steps[g]; }

        // Tolerance: the unit in the last place of the grid's largest |level| (u), twice. The quantizer computes Q by its own
        // arithmetic (DoReFa: 2·(k/a) − 1, where the subtraction cancels bits), the grid by first + k·step; both round.
        var unit = new float[groups];
        for (int g = 0; g < groups; g++)
        {
            float m = MathF.Max(MathF.Abs(first[g]), MathF.Abs(grid.Levels[g][^1]));
            unit[g] = MathF.BitIncrement(m) - m;
        }
        var codes = new int[q.Length];
        int per = q.Length / outCh;
        double maxError = 0;
        for (int i = 0; i < q.Length; i++)
        {
            int g = groups == 1 ? 0 : i / per;
            int code = step[g] > 0f ? (int)Math.Round(((double)q[i] - first[g]) / step[g], MidpointRounding.ToEven) : 0;
            float decoded = ExportedLayer.Decode(first[g], step[g], code);
            double error = code >= 0 && code < levels ? Math.Abs((double)q[i] - decoded) / unit[g] : double.PositiveInfinity;
            if (!(error <= MaxDecodeUnits))
                throw new ArgumentException(
                    $"{who}: weight {i} is {q[i]:R}, which is not on the grid first + k·step (first {first[g]:R}, step {step[g]:R}, {levels} levels): " +
                    $"nearest code {code} decodes to {decoded:R}, {error:G3} units in the last place of the largest level away (at most {MaxDecodeUnits} allowed). " +
                    "The quantizer's output and its Grid() disagree; integer export needs them to match.");
            maxError = Math.Max(maxError, error);
            codes[i] = code;
        }
        float[]? bias = s.Bias is null ? null : s.Bias.Detach().Contiguous().ToArray();
        return new ExportedLayer(s.Path, s.Kind, s.WeightQuant.GetType().Name, s.Weight.Shape.ToArray(), PackedCodes.Pack(codes, bits),
            first, step, bias, s.Conv, inputGrid, maxError);
    }

    /// <summary>The largest decoding error accepted, in units in the last place of the grid's largest |level|.</summary>
    public const double MaxDecodeUnits = 4;

    // ───────────────────────────── input grids ─────────────────────────────

    private static ActivationGrid OwnInputGrid(LayerSource s)
    {
        var grid = UnsignedGrid(s.InputQuant!);
        return grid is { } g ? new ActivationGrid(g.Step, g.Levels, InputOnGrid: false, "input_quant")
            : throw new ArgumentException(
                $"IntegerExport.Export: layer '{s.Path}' quantizes its input with {s.InputQuant!.GetType().Name}, whose grid is not unsigned and uniform " +
                "{j·s, j = 0..L−1}; the integer layer reproduces only such input quantizers (PACT, unsigned LSQ).");
    }

    /// <summary>(s, L) when the quantizer's grid is {j·s, j = 0..L−1} shared by all channels; null otherwise (or when the grid needs data).</summary>
    private static (float Step, int Levels)? UnsignedGrid(IQuantizer q)
    {
        QuantGrid grid;
        try { grid = q.Grid(); }
        catch (ArgumentException) { return null; } // a data-dependent grid: not a fixed activation grid
        if (grid.Steps is null || grid.Levels.Count != 1 || grid.Levels[0].Length < 2) return null;
        float s = grid.Steps[0];
        if (!(s > 0f) || float.IsInfinity(s) || grid.Levels[0][0] != 0f) return null;
        return (s, grid.Levels[0].Length);
    }

    /// <summary>One forward pass in eval mode: which exported layers read a tensor produced by a <see cref="QuantAct"/>.</summary>
    private static Dictionary<string, ActivationGrid> Trace(Module model, Tensor input, List<LayerSource> sources)
    {
        if (model is not Module<Tensor, Tensor> root)
            throw new ArgumentException($"IntegerExport.Export: an example input needs a Module<Tensor, Tensor> to run; {model.GetType().Name} is not one. Pass exampleInput: null.", nameof(model));
        var producer = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        var acts = new Dictionary<string, QuantAct>(StringComparer.Ordinal);
        var inputs = sources.ToDictionary(s => s.Path, _ => new List<Tensor>(), StringComparer.Ordinal);
        var handles = new List<RemovableHandle>();
        var modes = model.NamedModules().Select(nm => (nm.Module, nm.Module.Training)).ToList();
        try
        {
            foreach (var (path, m) in model.NamedModules())
                if (m is QuantAct qa)
                {
                    string p = path;
                    acts[p] = qa;
                    handles.Add(qa.RegisterForwardHook((_, _, y) => producer[y] = p));
                }
            foreach (var s in sources)
                if (s.Module is Module<Tensor, Tensor> layer)
                {
                    var list = inputs[s.Path];
                    handles.Add(layer.RegisterForwardPreHook((_, x) => list.Add(x)));
                }
            model.Eval();
            using (Torch.NoGrad()) root.Forward(input);
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            foreach (var (m, training) in modes) m.Train(training);
        }
        var result = new Dictionary<string, ActivationGrid>(StringComparer.Ordinal);
        foreach (var (path, xs) in inputs)
        {
            // Every call must read the output of one and the same activation quantizer.
            var producers = xs.Select(x => producer.GetValueOrDefault(x)).Distinct().ToList();
            if (producers.Count != 1 || producers[0] is not string act) continue;
            if (UnsignedGrid(acts[act].Quantizer) is { } g) result[path] = new ActivationGrid(g.Step, g.Levels, InputOnGrid: true, act);
        }
        return result;
    }
}
