using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// Parsed and fully validated JSON header of a safetensors file: per-tensor dtype/shape/offsets, metadata, and the
/// data-buffer length the offsets imply. Validation is at least as strict as the reference (Rust) implementation.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>Upper bound on the header length; the reference implementation uses the same 100 MB limit.</summary>
    internal const long MaxHeaderLength = 100_000_000;

    private const string DtypeKey = "dtype", ShapeKey = "shape", OffsetsKey = "data_offsets";
    private const string ReSave = "re-save the checkpoint with a conforming writer (e.g. safetensors.torch.save_file)";

    /// <summary>One tensor's header record. Offsets are relative to the start of the data buffer.</summary>
    internal readonly record struct TensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
    {
        /// <summary>Payload length in bytes.</summary>
        public long ByteLength => End - Begin;
    }

    private SafeTensorsHeader(List<TensorInfo> tensors, int[] offsetOrder, Dictionary<string, string> metadata, long dataLength)
    {
        Tensors = tensors;
        OffsetOrder = offsetOrder;
        Metadata = metadata;
        DataLength = dataLength;
    }

    /// <summary>Tensors in header (JSON) order.</summary>
    internal List<TensorInfo> Tensors { get; }

    /// <summary>Indices into <see cref="Tensors"/> sorted by data offset, i.e. file order of the payloads.</summary>
    internal int[] OffsetOrder { get; }

    /// <summary>The <c>__metadata__</c> map (empty if absent), in header order.</summary>
    internal Dictionary<string, string> Metadata { get; }

    /// <summary>Length of the data buffer the tensors cover exactly (end of the last tensor).</summary>
    internal long DataLength { get; }

    /// <summary>Parses and validates the header bytes (between the length prefix and the data buffer).</summary>
    /// <param name="header">The N header bytes.</param>
    /// <param name="file">File name or source description for messages.</param>
    /// <exception cref="SafeTensorsFormatException">Any violation of the format.</exception>
    internal static SafeTensorsHeader Parse(ReadOnlyMemory<byte> header, string file)
    {
        ReadOnlySpan<byte> span = header.Span;
        if (span.IsEmpty)
            throw Error(file, null, $"the header length is 0, but the smallest header is '{{}}'; {ReSave}.");
        if (!Utf8.IsValid(span))
            throw Error(file, null, $"the JSON header is not valid UTF-8 (first invalid byte at header offset {FirstInvalidUtf8(span)}); the file is corrupt — re-download or {ReSave}.");
        if (span[0] != (byte)'{')
        {
            string hint = span[0] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r'
                ? "leading whitespace is not allowed (padding goes after the JSON)"
                : "it is not a safetensors header";
            throw Error(file, null, $"the JSON header must start with '{{' but starts with {Describe(span[0])}; {hint} — {ReSave}.");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            string hint = span.IndexOf((byte)0) >= 0 ? " The header contains NUL bytes: padding must be spaces (0x20), not zeros." : "";
            throw Error(file, null, $"the header is not valid JSON: {ex.Message}{hint} The file is corrupt or not a safetensors file — re-download or {ReSave}.", ex);
        }

        using (doc)
        {
            var tensors = new List<TensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in doc.RootElement.EnumerateObject())
            {
                // JsonDocument keeps duplicate keys; the format defines a map, so a repeated key is ambiguous.
                if (!seen.Add(property.Name))
                {
                    throw property.Name == SafeTensorEntry.MetadataKey
                        ? Error(file, null, $"the header contains '{SafeTensorEntry.MetadataKey}' twice; {ReSave}.")
                        : Error(file, property.Name, $"the header lists this tensor name twice; names must be unique — {ReSave}.");
                }
                if (property.Name == SafeTensorEntry.MetadataKey)
                    ParseMetadata(property.Value, metadata, file);
                else
                    tensors.Add(ParseTensor(property.Name, property.Value, file));
            }
            int[] order = SortByOffset(tensors);
            long dataLength = CheckCoverage(tensors, order, file);
            return new SafeTensorsHeader(tensors, order, metadata, dataLength);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string file)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(file, null, $"'{SafeTensorEntry.MetadataKey}' must be a JSON object of strings but is {Kind(value)}; {ReSave}.");
        foreach (JsonProperty pair in value.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
                throw Error(file, null, $"metadata key '{pair.Name}' has {Kind(pair.Value)} value ({Clip(pair.Value.GetRawText())}); the format only allows string values — store it as a string and {ReSave}.");
            if (!metadata.TryAdd(pair.Name, pair.Value.GetString()!))
                throw Error(file, null, $"metadata key '{pair.Name}' appears twice; keys must be unique — {ReSave}.");
        }
    }

    private static TensorInfo ParseTensor(string name, JsonElement value, string file)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(file, name, $"the header entry must be an object with \"dtype\", \"shape\" and \"data_offsets\" but is {Kind(value)} ({Clip(value.GetRawText())}); {ReSave}.");

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            ref JsonElement? slot = ref dtypeElement;
            switch (field.Name)
            {
                case DtypeKey: break;
                case ShapeKey: slot = ref shapeElement; break;
                case OffsetsKey: slot = ref offsetsElement; break;
                default:
                    throw Error(file, name, $"unexpected field \"{field.Name}\"; a tensor entry has exactly \"dtype\", \"shape\" and \"data_offsets\" — {ReSave}.");
            }
            if (slot is not null)
                throw Error(file, name, $"field \"{field.Name}\" appears twice; {ReSave}.");
            slot = field.Value;
        }
        if (dtypeElement is null || shapeElement is null || offsetsElement is null)
        {
            string missing = dtypeElement is null ? DtypeKey : shapeElement is null ? ShapeKey : OffsetsKey;
            throw Error(file, name, $"the header entry has no \"{missing}\" field; every tensor needs \"dtype\", \"shape\" and \"data_offsets\" — {ReSave}.");
        }

        SafeTensorDType dtype = ParseDType(dtypeElement.Value, name, file);
        long[] shape = ParseIntegers(shapeElement.Value, ShapeKey, name, file);
        long[] offsets = ParseIntegers(offsetsElement.Value, OffsetsKey, name, file);
        if (offsets.Length != 2)
            throw Error(file, name, $"\"data_offsets\" must be [begin, end] but has {offsets.Length} element(s): {Clip(offsetsElement.Value.GetRawText())}; {ReSave}.");
        (long begin, long end) = (offsets[0], offsets[1]);
        if (end < begin)
            throw Error(file, name, $"data_offsets [{begin}, {end}] end before they begin; {ReSave}.");

        long count = SafeTensorEntry.CheckedElementCount(shape, out string? shapeProblem);
        if (shapeProblem is not null)
            throw Error(file, name, $"{shapeProblem} {ReSave}.");
        int size = dtype.ElementSize();
        if (count > long.MaxValue / size)
            throw Error(file, name, $"shape {SafeTensorEntry.FormatShape(shape)} × {size} bytes overflows a 64-bit byte count; the header is corrupt — {ReSave}.");
        if (end - begin != count * size)
        {
            throw Error(file, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes, but dtype {dtype.ToHeaderString()} with shape {SafeTensorEntry.FormatShape(shape)} " +
                $"needs {count} × {size} = {count * size} bytes; the header is inconsistent — {ReSave}.");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static SafeTensorDType ParseDType(JsonElement element, string name, string file)
    {
        if (element.ValueKind != JsonValueKind.String)
            throw Error(file, name, $"\"dtype\" must be a string such as \"F32\" but is {Kind(element)} ({Clip(element.GetRawText())}); {ReSave}.");
        string text = element.GetString()!;
        if (SafeTensorDTypes.TryParse(text, out SafeTensorDType dtype)) return dtype;
        if (SafeTensorDTypes.IsKnownUnsupported(text))
            throw Error(file, name, $"dtype \"{text}\" is valid safetensors but ResearchKit does not support it; convert the tensor to one of {SafeTensorDTypes.SupportedList} before saving (e.g. tensor.to(torch.int32) or .float() in PyTorch).");
        string hint = SafeTensorDTypes.TryParse(text.ToUpperInvariant(), out _) ? $" (dtype names are case-sensitive: use \"{text.ToUpperInvariant()}\")" : "";
        throw Error(file, name, $"unknown dtype \"{Clip(text)}\"{hint}; expected one of {SafeTensorDTypes.SupportedList} — {ReSave}.");
    }

    private static long[] ParseIntegers(JsonElement element, string field, string name, string file)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw Error(file, name, $"\"{field}\" must be an array of non-negative integers but is {Kind(element)} ({Clip(element.GetRawText())}); {ReSave}.");
        var values = new long[element.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            // TryGetInt64 rejects fractions and exponents ("2.0", "2e0"), matching serde's usize parsing.
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v))
                throw Error(file, name, $"\"{field}\" element {i} is {Clip(item.GetRawText())}, not an integer that fits in 64 bits; {ReSave}.");
            if (v < 0)
                throw Error(file, name, $"\"{field}\" element {i} is negative ({v}); sizes and offsets must be >= 0 — {ReSave}.");
            values[i++] = v;
        }
        return values;
    }

    private static int[] SortByOffset(List<TensorInfo> tensors)
    {
        var order = new int[tensors.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // Sort by (begin, end, header index) so zero-size tensors sharing an offset keep a deterministic order.
        Array.Sort(order, (a, b) =>
        {
            int c = tensors[a].Begin.CompareTo(tensors[b].Begin);
            if (c == 0) c = tensors[a].End.CompareTo(tensors[b].End);
            return c != 0 ? c : a.CompareTo(b);
        });
        return order;
    }

    /// <summary>Checks that the payloads tile [0, DataLength) with no hole and no overlap; returns DataLength.</summary>
    private static long CheckCoverage(List<TensorInfo> tensors, int[] order, string file)
    {
        long covered = 0;
        string? previous = null;
        foreach (int index in order)
        {
            TensorInfo t = tensors[index];
            if (t.Begin > covered)
            {
                string after = previous is null ? "at the start of the data buffer" : $"after tensor '{previous}'";
                throw Error(file, t.Name,
                    $"data_offsets [{t.Begin}, {t.End}] leave a hole: data bytes [{covered}, {t.Begin}) {after} belong to no tensor; " +
                    $"the data buffer must be covered exactly — the file is corrupt, {ReSave}.");
            }
            if (t.Begin < covered)
            {
                throw Error(file, t.Name,
                    $"data_offsets [{t.Begin}, {t.End}] overlap tensor '{previous}', which ends at {covered}; every data byte must belong to exactly one tensor — {ReSave}.");
            }
            covered = t.End;
            previous = t.Name;
        }
        return covered;
    }

    internal static SafeTensorsFormatException Error(string file, string? tensor, string problem, Exception? inner = null) =>
        new(problem, file, tensor, inner);

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static string Clip(string s) => s.Length <= 80 ? s : s[..77] + "...";

    private static string Describe(byte b) =>
        b is >= 0x20 and < 0x7F ? $"'{(char)b}' (0x{b:X2})" : $"byte 0x{b:X2}";

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> span)
    {
        int i = 0;
        while (i < span.Length)
        {
            if (Rune.DecodeFromUtf8(span[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return -1;
    }
}
