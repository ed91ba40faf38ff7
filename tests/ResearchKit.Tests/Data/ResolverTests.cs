using System.Net;
using ResearchKit.Data;
using Xunit;
using static ResearchKit.Tests.Data.DataTestSupport;

namespace ResearchKit.Tests.Data;

public class ResolverTests
{
    private const string UrlA = "https://a.example/data/toy.bin.gz";
    private const string UrlB = "https://b.example/mirror/toy.bin.gz";

    private static readonly byte[] Content = MakeContent();

    private static byte[] MakeContent()
    {
        var b = new byte[50_000];
        new Random(42).NextBytes(b);
        b[0] = 0; // not the gzip magic
        return b;
    }

    private static Manifest ToyManifest(byte[]? content = null, bool withSha = true)
    {
        content ??= Content;
        string sha = withSha ? $"\"{Sha256(content)}\"" : "null";
        return Manifest.Parse($$"""
        { "format": 1, "datasets": [ { "id": "toy", "name": "Toy", "files": [
          { "name": "toy.bin", "format": "raw", "size": {{content.Length}}, "sha256": {{sha}}, "checksum_kind": "{{(withSha ? "sha256" : "size")}}",
            "mirror": "toy/toy.bin.gz",
            "download": { "urls": ["{{UrlA}}", "{{UrlB}}"], "compression": "gzip" } } ] } ], "samples": [] }
        """);
    }

    private sealed class Setup : IDisposable
    {
        public readonly DataTempDir T = new();
        public readonly FakeHttpHandler Http = new();
        public readonly List<DownloadProgress> Progress = [];
        public readonly Dictionary<string, string> Env = [];
        public DataOptions Options;
        public ManifestFile File => Options.Manifest!.File("toy", "toy.bin");
        public string Cache => T.Sub("cache");
        public string CacheFile => T.Sub("cache", "toy", "toy.bin");

        public Setup(Manifest? manifest = null)
        {
            Options = Isolated(Cache, manifest ?? ToyManifest(), Env);
            Options.HttpHandler = Http;
            Options.AllowDownload = true;
            Options.Progress = new DataSyncProgress<DownloadProgress>(Progress.Add);
        }

        public ResolvedFile Resolve() => new DataResolver(Options).Resolve("toy", "toy.bin");
        public void Dispose() => T.Dispose();
    }

    [Fact]
    public void Order_ExplicitThenDataDirThenEnvThenCacheThenMirrorThenDownload()
    {
        using var s = new Setup();
        s.T.Write("explicit/toy.bin", Content);
        s.T.Write("datadir/toy/toy.bin", Content);
        s.T.Write("envdir/toy.bin.gz", Gzip(Content));
        s.T.Write("cache/toy/toy.bin", Content);
        s.T.Write("mirror/toy/toy.bin.gz", Gzip(Content));
        s.Http.Serve(UrlA, Gzip(Content));
        s.Options.Path = s.T.Sub("explicit");
        s.Options.DataDir = s.T.Sub("datadir");
        s.Env[DataResolver.DataDirVariable] = s.T.Sub("envdir");
        s.Env[DataResolver.MirrorVariable] = s.T.Sub("mirror");

        var r = s.Resolve();
        Assert.Equal((DataSource.ExplicitPath, s.T.Sub("explicit/toy.bin")), (r.Source, r.Path));
        Directory.Delete(s.T.Sub("explicit"), true);
        r = s.Resolve();
        Assert.Equal((DataSource.DataDir, s.T.Sub("datadir/toy/toy.bin")), (r.Source, r.Path));
        Directory.Delete(s.T.Sub("datadir"), true);
        r = s.Resolve();
        Assert.Equal((DataSource.DataDir, s.T.Sub("envdir/toy.bin.gz"), true), (r.Source, r.Path, r.IsGzip));
        Assert.Equal(Content, r.ReadAllBytes());
        Directory.Delete(s.T.Sub("envdir"), true);
        r = s.Resolve();
        Assert.Equal((DataSource.Cache, s.CacheFile), (r.Source, r.Path));
        System.IO.File.Delete(s.CacheFile);
        r = s.Resolve();
        Assert.Equal((DataSource.Mirror, s.CacheFile, false), (r.Source, r.Path, r.IsGzip)); // decompressed into the cache
        Assert.Equal(Content, System.IO.File.ReadAllBytes(s.CacheFile));
        Assert.Empty(s.Http.Requests);
        System.IO.File.Delete(s.CacheFile);
        Directory.Delete(s.T.Sub("mirror"), true);
        r = s.Resolve();
        Assert.Equal((DataSource.Download, s.CacheFile), (r.Source, r.Path));
        Assert.Equal(new[] { UrlA }, s.Http.Requests);
        Assert.Equal(Content, System.IO.File.ReadAllBytes(s.CacheFile));
    }

    [Fact]
    public void MirrorOption_OverridesEnvironmentVariable()
    {
        using var s = new Setup();
        s.T.Write("m1/toy/toy.bin.gz", Gzip(Content));
        s.Env[DataResolver.MirrorVariable] = s.T.Sub("m2");
        s.Options.MirrorDir = s.T.Sub("m1");
        var resolver = new DataResolver(s.Options);
        Assert.Equal(s.T.Sub("m1"), resolver.MirrorDir);
        Assert.Equal(DataSource.Mirror, resolver.Resolve(s.File).Source);
    }

    [Fact]
    public void ExplicitSingleFile_IsUsedForTheFileItNames()
    {
        using var s = new Setup();
        s.Options.Path = s.T.Write("anywhere/toy.bin.gz", Gzip(Content));
        var r = s.Resolve();
        Assert.Equal((DataSource.ExplicitPath, true), (r.Source, r.IsGzip));
        Assert.Equal(Content, r.ReadAllBytes());
        using (var st = r.OpenRead()) Assert.Equal(Content, DataStreamsRead(st));
        // Its stamp lives in the cache (the file's own folder may be read-only), keyed by its full path.
        Assert.Single(Directory.GetFiles(s.T.Sub("cache", "verified"), "*-toy.bin.gz.verified"));
        // A file with another name is not taken for this one.
        s.Options.Path = s.T.Write("anywhere/other.bin", Content);
        s.Options.AllowDownload = false;
        Assert.Throws<DataNotFoundException>(() => s.Resolve());
    }

    private static byte[] DataStreamsRead(Stream st) { var ms = new MemoryStream(); st.CopyTo(ms); return ms.ToArray(); }

    [Fact]
    public void Stamp_SparesRehashing_UntilTheFileChanges()
    {
        using var s = new Setup();
        s.T.Write("mirror/toy/toy.bin.gz", Gzip(Content));
        s.Options.MirrorDir = s.T.Sub("mirror");
        s.Resolve();
        Assert.True(System.IO.File.Exists(s.CacheFile + ".verified"));

        // Same length and mtime, different bytes: a stamped file is trusted, which proves it is not re-hashed.
        var mtime = System.IO.File.GetLastWriteTimeUtc(s.CacheFile);
        var bad = (byte[])Content.Clone();
        bad[1000] ^= 0xFF;
        System.IO.File.WriteAllBytes(s.CacheFile, bad);
        System.IO.File.SetLastWriteTimeUtc(s.CacheFile, mtime);
        Assert.Equal(DataSource.Cache, s.Resolve().Source);

        // A forced verification (rk data verify) ignores the stamp and catches it.
        var e = Assert.Throws<DataIntegrityException>(() => new DataResolver(s.Options).VerifyLocal(s.File));
        Assert.Contains($"sha256 of {s.CacheFile} is {Sha256(bad)}, expected {Sha256(Content)}", e.Message);

        // Any change of mtime invalidates the stamp.
        System.IO.File.SetLastWriteTimeUtc(s.CacheFile, mtime.AddSeconds(5));
        Assert.Throws<DataIntegrityException>(() => s.Resolve());
    }

    [Fact]
    public void Sha256Mismatch_IsRejectedWithExpectedFoundAndFix()
    {
        using var s = new Setup();
        var bad = (byte[])Content.Clone();
        bad[^1] ^= 1;
        string path = s.T.Write("data/toy.bin", bad);
        s.Options.DataDir = s.T.Sub("data");
        var e = Assert.Throws<DataIntegrityException>(() => s.Resolve());
        Assert.Equal($"sha256 of {path} is {Sha256(bad)}, expected {Sha256(Content)} (corrupt or partial download): " +
                     "delete it and fetch again with `dotnet rk data fetch toy`.", e.Message);
        Assert.Empty(s.Http.Requests); // a corrupt local copy is reported, not silently replaced
    }

    [Fact]
    public void SizeMismatch_IsRejected_AlsoWhenOnlyTheSizeIsKnown()
    {
        using var s = new Setup(ToyManifest(withSha: false));
        string path = s.T.Write("data/toy.bin", Content[..1000]);
        s.Options.DataDir = s.T.Sub("data");
        var e = Assert.Throws<DataIntegrityException>(() => s.Resolve());
        Assert.Contains($"Size of {path} (Toy file toy.bin) is 1,000 bytes uncompressed, expected 50,000", e.Message);
    }

    [Fact]
    public void CorruptGzipInDataDir_IsRejected()
    {
        using var s = new Setup();
        var gz = Gzip(Content);
        s.T.Write("data/toy.bin.gz", gz[..(gz.Length - 100)]);
        s.Options.DataDir = s.T.Sub("data");
        Assert.Throws<DataIntegrityException>(() => s.Resolve());
    }

    [Fact]
    public void NotFound_SaysWhereItLookedAndHowToGetIt()
    {
        using var s = new Setup();
        s.Options.AllowDownload = false;
        var e = Assert.Throws<DataNotFoundException>(() => s.Resolve());
        Assert.StartsWith("Toy file toy.bin not found. Looked in: RESEARCHKIT_DATA (not set); the cache ", e.Message);
        Assert.Contains("RESEARCHKIT_DATA_MIRROR (not set)", e.Message);
        Assert.Contains("Set RESEARCHKIT_DATA to a folder holding it, set RESEARCHKIT_DATA_MIRROR to a mirror (like ../shared/data), " +
                        $"or allow downloading from {UrlA} or {UrlB}.", e.Message);
        Assert.Equal("toy.bin", e.FileName);
    }

    [Fact]
    public void Download_FallsBackToTheNextUrl_ReportsProgress_AndLeavesOnlyTheVerifiedFile()
    {
        using var s = new Setup();
        var gz = Gzip(Content);
        s.Http.Route(UrlA, () => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)).Serve(UrlB, gz);
        var r = s.Resolve();
        Assert.Equal(DataSource.Download, r.Source);
        Assert.Equal(new[] { UrlA, UrlB }, s.Http.Requests);
        Assert.Equal(Content, System.IO.File.ReadAllBytes(s.CacheFile));
        var last = s.Progress[^1];
        Assert.Equal(("toy.bin.gz", UrlB, (long)gz.Length, (long?)gz.Length), (last.FileName, last.Url, last.BytesReceived, last.TotalBytes));
        Assert.Equal(new[] { s.CacheFile, s.CacheFile + ".verified" }.Order(), s.T.AllFiles().Order());
        // Next time it comes from the cache without any request.
        Assert.Equal(DataSource.Cache, s.Resolve().Source);
        Assert.Equal(2, s.Http.Requests.Count);
    }

    [Fact]
    public void Download_WithWrongContent_IsRejectedAndNothingIsLeft()
    {
        using var s = new Setup();
        var other = (byte[])Content.Clone();
        other[7] ^= 0x55;
        s.Http.Serve(UrlA, Gzip(other)).Serve(UrlB, Gzip(other));
        var e = Assert.Throws<DataIntegrityException>(() => s.Resolve());
        Assert.Contains($"sha256 of the download of {UrlA} is {Sha256(other)}, expected {Sha256(Content)}", e.Message);
        Assert.Contains(UrlB, e.Message);
        Assert.Empty(s.T.AllFiles());
    }

    [Fact]
    public void Download_TruncatedGzipBody_IsRejectedAndNothingIsLeft()
    {
        using var s = new Setup();
        var gz = Gzip(Content);
        s.Http.Serve(UrlA, gz[..(gz.Length / 3)]);
        var e = Assert.Throws<DataIntegrityException>(() => s.Resolve());
        Assert.Contains(UrlA, e.Message);
        Assert.Empty(s.T.AllFiles());
    }

    [Fact]
    public void Download_CutConnection_IsRejectedAndNothingIsLeft()
    {
        using var s = new Setup();
        var gz = Gzip(Content);
        s.Http.Route(UrlA, () =>
        {
            var content = new StreamContent(new CutStream(gz, gz.Length - 10));
            content.Headers.ContentLength = gz.Length;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        });
        var e = Assert.Throws<DataNotFoundException>(() => s.Resolve());
        Assert.Contains($"the download ended after {gz.Length - 10:N0} of {gz.Length:N0} bytes", e.Message);
        Assert.Contains("HTTP 404", e.Message); // UrlB is not served
        Assert.Empty(s.T.AllFiles());
    }

    [Fact]
    public void DefaultCacheDir_FollowsXdgThenHome()
    {
        Assert.Equal(Path.Combine("/x/cache", "researchkit"), DataResolver.DefaultCacheDir(n => n == "XDG_CACHE_HOME" ? "/x/cache" : "/home/u"));
        Assert.Equal(Path.Combine("/home/u", ".cache", "researchkit"), DataResolver.DefaultCacheDir(n => n == "HOME" ? "/home/u" : null));
        Assert.Equal(Path.Combine("/home/u", ".cache", "researchkit"), DataResolver.DefaultCacheDir(n => n == "HOME" ? "/home/u" : n == "XDG_CACHE_HOME" ? "" : null));
    }

    [Fact]
    public void Catalog_ReportsMissingPresentVerifiedAndCorrupt()
    {
        using var s = new Setup();
        s.Options.AllowDownload = false;
        var catalog = new DataCatalog(s.Options);
        var st = catalog.Status("toy");
        Assert.Equal(DataFileState.Missing, st.Files[0].State);
        Assert.False(st.IsAvailable);
        var fetched = catalog.Fetch("toy");
        Assert.Equal(DataFileState.Missing, fetched.Files[0].State);
        Assert.Contains("not found", fetched.Files[0].Message);

        s.T.Write("mirror/toy/toy.bin.gz", Gzip(Content));
        s.Options.MirrorDir = s.T.Sub("mirror");
        catalog = new DataCatalog(s.Options);
        st = catalog.Status("toy");
        Assert.Equal((DataFileState.Present, DataSource.Mirror), (st.Files[0].State, st.Files[0].Source));
        Assert.False(System.IO.File.Exists(s.CacheFile)); // status never writes

        fetched = catalog.Fetch("toy");
        Assert.Equal((DataFileState.Verified, DataSource.Mirror, s.CacheFile), (fetched.Files[0].State, fetched.Files[0].Source, fetched.Files[0].Path));
        Assert.True(fetched.IsVerified);
        st = catalog.List().Single();
        Assert.Equal((DataFileState.Verified, DataSource.Cache), (st.Files[0].State, st.Files[0].Source));

        System.IO.File.WriteAllBytes(s.CacheFile, Content[..10]);
        var verified = catalog.Verify("toy");
        Assert.Equal(DataFileState.Corrupt, verified.Files[0].State);
        Assert.Contains("rk data fetch toy", verified.Files[0].Message);
    }
}
