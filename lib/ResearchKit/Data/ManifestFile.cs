using System.Text.Json.Serialization;

namespace ResearchKit.Data;

/// <summary>One dataset file as loaders read it (uncompressed), with how to verify it and where it comes from.</summary>
public sealed class ManifestFile
{
    /// <summary>Logical file name, e.g. <c>train-images-idx3-ubyte</c> or <c>data_batch_1.bin</c>.</summary>
    public string Name { get; init; } = "";
    /// <summary>Content format: <c>idx-images</c>, <c>idx-labels</c>, <c>cifar10-batch</c>, <c>cifar100-batch</c>, <c>text</c>.</summary>
    public string Format { get; init; } = "";
    /// <summary>Size of the uncompressed file in bytes, when known.</summary>
    public long? Size { get; init; }
    /// <summary>Lower-case hex sha256 of the uncompressed bytes, when known (never invented).</summary>
    public string? Sha256 { get; init; }
    /// <summary>How the file itself is verified: <c>sha256</c>, <c>size</c> (size + format checks) or <c>none</c>.</summary>
    public string ChecksumKind { get; init; } = "size";
    /// <summary>Optional files (class-name lists) are used when present and never fetched on their own.</summary>
    public bool Optional { get; init; }
    /// <summary>Path relative to a mirror folder laid out like <c>shared/data</c>, e.g. <c>mnist/train-images-idx3-ubyte.gz</c>.</summary>
    public string? Mirror { get; init; }
    /// <summary>Name of the dataset archive (<see cref="ManifestDataset.Archives"/>) holding this file, if any.</summary>
    public string? Archive { get; init; }
    /// <summary>Path of the file inside <see cref="Archive"/>.</summary>
    public string? Member { get; init; }
    /// <summary>A direct download of this one file, if it has one.</summary>
    public ManifestDownload? Download { get; init; }

    /// <summary>The dataset this file belongs to.</summary>
    [JsonIgnore] public ManifestDataset Dataset { get; internal set; } = null!;

    /// <summary>The URLs this file can be fetched from: its own download's, else its archive's.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Urls =>
        Download?.Urls ?? (Archive is null ? [] : Dataset.Archive(Archive)?.Urls ?? []);

    /// <inheritdoc/>
    public override string ToString() => $"{Dataset?.Id}/{Name}";
}
