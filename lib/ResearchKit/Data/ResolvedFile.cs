using System.IO.Compression;

namespace ResearchKit.Data;

/// <summary>A verified dataset file ready to be read.</summary>
/// <param name="File">Its manifest entry.</param>
/// <param name="Path">The file on disk.</param>
/// <param name="IsGzip">Whether <paramref name="Path"/> is gzip-compressed (read through <see cref="OpenRead"/>).</param>
/// <param name="Source">Where it was found.</param>
public sealed record ResolvedFile(ManifestFile File, string Path, bool IsGzip, DataSource Source)
{
    /// <summary>Opens the uncompressed content.</summary>
    public Stream OpenRead() => DataStreams.OpenRead(Path, IsGzip);

    /// <summary>Reads the whole uncompressed content.</summary>
    public byte[] ReadAllBytes() => DataStreams.ReadAllBytes(Path, IsGzip, File.Size);
}
