using System.Text.Json;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Serialization;

namespace ResearchKit.Quantization.Export;

/// <summary>
/// A quantized model exported for real low-bit inference (§5.4.2): every quantized convolution and linear layer as packed
/// integer weight codes with float scales (<see cref="Layers"/>), and every other tensor of the state dict in float
/// (<see cref="FloatTensors"/>: batch norms, activation clipping levels α, float layers, running statistics).
/// </summary>
/// <remarks>
/// <para>File layout (<see cref="Save"/>, a <c>.safetensors</c> file): for a layer <c>L</c>, <c>L.weight.codes</c> (U8, the
/// packed bytes), <c>L.weight.first</c> and <c>L.weight.step</c> (F32, one per scale group), <c>L.bias</c> (F32, if any),
/// <c>L.input.step</c> (F32, if the input lies on a grid); the float tensors under their state-dict names (F32, I64 for
/// integer buffers); the rest (kind, shape, bits, geometry, input levels) as JSON in the <c>__metadata__</c> entry
/// <c>integer_export.layers</c>. The engine's <see cref="Tensor"/> has no 8-bit dtype, so the codes are written as raw U8
/// entries through <see cref="SafeTensorEntry"/>, not as tensors.</para>
/// <para>Byte counts: <see cref="PackedWeightBytes"/> is the real storage of the low-bit weights, Σ ⌈n_l·b_l/8⌉;
/// <see cref="FloatParameterBytes"/> the float parameters at 4 bytes (biases, batch-norm γ/β, α's, float layers) — together
/// the quantities <see cref="MemoryFootprint"/>'s parameter term counts; <see cref="ScaleBytes"/> the per-layer grid
/// (first, step, input step) and <see cref="BufferBytes"/> the running statistics, which the formula does not count.</para>
/// </remarks>
public sealed class ExportedModel
{
    /// <summary>The <c>format</c> metadata value of an export file.</summary>
    public const string FormatId = "researchkit.integer-export/1";

    private readonly HashSet<string> _buffers;

    internal ExportedModel(IReadOnlyList<ExportedLayer> layers, IReadOnlyDictionary<string, Tensor> floatTensors, IEnumerable<string> bufferNames)
    {
        Layers = layers; FloatTensors = floatTensors;
        _buffers = new HashSet<string>(bufferNames, StringComparer.Ordinal);
        PackedWeightBytes = layers.Sum(l => (long)l.PackedBytes);
        ScaleBytes = layers.Sum(l => 4L * (l.First.Count + l.Step.Count) + (l.InputGrid is null ? 0 : 4));
        long floatParams = layers.Sum(l => 4L * (l.Bias?.Count ?? 0)), buffers = 0;
        foreach (var (name, t) in floatTensors)
        {
            long bytes = (long)t.Numel * (t.DType == DType.Float32 ? 4 : 8);
            if (_buffers.Contains(name)) buffers += bytes; else floatParams += bytes;
        }
        FloatParameterBytes = floatParams; BufferBytes = buffers;
    }

    /// <summary>The exported layers, in module order.</summary>
    public IReadOnlyList<ExportedLayer> Layers { get; }

    /// <summary>Every state-dict tensor outside the exported layers, by dotted name (copies, not the model's live tensors).</summary>
    public IReadOnlyDictionary<string, Tensor> FloatTensors { get; }

    /// <summary>The names in <see cref="FloatTensors"/> that are buffers (running statistics), not parameters.</summary>
    public IReadOnlyCollection<string> BufferNames => _buffers;

    /// <summary>Σ over layers of ⌈n_l·b_l/8⌉: the real bytes of the packed low-bit weights.</summary>
    public long PackedWeightBytes { get; }

    /// <summary>4 bytes per float parameter: the exported layers' biases and every parameter in <see cref="FloatTensors"/>.</summary>
    public long FloatParameterBytes { get; }

    /// <summary>4 bytes per weight-grid offset and step (per layer, or per output channel) and per input-grid step.</summary>
    public long ScaleBytes { get; }

    /// <summary>Bytes of the buffers (running mean and variance at 4 bytes, batch counters at 8).</summary>
    public long BufferBytes { get; }

    /// <summary><see cref="PackedWeightBytes"/> + <see cref="FloatParameterBytes"/> + <see cref="ScaleBytes"/> + <see cref="BufferBytes"/>
    /// (the file adds its JSON header).</summary>
    public long TotalBytes => PackedWeightBytes + FloatParameterBytes + ScaleBytes + BufferBytes;

    /// <summary>The layer at module path <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No exported layer has that name (the names are listed).</exception>
    public ExportedLayer Layer(string name) => Layers.FirstOrDefault(l => l.Name == name)
        ?? throw new KeyNotFoundException($"ExportedModel: no exported layer '{name}'; the layers are: {string.Join(", ", Layers.Select(l => l.Name))}.");

    /// <summary>A text table: one line per layer (bits, weights, packed bytes, input) and the byte totals.</summary>
    public string Describe()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var l in Layers)
            sb.AppendLine(System.FormattableString.Invariant(
                $"{l.Name,-24} {l.Kind,-7} {l.Bits,2} bits {l.WeightCount,9} weights {l.PackedBytes,9} B  decode error {l.MaxDecodeError:G2} u  {(l.InputGrid is null ? "float input" : $"{l.InputGrid.Bits}-bit input")}"));
        sb.AppendLine(System.FormattableString.Invariant(
            $"packed weights {PackedWeightBytes} B, float parameters {FloatParameterBytes} B, scales {ScaleBytes} B, buffers {BufferBytes} B, total {TotalBytes} B"));
        return sb.ToString();
    }

    /// <summary>Writes the export atomically (temporary file, then rename) as a <c>.safetensors</c> file (layout in the remarks).</summary>
    /// <param name="path">Destination; its directory must exist.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var entries = new List<SafeTensorEntry>();
        var meta = new List<LayerMeta>();
        foreach (var l in Layers)
        {
            entries.Add(new SafeTensorEntry(l.Name + ".weight.codes", SafeTensorDType.U8, [l.PackedBytes], l.Codes.Data));
            entries.Add(SafeTensorEntry.FromFloat32(l.Name + ".weight.first", l.First.ToArray(), [l.First.Count]));
            entries.Add(SafeTensorEntry.FromFloat32(l.Name + ".weight.step", l.Step.ToArray(), [l.Step.Count]));
            if (l.Bias is not null) entries.Add(SafeTensorEntry.FromFloat32(l.Name + ".bias", l.Bias.ToArray(), [l.Bias.Count]));
            if (l.InputGrid is not null) entries.Add(SafeTensorEntry.FromFloat32(l.Name + ".input.step", [l.InputGrid.Step], [1]));
            var c = l.Conv;
            meta.Add(new LayerMeta(l.Name, l.Kind.ToString(), l.Quantizer, l.WeightShape.ToArray(), l.Bits, l.MaxDecodeError, l.Bias is not null,
                c is null ? null : [c.Stride.H, c.Stride.W], c is null ? null : [c.Padding.H, c.Padding.W],
                c is null ? null : [c.Dilation.H, c.Dilation.W], c?.Groups ?? 1,
                l.InputGrid?.Levels, l.InputGrid?.InputOnGrid, l.InputGrid?.Source));
        }
        foreach (var (name, t) in FloatTensors) entries.Add(SafeTensors.ToEntry(name, t));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatId,
            ["integer_export.layers"] = JsonSerializer.Serialize(meta),
            ["integer_export.buffers"] = JsonSerializer.Serialize(_buffers.Order(StringComparer.Ordinal).ToArray()),
        };
        SafeTensorsFile.Write(path, entries, metadata);
    }

    /// <summary>Reads an export written by <see cref="Save"/>.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an integer export (no or another <c>format</c>), or an entry it needs is missing or malformed.</exception>
    public static ExportedModel Load(string path)
    {
        var doc = SafeTensorsFile.Read(path);
        if (!doc.Metadata.TryGetValue("format", out var format) || format != FormatId)
            throw new InvalidDataException($"ExportedModel.Load: '{path}' is not an integer export (metadata format = '{format ?? "(none)"}', expected '{FormatId}'); write it with ExportedModel.Save.");
        var meta = Json<LayerMeta[]>(doc, "integer_export.layers", path);
        var buffers = Json<string[]>(doc, "integer_export.buffers", path);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var layers = new List<ExportedLayer>();
        foreach (var m in meta)
        {
            SafeTensorEntry Entry(string suffix)
            {
                string key = m.Name + suffix;
                if (!doc.TryGetEntry(key, out var e)) throw new InvalidDataException($"ExportedModel.Load: '{path}' lacks the entry '{key}' of layer '{m.Name}'.");
                used.Add(key);
                return e;
            }
            long count = m.Shape.Aggregate(1L, (a, d) => a * d);
            var codesEntry = Entry(".weight.codes");
            if (codesEntry.DType != SafeTensorDType.U8)
                throw new InvalidDataException($"ExportedModel.Load: '{m.Name}.weight.codes' is {codesEntry.DType}, expected U8.");
            PackedCodes codes;
            try { codes = PackedCodes.FromBytes(codesEntry.Data.Span, m.Bits, checked((int)count)); }
            catch (ArgumentException e) { throw new InvalidDataException($"ExportedModel.Load: layer '{m.Name}': {e.Message}", e); }
            var kind = Enum.Parse<ExportedLayerKind>(m.Kind);
            ConvGeometry? conv = kind == ExportedLayerKind.Conv2d
                ? new ConvGeometry((m.Stride![0], m.Stride[1]), (m.Padding![0], m.Padding[1]), (m.Dilation![0], m.Dilation[1]), m.Groups)
                : null;
            ActivationGrid? grid = m.InputLevels is int levels
                ? new ActivationGrid(Entry(".input.step").ToFloat32()[0], levels, m.InputOnGrid ?? true, m.InputSource ?? "")
                : null;
            layers.Add(new ExportedLayer(m.Name, kind, m.Quantizer, m.Shape, codes, Entry(".weight.first").ToFloat32(),
                Entry(".weight.step").ToFloat32(), m.Bias ? Entry(".bias").ToFloat32() : null, conv, grid, m.MaxDecodeError));
        }
        var floats = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in doc.Entries) if (!used.Contains(e.Name)) floats[e.Name] = SafeTensors.ToTensor(e);
        return new ExportedModel(layers, floats, buffers);
    }

    private static T Json<T>(SafeTensorsDocument doc, string key, string path)
    {
        if (!doc.Metadata.TryGetValue(key, out var text))
            throw new InvalidDataException($"ExportedModel.Load: '{path}' lacks the metadata '{key}'.");
        try { return JsonSerializer.Deserialize<T>(text) ?? throw new InvalidDataException($"ExportedModel.Load: metadata '{key}' of '{path}' is null."); }
        catch (JsonException e) { throw new InvalidDataException($"ExportedModel.Load: metadata '{key}' of '{path}' is not valid JSON: {e.Message}", e); }
    }

    private sealed record LayerMeta(string Name, string Kind, string Quantizer, int[] Shape, int Bits, double MaxDecodeError, bool Bias,
        int[]? Stride, int[]? Padding, int[]? Dilation, int Groups, int? InputLevels, bool? InputOnGrid, string? InputSource);
}
