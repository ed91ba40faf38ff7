using System.Buffers.Binary;

namespace ResearchKit.Tensors.Serialization;

/// <summary>Reads a whole safetensors file from memory or a stream, validating everything before returning.</summary>
internal static class SafeTensorsReader
{
    private const string Redownload = "re-download or re-save the checkpoint";

    /// <summary>Parses a complete file image; entries are zero-copy slices of <paramref name="bytes"/>.</summary>
    internal static SafeTensorsDocument ReadMemory(ReadOnlyMemory<byte> bytes, string source)
    {
        ElementConversions.EnsureLittleEndian();
        ReadOnlySpan<byte> span = bytes.Span;
        if (span.Length < 8) throw TooShort(source, span);
        long n = CheckHeaderLength(span[..8], span.Length - 8L, source);
        SafeTensorsHeader header = SafeTensorsHeader.Parse(bytes.Slice(8, (int)n), source);
        long dataStart = 8 + n;
        CheckDataLength(header, dataStart, span.Length, source);

        var entries = new SafeTensorEntry[header.Tensors.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            SafeTensorsHeader.TensorInfo t = header.Tensors[i];
            entries[i] = new SafeTensorEntry(t.Name, t.DType, t.Shape, bytes.Slice((int)(dataStart + t.Begin), (int)t.ByteLength));
        }
        return new SafeTensorsDocument(entries, header.Metadata);
    }

    /// <summary>
    /// Reads from the current position to the end of <paramref name="stream"/>. Each tensor gets its own array, so files
    /// larger than 2 GB load as long as every single tensor is below <see cref="Array.MaxLength"/> bytes.
    /// </summary>
    internal static SafeTensorsDocument ReadStream(Stream stream, string source)
    {
        ElementConversions.EnsureLittleEndian();
        if (!stream.CanRead)
            throw new ArgumentException($"SafeTensorsFile.Read: the stream for '{source}' is not readable; open it for reading.", nameof(stream));
        // Seekable streams let us check the total length against the header before reading any tensor data.
        long? available = stream.CanSeek ? stream.Length - stream.Position : null;

        Span<byte> prefix = stackalloc byte[8];
        int got = ReadAtMost(stream, prefix);
        if (got < 8) throw TooShort(source, prefix[..got]);
        long n = CheckHeaderLength(prefix, available - 8, source);
        byte[] headerBytes = new byte[n];
        got = ReadAtMost(stream, headerBytes);
        if (got < n) throw HeaderTruncated(source, n, 8L + got, prefix);
        SafeTensorsHeader header = SafeTensorsHeader.Parse(headerBytes, source);
        long dataStart = 8 + n;
        if (available is long total) CheckDataLength(header, dataStart, total, source);

        var data = new ReadOnlyMemory<byte>[header.Tensors.Count];
        long position = dataStart;
        foreach (int index in header.OffsetOrder)
        {
            SafeTensorsHeader.TensorInfo t = header.Tensors[index];
            if (t.ByteLength > Array.MaxLength)
            {
                // Without a length (non-seekable stream) a huge claim may just be a corrupt header: report truncation
                // if the stream ends before Array.MaxLength more bytes, the size limitation otherwise.
                long drained = available is null ? Drain(stream, Array.MaxLength + 1L) : t.ByteLength;
                if (drained <= Array.MaxLength)
                    throw DataTruncated(source, t.Name, (ulong)dataStart + (ulong)header.DataLength, position + drained, "the stream ended after");
                throw new NotSupportedException(
                    $"SafeTensorsFile.Read '{source}': tensor '{t.Name}' has {t.ByteLength} bytes, more than a .NET array can hold ({Array.MaxLength}); split the tensor before saving.");
            }
            byte[] buffer = t.ByteLength == 0 ? [] : GC.AllocateUninitializedArray<byte>((int)t.ByteLength);
            got = ReadAtMost(stream, buffer);
            position += got;
            if (got < buffer.Length)
                throw DataTruncated(source, t.Name, (ulong)dataStart + (ulong)header.DataLength, position, "the stream ended after");
            data[index] = buffer;
        }
        if (available is null && stream.ReadByte() >= 0)
            throw SafeTensorsHeader.Error(source, null,
                $"there are trailing bytes after the last tensor, which ends at byte {position}; the tensors must cover the data buffer exactly — the file is corrupt or was appended to, {Redownload}.");

        var entries = new SafeTensorEntry[data.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            SafeTensorsHeader.TensorInfo t = header.Tensors[i];
            entries[i] = new SafeTensorEntry(t.Name, t.DType, t.Shape, data[i]);
        }
        return new SafeTensorsDocument(entries, header.Metadata);
    }

    /// <summary>Validates the 8-byte little-endian header length against the 100 MB limit and the bytes available.</summary>
    private static long CheckHeaderLength(ReadOnlySpan<byte> prefix, long? availableAfterPrefix, string source)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > SafeTensorsHeader.MaxHeaderLength)
        {
            throw SafeTensorsHeader.Error(source, null,
                $"the header length prefix says {n} bytes, more than the {SafeTensorsHeader.MaxHeaderLength}-byte limit; {Sniff(prefix) ?? $"this is not a safetensors file or it is corrupt — {Redownload}"}.");
        }
        if (availableAfterPrefix is long available && (long)n > available)
            throw HeaderTruncated(source, (long)n, 8 + available, prefix);
        return (long)n;
    }

    /// <summary>The data buffer must end exactly at the end of the file: no missing bytes, no trailing bytes.</summary>
    private static void CheckDataLength(SafeTensorsHeader header, long dataStart, long total, string source)
    {
        // Compare lengths, not end positions: dataStart + DataLength can exceed long.MaxValue for a hostile header.
        long available = total - dataStart;
        ulong dataEnd = (ulong)dataStart + (ulong)header.DataLength;
        if (header.DataLength > available)
        {
            string cut = "";
            foreach (int index in header.OffsetOrder)
            {
                if (header.Tensors[index].End > available) { cut = header.Tensors[index].Name; break; }
            }
            throw DataTruncated(source, cut, dataEnd, total, "the file has");
        }
        if (header.DataLength < available)
        {
            throw SafeTensorsHeader.Error(source, null,
                $"the header says the data ends at byte {dataEnd} but the file has {total} bytes ({available - header.DataLength} trailing bytes after the last tensor); " +
                $"the tensors must cover the data buffer exactly — the file is corrupt or was appended to, {Redownload}.");
        }
    }

    private static SafeTensorsFormatException TooShort(string source, ReadOnlySpan<byte> got) =>
        SafeTensorsHeader.Error(source, null,
            $"the file is truncated: it has only {got.Length} bytes, but a safetensors file starts with an 8-byte header length{(got.Length == 0 ? " (the file is empty)" : "")}; {Redownload}.");

    private static SafeTensorsFormatException HeaderTruncated(string source, long n, long fileLength, ReadOnlySpan<byte> prefix) =>
        SafeTensorsHeader.Error(source, null,
            $"the file is truncated: the header length prefix says the JSON header ends at byte {8 + n} but the file has {fileLength} bytes; " +
            $"{Sniff(prefix) ?? Redownload}.");

    private static SafeTensorsFormatException DataTruncated(string source, string tensor, ulong dataEnd, long fileLength, string has) =>
        SafeTensorsHeader.Error(source, tensor.Length == 0 ? null : tensor,
            $"the file is truncated: the header says the data ends at byte {dataEnd} but {has} {fileLength} bytes" +
            $"{(tensor.Length == 0 ? "" : " (this tensor is incomplete)")}; {Redownload}.");

    /// <summary>Recognises files that are commonly mistaken for safetensors, to turn a cryptic length error into a fix.</summary>
    private static string? Sniff(ReadOnlySpan<byte> prefix)
    {
        if (prefix.StartsWith("version "u8))
            return "this is a Git LFS pointer file, not the checkpoint itself — run 'git lfs pull' (or download the real file)";
        if (prefix.StartsWith("PK\x03\x04"u8))
            return "this is a zip archive, probably a PyTorch torch.save() checkpoint (.pt/.bin) — load it with torch.load and save it with safetensors.torch.save_file";
        if (prefix.Length >= 2 && prefix[0] == 0x80 && prefix[1] <= 5)
            return "this looks like a Python pickle (legacy torch.save format) — load it with torch.load and save it with safetensors.torch.save_file";
        return null;
    }

    /// <summary>Skips up to <paramref name="limit"/> bytes; returns how many the stream had.</summary>
    private static long Drain(Stream stream, long limit)
    {
        byte[] scratch = new byte[1 << 16];
        long total = 0;
        while (total < limit)
        {
            int read = stream.Read(scratch, 0, (int)Math.Min(scratch.Length, limit - total));
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the byte count read.</summary>
    private static int ReadAtMost(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer[total..]);
            if (read == 0) break;
            total += read;
        }
        return total;
    }
}
