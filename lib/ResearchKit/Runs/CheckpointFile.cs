using ResearchKit.Tensors;
using ResearchKit.Tensors.Serialization;

namespace ResearchKit.Runs;

/// <summary>
/// A checkpoint file is corrupt: truncated, its header is not valid safetensors, or its contents do not match the
/// SHA-256 checksum stored when it was written. The file must not be resumed from.
/// </summary>
/// <remarks>
/// <see cref="SqliteRunStore.LatestCheckpoint"/> does not throw it: it moves such a file aside and falls back to the
/// previous checkpoint. It reaches callers of <see cref="CheckpointFile.Read"/> directly.
/// </remarks>
public sealed class CheckpointCorruptException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The corrupt file.</param>
    /// <param name="reason">What is wrong with it.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CheckpointCorruptException(string path, string reason, Exception? innerException = null)
        : base($"Checkpoint '{path}' is corrupt: {reason}. Do not resume from it: resume from an earlier checkpoint " +
               "(the run store does this by itself), or train again from scratch (`rk train ... --restart`).", innerException)
    {
        FilePath = path;
        Reason = reason;
    }

    /// <summary>The corrupt file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it (without the advice).</summary>
    public string Reason { get; }
}

/// <summary>The contents of a checkpoint file.</summary>
/// <param name="Tensors">Tensors by name.</param>
/// <param name="Metadata">Metadata strings (the checksum key removed).</param>
/// <param name="Verified">True when the file carried a checksum and it matched; false for a file written without one (older ResearchKit).</param>
public sealed record CheckpointFileContents(Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata, bool Verified);

/// <summary>
/// Checksummed safetensors checkpoint files, shared by the run store and the ticket search: written atomically (temp
/// file, flush, rename) with a SHA-256 of their contents in <c>__metadata__</c> (<see cref="SafeTensorsChecksum"/>),
/// and verified on read.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Writes the tensors and metadata with their checksum, atomically.</summary>
    /// <exception cref="ArgumentException">Metadata uses the reserved key <see cref="SafeTensorsChecksum.MetadataKey"/>, or invalid names.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.ContainsKey(SafeTensorsChecksum.MetadataKey))
            throw new ArgumentException($"CheckpointFile.Write: metadata key '{SafeTensorsChecksum.MetadataKey}' is reserved for the checksum; rename it.", nameof(metadata));
        var entries = new List<SafeTensorEntry>(tensors.Count);
        foreach (var (name, t) in tensors) entries.Add(SafeTensors.ToEntry(name, t));
        // The checksum is computed from the very entries that are written, so the file and its checksum agree.
        SafeTensorsFile.Write(path, entries, SafeTensorsChecksum.WithChecksum(entries, metadata));
    }

    /// <summary>Reads and verifies a checkpoint file.</summary>
    /// <exception cref="CheckpointCorruptException">Truncated, malformed, or the checksum does not match.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file could not be read (the disk, permissions); it may be fine.</exception>
    public static CheckpointFileContents Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensorsDocument doc;
        try { doc = SafeTensorsFile.Read(path); }
        catch (SafeTensorsFormatException e) { throw new CheckpointCorruptException(path, e.Message, e); }
        var status = SafeTensorsChecksum.Check(doc, out string? expected, out string? actual);
        if (status == SafeTensorsChecksumStatus.Mismatch)
            throw new CheckpointCorruptException(path, $"its contents do not match the checksum stored when it was written (stored {expected}, computed {actual})");
        var tensors = new Dictionary<string, Tensor>(doc.Count, StringComparer.Ordinal);
        try
        {
            foreach (var e in doc.Entries) tensors[e.Name] = SafeTensors.ToTensor(e);
        }
        catch (NotSupportedException e) { throw new CheckpointCorruptException(path, e.Message, e); }
        var meta = new Dictionary<string, string>(doc.Metadata.Count, StringComparer.Ordinal);
        foreach (var (k, v) in doc.Metadata)
            if (k != SafeTensorsChecksum.MetadataKey) meta[k] = v;
        return new CheckpointFileContents(tensors, meta, status == SafeTensorsChecksumStatus.Verified);
    }

    /// <summary>
    /// Moves a corrupt file aside to <c>&lt;path&gt;.corrupt</c> (or <c>.corrupt-2</c>, … when taken) so that nothing
    /// resumes from it again while it stays available for inspection. Returns the new path, or null when it could not be moved.
    /// </summary>
    public static string? MoveAside(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (int i = 1; i < 1000; i++)
        {
            string target = i == 1 ? path + ".corrupt" : $"{path}.corrupt-{i}";
            if (File.Exists(target)) continue;
            try
            {
                File.Move(path, target, overwrite: false);
                return target;
            }
            catch (IOException) when (File.Exists(target)) { } // lost a race for the name: try the next
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        }
        return null;
    }
}
