using System.Security.Cryptography;
using System.Text;

namespace ResearchKit.Data;

/// <summary>
/// Finds, verifies and if needed fetches dataset files. Order: <see cref="DataOptions.Path"/> →
/// <see cref="DataOptions.DataDir"/> and <c>RESEARCHKIT_DATA</c> → the user cache → the mirror
/// (<see cref="DataOptions.MirrorDir"/> or <c>RESEARCHKIT_DATA_MIRROR</c>; gzip files are decompressed into the cache)
/// → download from the canonical URLs into the cache (temp name, verify, atomic rename).
/// </summary>
/// <remarks>
/// Every file is checked once against the manifest (sha256 of the uncompressed bytes when known, else size and format;
/// archives by their published md5) and a <c>.verified</c> stamp (length + mtime + hash) spares re-hashing on later loads.
/// Stamps of cached files sit next to them; stamps of files elsewhere (possibly read-only) go to <c>cache/verified/</c>.
/// </remarks>
public sealed class DataResolver
{
    /// <summary>Environment variable naming a folder of dataset files.</summary>
    public const string DataDirVariable = "RESEARCHKIT_DATA";
    /// <summary>Environment variable naming a mirror folder laid out like the workplace's <c>shared/data</c>.</summary>
    public const string MirrorVariable = "RESEARCHKIT_DATA_MIRROR";

    /// <summary>Creates a resolver for the given options (null = defaults and environment).</summary>
    public DataResolver(DataOptions? options = null)
    {
        Options = options ?? new DataOptions();
        Manifest = Options.Manifest ?? Manifest.Default;
        var env = Options.GetEnvironment;
        CacheDir = System.IO.Path.GetFullPath(NonEmpty(Options.CacheDir) ?? DefaultCacheDir(env));
        var dirs = new List<string>();
        if (NonEmpty(Options.DataDir) is { } d) dirs.Add(System.IO.Path.GetFullPath(d));
        if (NonEmpty(env(DataDirVariable)) is { } e) dirs.Add(System.IO.Path.GetFullPath(e));
        DataDirs = dirs;
        var mirror = NonEmpty(Options.MirrorDir) ?? NonEmpty(env(MirrorVariable));
        MirrorDir = mirror is null ? null : System.IO.Path.GetFullPath(mirror);
    }

    /// <summary>The options in use.</summary>
    public DataOptions Options { get; }
    /// <summary>The manifest in use.</summary>
    public Manifest Manifest { get; }
    /// <summary>The cache folder (absolute).</summary>
    public string CacheDir { get; }
    /// <summary><see cref="DataOptions.DataDir"/> then <c>RESEARCHKIT_DATA</c>, when set (absolute).</summary>
    public IReadOnlyList<string> DataDirs { get; }
    /// <summary>The mirror folder, when set (absolute).</summary>
    public string? MirrorDir { get; }

    /// <summary><c>$XDG_CACHE_HOME/researchkit</c>, else <c>~/.cache/researchkit</c>.</summary>
    public static string DefaultCacheDir(Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        if (NonEmpty(getEnvironment("XDG_CACHE_HOME")) is { } xdg) return System.IO.Path.Combine(xdg, "researchkit");
        string home = NonEmpty(getEnvironment("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return System.IO.Path.Combine(home, ".cache", "researchkit");
    }

    /// <summary>Where file <paramref name="file"/> lives in the cache.</summary>
    public string CachePath(ManifestFile file) => System.IO.Path.Combine(CacheDir, file.Dataset.Id, file.Name);

    /// <summary>Resolves file <paramref name="fileName"/> of dataset <paramref name="datasetId"/> (see <see cref="ResolveAsync"/>).</summary>
    public ResolvedFile Resolve(string datasetId, string fileName) => Resolve(Manifest.File(datasetId, fileName));

    /// <summary>Resolves <paramref name="file"/> synchronously (see <see cref="ResolveAsync"/>).</summary>
    public ResolvedFile Resolve(ManifestFile file) => ResolveAsync(file).GetAwaiter().GetResult();

    /// <summary>
    /// Finds <paramref name="file"/> locally (in resolution order) or downloads it, verifies it and returns where to read it.
    /// </summary>
    /// <exception cref="DataNotFoundException">Nowhere local, and downloading is off or failed.</exception>
    /// <exception cref="DataIntegrityException">The file found (or downloaded) is corrupt.</exception>
    public async Task<ResolvedFile> ResolveAsync(ManifestFile file, CancellationToken cancellationToken = default)
    {
        if (TryResolveLocal(file) is { } local) return local;
        if (!Options.AllowDownload || file.Urls.Count == 0)
            throw NotFound(file, downloadErrors: null);
        return await DownloadAsync(file, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves <paramref name="file"/> from local places only (no download); null when it is nowhere.</summary>
    /// <exception cref="DataIntegrityException">The file found is corrupt.</exception>
    public ResolvedFile? TryResolveLocal(ManifestFile file)
    {
        foreach (var loc in Locate(file))
            if (Materialize(file, loc, force: false) is { } r) return r;
        return null;
    }

    /// <summary>Re-hashes the local copy of <paramref name="file"/> ignoring any stamp (for <c>rk data verify</c>).</summary>
    /// <exception cref="DataNotFoundException">There is no local copy.</exception>
    /// <exception cref="DataIntegrityException">It is corrupt.</exception>
    public ResolvedFile VerifyLocal(ManifestFile file)
    {
        foreach (var loc in Locate(file))
            if (Materialize(file, loc, force: true) is { } r) return r;
        throw NotFound(file, downloadErrors: null, mentionDownload: false);
    }

    /// <summary>
    /// Every existing local place <paramref name="file"/> can be had from, in resolution order, without reading or
    /// writing anything. The first one is what <see cref="Resolve(ManifestFile)"/> uses.
    /// </summary>
    public IEnumerable<DataLocation> Locate(ManifestFile file)
    {
        if (NonEmpty(Options.Path) is { } p)
        {
            p = System.IO.Path.GetFullPath(p);
            if (File.Exists(p))
            {
                string name = System.IO.Path.GetFileName(p);
                if (FileNames(file).Contains(name)) yield return new DataLocation(DataSource.ExplicitPath, p, null);
                else if (ArchiveOf(file) is { } a && (name == a.Name || name == System.IO.Path.GetFileName(a.Mirror)))
                    yield return new DataLocation(DataSource.ExplicitPath, p, a);
            }
            else if (Directory.Exists(p))
                foreach (var l in InFolder(p, file, DataSource.ExplicitPath)) yield return l;
        }
        foreach (var d in DataDirs)
            foreach (var l in InFolder(d, file, DataSource.DataDir)) yield return l;
        string cached = CachePath(file);
        if (File.Exists(cached)) yield return new DataLocation(DataSource.Cache, cached, null);
        if (ArchiveOf(file) is { } ca && System.IO.Path.Combine(CacheDir, file.Dataset.Id, ca.Name) is var cap && File.Exists(cap))
            yield return new DataLocation(DataSource.Cache, cap, ca);
        if (MirrorDir is not null)
            foreach (var l in InFolder(MirrorDir, file, DataSource.Mirror)) yield return l;
    }

    /// <summary>Whether <paramref name="location"/> holds a valid <c>.verified</c> stamp for <paramref name="file"/> (no hashing).</summary>
    public bool IsStamped(ManifestFile file, DataLocation location)
    {
        if (location.Archive is not null || file.ChecksumKind == "none") return false;
        return VerifiedStamp.Read(StampPath(location.Path)) is { } s && s.Matches(location.Path, file.Size, Sha256Tag(file));
    }

    // ---- local candidates -------------------------------------------------------------------------------------------

    private static ManifestArchive? ArchiveOf(ManifestFile f) => f.Archive is null ? null : f.Dataset.Archive(f.Archive);

    // Names a copy of the file may carry: its own, with .gz, its mirror name, its archive member name.
    private static HashSet<string> FileNames(ManifestFile f)
    {
        var names = new HashSet<string> { f.Name, f.Name + ".gz" };
        if (f.Mirror is not null) names.Add(System.IO.Path.GetFileName(f.Mirror));
        if (f.Member is not null) names.Add(System.IO.Path.GetFileName(f.Member));
        return names;
    }

    // A user folder may hold the file flat, per dataset, in the mirror layout or as extracted from its archive.
    private IEnumerable<DataLocation> InFolder(string dir, ManifestFile f, DataSource source)
    {
        string ds = f.Dataset.Id;
        var rel = new List<string> { System.IO.Path.Combine(ds, f.Name), f.Name };
        if (f.Mirror is not null) rel.Add(f.Mirror);
        if (f.Member is not null) { rel.Add(System.IO.Path.Combine(ds, f.Member)); rel.Add(f.Member); }
        var seen = new HashSet<string>();
        foreach (var r in rel)
        {
            string bare = r.EndsWith(".gz", StringComparison.Ordinal) ? r[..^3] : r;
            foreach (var c in new[] { bare, bare + ".gz" })
            {
                string full = System.IO.Path.Combine(dir, c);
                if (seen.Add(full) && File.Exists(full)) yield return new DataLocation(source, full, null);
            }
        }
        if (ArchiveOf(f) is { } a)
        {
            var arel = new List<string> { System.IO.Path.Combine(ds, a.Name), a.Name };
            if (a.Mirror is not null) arel.Insert(0, a.Mirror);
            foreach (var r in arel)
            {
                string full = System.IO.Path.Combine(dir, r);
                if (seen.Add(full) && File.Exists(full)) yield return new DataLocation(source, full, a);
            }
        }
    }

    // ---- verification and materialization ----------------------------------------------------------------------------

    private static string? Sha256Tag(ManifestFile f) => f.Sha256 is null ? null : "sha256:" + f.Sha256;

    /// <summary>Stamp of a cached file sits next to it; of any other file, under cache/verified/ keyed by its full path.</summary>
    internal string StampPath(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (full.StartsWith(CacheDir + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)) return full + ".verified";
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..16];
        return System.IO.Path.Combine(CacheDir, "verified", $"{key}-{System.IO.Path.GetFileName(full)}.verified");
    }

    // Null only for an optional file its archive does not hold.
    private ResolvedFile? Materialize(ManifestFile f, DataLocation loc, bool force)
    {
        if (loc.Archive is not null)
        {
            // Optional files come out with the required ones; extracting a whole archive just to look for one is waste.
            if (f.Optional) return null;
            ExtractArchive(f.Dataset, loc.Archive, loc.Path, force);
            return File.Exists(CachePath(f)) ? new ResolvedFile(f, CachePath(f), false, loc.Source) : null;
        }
        bool gz = DataStreams.IsGzip(loc.Path);
        if (loc.Source == DataSource.Mirror && gz)
        {
            // Decompress once into the cache: later loads read raw bytes (MNIST train: ~50 ms instead of ~300 ms).
            DecompressIntoCache(f, loc.Path);
            return new ResolvedFile(f, CachePath(f), false, DataSource.Mirror);
        }
        VerifyInPlace(f, loc.Path, gz, force);
        return new ResolvedFile(f, loc.Path, gz, loc.Source);
    }

    private void VerifyInPlace(ManifestFile f, string path, bool gz, bool force)
    {
        if (f.ChecksumKind == "none") return;
        string stamp = StampPath(path);
        if (!force && VerifiedStamp.Read(stamp) is { } s && s.Matches(path, f.Size, Sha256Tag(f))) return;
        var (size, sha) = FileVerifier.VerifyContent(f, path, gz);
        VerifiedStamp.For(path, size, "sha256:" + sha).TryWrite(stamp);
    }

    private static string TempName(string finalPath) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(finalPath)!,
            $".{System.IO.Path.GetFileName(finalPath)}.{Guid.NewGuid():N}.part");

    // Writes content to a temp file in the cache while hashing it, verifies it, then renames it atomically into place.
    private void WriteVerifiedToCache(ManifestFile f, Stream content, string origin)
    {
        string dest = CachePath(f);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(dest)!);
        string tmp = TempName(dest);
        try
        {
            (long size, string sha) h;
            using (var o = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                try { h = FileVerifier.Hash(content, o); }
                catch (InvalidDataException e)
                {
                    throw new DataIntegrityException(
                        $"{FileVerifier.Describe(f)}: {origin} cannot be decompressed ({e.Message}); it is corrupt or a partial download: {FileVerifier.Fix(f)}", e);
                }
            }
            FileVerifier.Check(f, origin, h.size, h.sha);
            FileVerifier.CheckFormat(f, tmp, false);
            File.Move(tmp, dest, overwrite: true);
            if (f.ChecksumKind != "none") VerifiedStamp.For(dest, h.size, "sha256:" + h.sha).TryWrite(dest + ".verified");
        }
        finally { Downloader.TryDelete(tmp); }
    }

    private void DecompressIntoCache(ManifestFile f, string gzPath)
    {
        using var s = DataStreams.OpenRead(gzPath, gzip: true);
        WriteVerifiedToCache(f, s, gzPath);
    }

    private void VerifyArchive(ManifestArchive a, string path, string origin, bool force, bool writeStamp)
    {
        if (a.Md5 is null && a.Size is null) return;
        string stamp = StampPath(path);
        string? want = a.Md5 is null ? null : "md5:" + a.Md5;
        if (!force && VerifiedStamp.Read(stamp) is { } s && s.Matches(path, a.Size, want)) return;
        var (size, md5) = FileVerifier.Md5(path);
        if (a.Size is long es && es != size)
            throw new DataIntegrityException(
                $"Size of {origin} is {size:N0} bytes, expected {es:N0} for {a.Name} (corrupt or partial download): delete it and fetch it again.");
        if (a.Md5 is not null && a.Md5 != md5)
            throw new DataIntegrityException(
                $"md5 of {origin} is {md5}, expected {a.Md5} for {a.Name} (corrupt or partial download): delete it and fetch it again.");
        if (writeStamp) VerifiedStamp.For(path, size, "md5:" + md5).TryWrite(stamp);
    }

    // Extracts every file of the dataset published in this archive, so one download serves all of them.
    private void ExtractArchive(ManifestDataset ds, ManifestArchive a, string archivePath, bool force, string? origin = null)
    {
        // A download's temp file gets no stamp: it is deleted right after extraction.
        VerifyArchive(a, archivePath, origin ?? archivePath, force, writeStamp: origin is null);
        var byMember = new Dictionary<string, ManifestFile>();
        foreach (var f in ds.Files)
            if (f.Archive == a.Name) byMember[ArchiveExtractor.Normalize(f.Member!)] = f;
        var found = ArchiveExtractor.Extract(archivePath, a.Kind, byMember.Keys.ToHashSet(),
            (member, content) => WriteVerifiedToCache(byMember[member], content, $"{archivePath}:{member}"));
        var missing = byMember.Where(kv => !found.Contains(kv.Key) && !kv.Value.Optional).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new DataIntegrityException(
                $"Archive {origin ?? archivePath} ({a.Name}) lacks {string.Join(", ", missing)}: it is not the expected archive; delete it and fetch it again.");
    }

    // ---- download ------------------------------------------------------------------------------------------------------

    private async Task<ResolvedFile> DownloadAsync(ManifestFile f, CancellationToken ct)
    {
        var errors = new List<string>();
        bool corrupt = false;
        string dir = System.IO.Path.Combine(CacheDir, f.Dataset.Id);
        Directory.CreateDirectory(dir);
        using var dl = new Downloader(Options.HttpHandler, Options.Progress);
        var archive = f.Download is null ? ArchiveOf(f) : null;
        foreach (var url in f.Urls)
        {
            string name = archive?.Name ?? System.IO.Path.GetFileName(new Uri(url).AbsolutePath);
            string tmp = TempName(System.IO.Path.Combine(dir, name));
            try
            {
                await dl.DownloadAsync(url, tmp, name, archive?.Size ?? f.Download?.Size, ct).ConfigureAwait(false);
                if (archive is not null)
                    ExtractArchive(f.Dataset, archive, tmp, force: true, origin: $"the download of {url}");
                else
                {
                    using var s = DataStreams.OpenRead(tmp, f.Download!.Compression == "gzip");
                    WriteVerifiedToCache(f, s, $"the download of {url}");
                }
                return new ResolvedFile(f, CachePath(f), false, DataSource.Download);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                corrupt |= e is InvalidDataException or DataIntegrityException;
                errors.Add($"{url}: {e.Message}");
            }
            finally { Downloader.TryDelete(tmp); }
        }
        if (corrupt)
            throw new DataIntegrityException(
                $"{FileVerifier.Describe(f)}: every download failed or was rejected, nothing was stored: {string.Join(" | ", errors)}");
        throw NotFound(f, errors);
    }

    // ---- errors --------------------------------------------------------------------------------------------------------

    private DataNotFoundException NotFound(ManifestFile f, List<string>? downloadErrors, bool mentionDownload = true)
    {
        var looked = new List<string>();
        if (NonEmpty(Options.Path) is { } p) looked.Add($"DataOptions.Path {p}");
        if (NonEmpty(Options.DataDir) is { } d) looked.Add($"DataOptions.DataDir {d}");
        looked.Add(NonEmpty(Options.GetEnvironment(DataDirVariable)) is { } e ? $"{DataDirVariable}={e}" : $"{DataDirVariable} (not set)");
        looked.Add($"the cache {System.IO.Path.Combine(CacheDir, f.Dataset.Id)}");
        looked.Add(MirrorDir is not null ? $"the mirror {MirrorDir}" : $"{MirrorVariable} (not set)");
        string urls = f.Urls.Count > 0 ? string.Join(" or ", f.Urls) : "(no known URL)";
        var sb = new StringBuilder();
        sb.Append($"{FileVerifier.Describe(f)} not found. Looked in: {string.Join("; ", looked)}. ");
        if (downloadErrors is { Count: > 0 })
            sb.Append($"Downloading failed: {string.Join(" | ", downloadErrors)}. ");
        sb.Append($"Set {DataDirVariable} to a folder holding it, set {MirrorVariable} to a mirror (like ../shared/data)");
        if (mentionDownload)
            sb.Append(Options.AllowDownload ? $", or check the network access to {urls}." : $", or allow downloading from {urls}.");
        else sb.Append($", or fetch it with `dotnet rk data fetch {f.Dataset.Id}`.");
        if (Hint(f.Dataset.Id) is { } hint) sb.Append(' ').Append(hint);
        return new DataNotFoundException(sb.ToString(), f.Name);
    }

    private static string? Hint(string datasetId) => datasetId switch
    {
        "cifar-10" => "The 1,000 real CIFAR-10 test images committed with ResearchKit are available as Samples.Cifar10().",
        "cifar-100" => "Without CIFAR-100, Fashion-MNIST can stand in: Datasets.FashionMnist(train).WithChannels(3, name: \"Fashion-MNIST (stand-in for CIFAR-100)\").",
        _ => null,
    };

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
