namespace ResearchKit.Data;

/// <summary>A published archive (tar.gz or zip) that holds several dataset files.</summary>
public sealed class ManifestArchive
{
    /// <summary>File name of the archive, e.g. <c>cifar-10-binary.tar.gz</c>.</summary>
    public string Name { get; init; } = "";
    /// <summary><c>tar.gz</c> or <c>zip</c>.</summary>
    public string Kind { get; init; } = "";
    /// <summary>Size in bytes, when known.</summary>
    public long? Size { get; init; }
    /// <summary>Published md5 (lower-case hex), when known.</summary>
    public string? Md5 { get; init; }
    /// <summary>What <see cref="Md5"/>/<see cref="Size"/> can check: <c>md5</c>, <c>size</c> or <c>none</c>.</summary>
    public string ChecksumKind { get; init; } = "none";
    /// <summary>Canonical URLs, tried in order.</summary>
    public IReadOnlyList<string> Urls { get; init; } = [];
    /// <summary>Path relative to a mirror folder.</summary>
    public string? Mirror { get; init; }
}
