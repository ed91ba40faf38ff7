namespace ResearchKit.Data;

/// <summary>One dataset of the manifest: its files and the archives they are published in.</summary>
public sealed class ManifestDataset
{
    /// <summary>Dataset id: <c>mnist</c>, <c>fashion-mnist</c>, <c>cifar-10</c>, <c>cifar-100</c>, <c>wikitext-2</c>, <c>ptb</c>.</summary>
    public string Id { get; init; } = "";
    /// <summary>Display name, e.g. "Fashion-MNIST".</summary>
    public string Name { get; init; } = "";
    /// <summary>The dataset's home page.</summary>
    public string? Homepage { get; init; }
    /// <summary>Files as loaders read them.</summary>
    public IReadOnlyList<ManifestFile> Files { get; init; } = [];
    /// <summary>Published archives holding some of <see cref="Files"/>.</summary>
    public IReadOnlyList<ManifestArchive> Archives { get; init; } = [];

    /// <summary>The file named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such file; the message lists the dataset's files.</exception>
    public ManifestFile File(string name)
    {
        foreach (var f in Files)
            if (f.Name == name) return f;
        throw new KeyNotFoundException(
            $"Dataset '{Id}' has no file '{name}'. Its files: {string.Join(", ", Files.Select(f => f.Name))}.");
    }

    /// <summary>The archive named <paramref name="name"/>, or null.</summary>
    public ManifestArchive? Archive(string name)
    {
        foreach (var a in Archives)
            if (a.Name == name) return a;
        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => Id;
}
