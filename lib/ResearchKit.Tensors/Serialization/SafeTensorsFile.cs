namespace ResearchKit.Tensors.Serialization;

/// <summary>
/// Reads and writes Hugging Face <c>.safetensors</c> files: an 8-byte little-endian header length N, N bytes of UTF-8
/// JSON (<c>name → {"dtype", "shape", "data_offsets"}</c> plus optional <c>"__metadata__"</c> strings, padded with
/// spaces), then the little-endian row-major tensor bytes, which the offsets must cover exactly.
/// </summary>
/// <remarks>
/// Reading is strict: every deviation (truncation, trailing bytes, holes, overlaps, offsets that disagree with
/// dtype × shape, unknown dtypes or fields, duplicate names, invalid JSON/UTF-8, a header not starting with '{',
/// a header over 100 MB) throws a <see cref="SafeTensorsFormatException"/> naming the file, the tensor and the fix.
/// Writing keeps the caller's tensor order in the header, aligns every payload to its element size, and pads the
/// header to 8 bytes like the reference writer. Only little-endian hosts are supported
/// (<see cref="PlatformNotSupportedException"/> otherwise).
/// </remarks>
public static class SafeTensorsFile
{
    /// <summary>Reads and validates the file at <paramref name="path"/>. Each tensor gets its own byte array.</summary>
    /// <exception cref="SafeTensorsFormatException">The file violates the format.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">A single tensor exceeds <see cref="Array.MaxLength"/> bytes.</exception>
    public static SafeTensorsDocument Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // bufferSize 0: we read the header and whole tensors in large blocks, so FileStream buffering only adds a copy.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        return SafeTensorsReader.ReadStream(stream, path);
    }

    /// <summary>
    /// Reads and validates a file from the current position of <paramref name="stream"/> to its end (the stream is not
    /// closed). Non-seekable streams work too; then truncation is detected while reading.
    /// </summary>
    /// <param name="stream">Readable stream.</param>
    /// <param name="sourceName">Name for error messages; defaults to the <see cref="FileStream"/> path or <c>"&lt;stream&gt;"</c>.</param>
    /// <exception cref="SafeTensorsFormatException">The data violates the format.</exception>
    public static SafeTensorsDocument Read(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return SafeTensorsReader.ReadStream(stream, sourceName ?? (stream as FileStream)?.Name ?? "<stream>");
    }

    /// <summary>
    /// Reads and validates a complete file image held in memory. Entries are zero-copy slices of
    /// <paramref name="bytes"/>, so the buffer must stay unchanged while the entries are used.
    /// </summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">Name for error messages; defaults to <c>"&lt;memory&gt;"</c>.</param>
    /// <exception cref="SafeTensorsFormatException">The data violates the format.</exception>
    public static SafeTensorsDocument Read(ReadOnlyMemory<byte> bytes, string? sourceName = null) =>
        SafeTensorsReader.ReadMemory(bytes, sourceName ?? "<memory>");

    /// <summary>
    /// Writes <paramref name="entries"/> to <paramref name="path"/> atomically: the file is written to a hidden temporary
    /// file in the same directory, flushed to disk, then renamed over <paramref name="path"/>. A crash or exception
    /// mid-save leaves either the old file or the complete new one, never a partial file; the temporary file is
    /// deleted on failure.
    /// </summary>
    /// <param name="path">Destination; its directory must exist. An existing file is replaced.</param>
    /// <param name="entries">Tensors; names must be unique. The header lists them in this order.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings (e.g. <c>{"format": "pt"}</c>); omitted when null or empty.</param>
    /// <exception cref="ArgumentException">Duplicate or invalid names, null metadata values.</exception>
    /// <exception cref="DirectoryNotFoundException">The destination directory does not exist.</exception>
    public static void Write(string path, IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensorsWriter plan = SafeTensorsWriter.Prepare(entries, metadata); // validate before touching the disk
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"SafeTensorsFile.Write: '{path}' is a root directory, not a file path.", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"SafeTensorsFile.Write: directory '{directory}' does not exist; create it first (Directory.CreateDirectory).");

        // Same directory, so the final rename stays on one file system and is atomic (rename(2) / MoveFileEx).
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                plan.WriteTo(stream);
                stream.Flush(flushToDisk: true); // data must be durable before the rename makes it visible
            }
            // .NET offers no directory fsync, so after a power loss the rename itself may be lost (old file kept),
            // but the destination is never a partially written file.
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes a document (its entries in order and its metadata) atomically; see <see cref="Write(string, IEnumerable{SafeTensorEntry}, IReadOnlyDictionary{string, string}?)"/>.</summary>
    public static void Write(string path, SafeTensorsDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        Write(path, document.Entries, document.Metadata);
    }

    /// <summary>Writes a complete safetensors file to <paramref name="stream"/> at its current position (not atomic; the stream is not closed).</summary>
    /// <exception cref="ArgumentException">Duplicate or invalid names, null metadata values, or a non-writable stream.</exception>
    public static void Write(Stream stream, IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
            throw new ArgumentException("SafeTensorsFile.Write: the stream is not writable; open it for writing.", nameof(stream));
        SafeTensorsWriter.Prepare(entries, metadata).WriteTo(stream);
    }

    /// <summary>Serializes to a new byte array (the exact bytes <see cref="Write(Stream, IEnumerable{SafeTensorEntry}, IReadOnlyDictionary{string, string}?)"/> produces).</summary>
    /// <exception cref="ArgumentException">Invalid input, or the file would exceed <see cref="Array.MaxLength"/> bytes.</exception>
    public static byte[] Serialize(IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        SafeTensorsWriter plan = SafeTensorsWriter.Prepare(entries, metadata);
        if (plan.TotalLength > Array.MaxLength)
            throw new ArgumentException($"SafeTensorsFile.Serialize: the file would be {plan.TotalLength} bytes, too large for one array; use Write(path, ...) instead.", nameof(entries));
        var bytes = new byte[plan.TotalLength];
        using var stream = new MemoryStream(bytes, writable: true);
        plan.WriteTo(stream);
        return bytes;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original exception is more useful than a cleanup failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
