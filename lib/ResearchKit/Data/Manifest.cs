using System.Text.Json;

namespace ResearchKit.Data;

/// <summary>
/// The dataset manifest (<c>data/manifest.json</c>, embedded in the ResearchKit assembly): every dataset file with its
/// canonical URLs, sizes and checksums, archive members and mirror paths, plus the committed samples.
/// </summary>
public sealed class Manifest
{
    private const string ResourceName = "ResearchKit.Data.manifest.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // A misspelt key would otherwise silently drop a checksum.
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly Lazy<Manifest> Embedded = new(LoadEmbedded);

    /// <summary>Manifest format version.</summary>
    public int Format { get; init; }
    /// <summary>What the fields mean.</summary>
    public string? Description { get; init; }
    /// <summary>The datasets.</summary>
    public IReadOnlyList<ManifestDataset> Datasets { get; init; } = [];
    /// <summary>The samples committed under <c>data/samples</c>.</summary>
    public IReadOnlyList<ManifestSample> Samples { get; init; } = [];

    /// <summary>The manifest embedded in ResearchKit.</summary>
    public static Manifest Default => Embedded.Value;

    /// <summary>Parses and validates a manifest.</summary>
    /// <exception cref="InvalidDataException">The JSON is malformed or inconsistent; the message says where.</exception>
    public static Manifest Parse(string json)
    {
        Manifest? m;
        try { m = JsonSerializer.Deserialize<Manifest>(json, JsonOptions); }
        catch (JsonException e) { throw new InvalidDataException($"Dataset manifest is not valid: {e.Message}", e); }
        if (m is null) throw new InvalidDataException("Dataset manifest is empty (JSON null).");
        m.Link();
        return m;
    }

    /// <summary>Reads, parses and validates a manifest file.</summary>
    public static Manifest Load(string path) => Parse(System.IO.File.ReadAllText(path));

    /// <summary>The dataset with id <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">Unknown id; the message lists the known ones.</exception>
    public ManifestDataset Dataset(string id)
    {
        foreach (var d in Datasets)
            if (string.Equals(d.Id, id, StringComparison.OrdinalIgnoreCase)) return d;
        throw new KeyNotFoundException($"Unknown dataset '{id}'. Known datasets: {string.Join(", ", Datasets.Select(d => d.Id))}.");
    }

    /// <summary>The file <paramref name="name"/> of dataset <paramref name="datasetId"/>.</summary>
    public ManifestFile File(string datasetId, string name) => Dataset(datasetId).File(name);

    /// <summary>The sample with id <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">Unknown sample id.</exception>
    public ManifestSample Sample(string id)
    {
        foreach (var s in Samples)
            if (s.Id == id) return s;
        throw new KeyNotFoundException($"Unknown sample '{id}'. Known samples: {string.Join(", ", Samples.Select(s => s.Id))}.");
    }

    private static Manifest LoadEmbedded()
    {
        using var s = typeof(Manifest).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"ResearchKit was built without its embedded dataset manifest '{ResourceName}'.");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd());
    }

    // Sets back-references and rejects inconsistencies early, so a bad entry fails at load and not mid-download.
    private void Link()
    {
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in Datasets)
        {
            if (string.IsNullOrWhiteSpace(d.Id) || !ids.Add(d.Id))
                throw new InvalidDataException($"Dataset manifest: dataset id '{d.Id}' is empty or repeated.");
            var names = new HashSet<string>();
            foreach (var a in d.Archives)
            {
                if (a.Kind is not ("tar.gz" or "zip"))
                    throw new InvalidDataException($"Dataset manifest: archive {d.Id}/{a.Name} has kind '{a.Kind}', expected 'tar.gz' or 'zip'.");
                CheckHex(a.Md5, 32, $"{d.Id}/{a.Name} md5");
            }
            foreach (var f in d.Files)
            {
                if (string.IsNullOrWhiteSpace(f.Name) || !names.Add(f.Name))
                    throw new InvalidDataException($"Dataset manifest: file name '{f.Name}' in '{d.Id}' is empty or repeated.");
                CheckHex(f.Sha256, 64, $"{d.Id}/{f.Name} sha256");
                CheckHex(f.Download?.Md5, 32, $"{d.Id}/{f.Name} download md5");
                if (f.Archive is not null && (d.Archive(f.Archive) is null || string.IsNullOrEmpty(f.Member)))
                    throw new InvalidDataException($"Dataset manifest: {d.Id}/{f.Name} names archive '{f.Archive}' which is not listed, or has no member path.");
                if (f.Download is { Compression: not ("gzip" or "none") })
                    throw new InvalidDataException($"Dataset manifest: {d.Id}/{f.Name} download compression '{f.Download.Compression}' is not 'gzip' or 'none'.");
                string expectedKind = f.Sha256 is not null ? "sha256" : f.Size is not null ? "size" : "none";
                if (f.ChecksumKind != expectedKind)
                    throw new InvalidDataException($"Dataset manifest: {d.Id}/{f.Name} has checksum_kind '{f.ChecksumKind}' but its fields give '{expectedKind}'.");
                f.Dataset = d;
            }
        }
        foreach (var s in Samples) CheckHex(s.Sha256, 64, $"sample {s.Id} sha256");
    }

    private static void CheckHex(string? hex, int length, string what)
    {
        if (hex is null) return;
        if (hex.Length != length || !hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            throw new InvalidDataException($"Dataset manifest: {what} '{hex}' is not {length} lower-case hex digits.");
    }
}
