namespace ResearchKit.Data;

/// <summary>A small real sample committed under the repository's <c>data/samples</c>.</summary>
public sealed class ManifestSample
{
    /// <summary>Sample id, e.g. <c>mnist-test-images-1000</c>.</summary>
    public string Id { get; init; } = "";
    /// <summary>The dataset it is taken from.</summary>
    public string Dataset { get; init; } = "";
    /// <summary>Path relative to the repository's <c>data</c> folder, e.g. <c>samples/mnist/...gz</c>.</summary>
    public string Path { get; init; } = "";
    /// <summary>Size of the uncompressed bytes.</summary>
    public long Size { get; init; }
    /// <summary>sha256 of the uncompressed bytes.</summary>
    public string Sha256 { get; init; } = "";
    /// <summary>What the sample holds.</summary>
    public string? Description { get; init; }
}
