namespace ResearchKit.Data;

/// <summary>A direct download of one dataset file.</summary>
public sealed class ManifestDownload
{
    /// <summary>Canonical URLs, tried in order.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];
    /// <summary><c>gzip</c> when the download is the gzip-compressed file, <c>none</c> when it is the file itself.</summary>
    public string Compression { get; init; } = "none";
    /// <summary>Published size of the download in bytes, if known (informational: the uncompressed sha256 decides).</summary>
    public long? Size { get; init; }
    /// <summary>Published md5 of the download, if known (informational: re-compressed mirrors differ, the content does not).</summary>
    public string? Md5 { get; init; }
}
