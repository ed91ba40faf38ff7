using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// A validated, ready-to-write file: the padded header bytes and the payload order.
/// </summary>
/// <remarks>
/// Layout: the header lists tensors in the caller's order (so a read returns them in that order), while payloads are
/// laid out by descending element size (8, 4, 2, 1 bytes; stable within a size). Together with the 8-byte header
/// padding this puts every payload at a file offset that is a multiple of its element size, as the reference writer
/// does (it sorts by dtype then name instead, i.e. it does not keep the caller's order).
/// </remarks>
internal sealed class SafeTensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _header;
    private readonly SafeTensorEntry[] _layout;

    private SafeTensorsWriter(byte[] header, SafeTensorEntry[] layout, long dataLength)
    {
        _header = header;
        _layout = layout;
        TotalLength = 8 + header.Length + dataLength;
    }

    /// <summary>Total file length in bytes.</summary>
    internal long TotalLength { get; }

    /// <summary>Validates the inputs and builds the header. Throws before anything is written.</summary>
    internal static SafeTensorsWriter Prepare(IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        ElementConversions.EnsureLittleEndian();
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<SafeTensorEntry>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (SafeTensorEntry? entry in entries)
        {
            if (entry is null)
                throw new ArgumentException($"SafeTensorsFile.Write: entry #{list.Count} is null; remove it.", nameof(entries));
            if (!names.TryAdd(entry.Name, list.Count))
                throw new ArgumentException($"SafeTensorsFile.Write: tensor name '{entry.Name}' is used by entries #{names[entry.Name]} and #{list.Count}; names must be unique.", nameof(entries));
            CheckText(entry.Name, $"tensor name '{entry.Name}'");
            list.Add(entry);
        }
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                if (pair.Value is null)
                    throw new ArgumentException($"SafeTensorsFile.Write: metadata value for key '{pair.Key}' is null; the format only stores strings (use \"\").", nameof(metadata));
                CheckText(pair.Key, $"metadata key '{pair.Key}'");
                CheckText(pair.Value, $"metadata value for key '{pair.Key}'");
            }
        }

        // Stable bucket sort by element size, descending: keeps every payload aligned to its element size.
        var layout = new SafeTensorEntry[list.Count];
        var begin = new long[list.Count];
        int k = 0;
        long offset = 0;
        foreach (int size in (ReadOnlySpan<int>)[8, 4, 2, 1])
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i].DType.ElementSize() != size) continue;
                layout[k++] = list[i];
                begin[i] = offset;
                offset += list[i].Data.Length;
            }
        }

        var buffer = new ArrayBufferWriter<byte>(256 + 96 * list.Count);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorEntry.MetadataKey);
                foreach (KeyValuePair<string, string> pair in metadata) json.WriteString(pair.Key, pair.Value);
                json.WriteEndObject();
            }
            for (int i = 0; i < list.Count; i++)
            {
                SafeTensorEntry e = list[i];
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType.ToHeaderString());
                json.WriteStartArray("shape");
                foreach (long dim in e.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(begin[i]);
                json.WriteNumberValue(begin[i] + e.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        // Pad with spaces (valid JSON whitespace) so the data buffer starts at a multiple of 8.
        int padded = (buffer.WrittenCount + 7) & ~7;
        if (padded > SafeTensorsHeader.MaxHeaderLength)
            throw new ArgumentException($"SafeTensorsFile.Write: the header would be {padded} bytes, above the {SafeTensorsHeader.MaxHeaderLength}-byte limit readers enforce; use shorter names/metadata or split the file.");
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return new SafeTensorsWriter(header, layout, offset);
    }

    /// <summary>Writes the length prefix, the header and every payload.</summary>
    internal void WriteTo(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)_header.Length);
        stream.Write(prefix);
        stream.Write(_header);
        foreach (SafeTensorEntry entry in _layout) stream.Write(entry.Data.Span);
    }

    /// <summary>Rejects strings with unpaired surrogates, which have no UTF-8 encoding.</summary>
    private static void CheckText(string text, string what)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"SafeTensorsFile.Write: {what} contains an unpaired UTF-16 surrogate at index {ex.Index} and cannot be stored as UTF-8; fix the string.", ex);
        }
    }
}
