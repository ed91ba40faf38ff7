namespace ResearchKit.Data;

/// <summary>
/// Where and how dataset files are found. Every property is optional: by default files are looked up in
/// <c>RESEARCHKIT_DATA</c>, the user cache, the mirror <c>RESEARCHKIT_DATA_MIRROR</c>, and finally downloaded.
/// </summary>
public sealed class DataOptions
{
    /// <summary>
    /// Explicit location, tried first: a folder holding the dataset's files (same layouts as <see cref="DataDir"/>), or
    /// a single file used for the dataset file whose name it carries (with or without <c>.gz</c>).
    /// </summary>
    public string? Path { get; set; }

    /// <summary>A folder of dataset files, tried before the <c>RESEARCHKIT_DATA</c> folder.</summary>
    public string? DataDir { get; set; }

    /// <summary>A mirror laid out like the workplace's <c>shared/data</c>; overrides <c>RESEARCHKIT_DATA_MIRROR</c>.</summary>
    public string? MirrorDir { get; set; }

    /// <summary>
    /// Cache folder for decompressed, extracted and downloaded files; default <c>$XDG_CACHE_HOME/researchkit</c> or
    /// <c>~/.cache/researchkit</c>.
    /// </summary>
    public string? CacheDir { get; set; }

    /// <summary>Whether a file found nowhere locally may be downloaded from its canonical URL(s).</summary>
    public bool AllowDownload { get; set; } = true;

    /// <summary>Receives download progress (bytes so far / total).</summary>
    public IProgress<DownloadProgress>? Progress { get; set; }

    /// <summary>HTTP handler for downloads (proxies, tests); null uses a default <see cref="HttpClientHandler"/>.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>The dataset manifest; null uses the one embedded in ResearchKit (<c>data/manifest.json</c>).</summary>
    public Manifest? Manifest { get; set; }

    /// <summary>Environment lookup; tests replace it so they never read or write the real user's folders.</summary>
    internal Func<string, string?> GetEnvironment { get; set; } = Environment.GetEnvironmentVariable;
}
