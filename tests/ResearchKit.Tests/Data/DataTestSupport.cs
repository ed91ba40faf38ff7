using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ResearchKit.Data;
using Xunit;

namespace ResearchKit.Tests.Data;

/// <summary>A temp folder deleted on dispose; tests never touch the real user cache.</summary>
public sealed class DataTempDir : IDisposable
{
    public DataTempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rk-data-" + Guid.NewGuid().ToString("N")));
    public string Path { get; }
    public string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
    public string Write(string relative, byte[] bytes)
    {
        string p = Sub(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, bytes);
        return p;
    }
    public string[] AllFiles() => Directory.Exists(Path) ? Directory.GetFiles(Path, "*", SearchOption.AllDirectories) : [];
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

/// <summary>Serves canned responses by URL and records requests (no network).</summary>
public sealed class FakeHttpHandler : HttpMessageHandler
{
    private readonly Dictionary<string, Func<HttpResponseMessage>> _routes = [];
    public List<string> Requests { get; } = [];
    public FakeHttpHandler Serve(string url, byte[] body) => Route(url, () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) });
    public FakeHttpHandler Route(string url, Func<HttpResponseMessage> respond) { _routes[url] = respond; return this; }
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string url = request.RequestUri!.ToString();
        Requests.Add(url);
        return Task.FromResult(_routes.TryGetValue(url, out var r) ? r() : new HttpResponseMessage(HttpStatusCode.NotFound));
    }
}

/// <summary>A stream that declares more bytes than it delivers (a connection cut mid-download).</summary>
public sealed class CutStream(byte[] bytes, int deliver) : MemoryStream(bytes, 0, deliver);

/// <summary>Helpers shared by the data tests.</summary>
public static class DataTestSupport
{
    public static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));
    public static string Md5(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));

    public static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    public static byte[] Gunzip(byte[] gz)
    {
        using var s = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Options isolated from the real environment: no RESEARCHKIT_* variables, a temp cache, no downloads.</summary>
    public static DataOptions Isolated(string cacheDir, Manifest? manifest = null, IDictionary<string, string>? env = null) => new()
    {
        CacheDir = cacheDir,
        Manifest = manifest,
        AllowDownload = false,
        GetEnvironment = name => env is not null && env.TryGetValue(name, out var v) ? v : null,
    };

    /// <summary>The repo's manifest as JSON, for tests that derive a variant (e.g. CIFAR with small generated files).</summary>
    public static JsonObject DefaultManifestJson()
    {
        using var s = typeof(Manifest).Assembly.GetManifestResourceStream("ResearchKit.Data.manifest.json")!;
        return JsonNode.Parse(s)!.AsObject();
    }

    public static JsonObject DatasetNode(JsonObject manifest, string id) =>
        manifest["datasets"]!.AsArray().Select(d => d!.AsObject()).Single(d => (string)d["id"]! == id);

    public static JsonObject FileNode(JsonObject manifest, string id, string name) =>
        DatasetNode(manifest, id)["files"]!.AsArray().Select(f => f!.AsObject()).Single(f => (string)f["name"]! == name);

    /// <summary>Sets a file's expected size (and drops its sha256), keeping checksum_kind consistent.</summary>
    public static void SetSize(JsonObject manifest, string id, string name, long? size)
    {
        var f = FileNode(manifest, id, name);
        f["size"] = size;
        f["sha256"] = null;
        f["checksum_kind"] = size is null ? "none" : "size";
    }

    /// <summary>A CIFAR-10 batch of <paramref name="n"/> records with labels (seed + i) % 10 and pixels from a seeded RNG.</summary>
    public static byte[] Cifar10Batch(int n, int seed)
    {
        var rng = new Random(seed);
        var b = new byte[n * CifarReader.Cifar10RecordBytes];
        rng.NextBytes(b);
        for (int i = 0; i < n; i++) b[i * CifarReader.Cifar10RecordBytes] = (byte)((seed + i) % 10);
        return b;
    }

    /// <summary>A CIFAR-100 file: coarse (seed + i) % 20, fine (seed + 7 i) % 100.</summary>
    public static byte[] Cifar100File(int n, int seed)
    {
        var rng = new Random(seed);
        var b = new byte[n * CifarReader.Cifar100RecordBytes];
        rng.NextBytes(b);
        for (int i = 0; i < n; i++)
        {
            b[i * CifarReader.Cifar100RecordBytes] = (byte)((seed + i) % 20);
            b[i * CifarReader.Cifar100RecordBytes + 1] = (byte)((seed + 7 * i) % 100);
        }
        return b;
    }

    /// <summary>An IDX images file with the given header and body bytes.</summary>
    public static byte[] IdxImages(int count, int rows, int cols, byte[] body, int magic = IdxReader.ImagesMagic)
    {
        var b = new byte[16 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b, magic);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), rows);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), cols);
        body.CopyTo(b, 16);
        return b;
    }

    /// <summary>An IDX labels file.</summary>
    public static byte[] IdxLabels(byte[] labels, int magic = IdxReader.LabelsMagic, int? count = null)
    {
        var b = new byte[8 + labels.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b, magic);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count ?? labels.Length);
        labels.CopyTo(b, 8);
        return b;
    }

    /// <summary>
    /// The workplace dataset mirror: RESEARCHKIT_DATA_MIRROR, else a shared/data folder next to the repository (or one
    /// of its ancestors: worktrees sit deeper than the main checkout). Null when absent.
    /// </summary>
    public static string? Mirror => MirrorLazy.Value;

    private static readonly Lazy<string?> MirrorLazy = new(() =>
    {
        var env = Environment.GetEnvironmentVariable(DataResolver.MirrorVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        string? repo = DataFolder.TryFind() is { } data ? Path.GetDirectoryName(data) : null;
        for (var d = repo is null ? null : new DirectoryInfo(repo).Parent; d is not null; d = d.Parent)
        {
            string c = Path.Combine(d.FullName, "shared", "data");
            if (File.Exists(Path.Combine(c, "SOURCES.md"))) return c;
        }
        return null;
    });
}

/// <summary>A fact that runs only when the real dataset mirror (shared/data) is present, and says why it skipped otherwise.</summary>
public sealed class MirrorFactAttribute : FactAttribute
{
    public MirrorFactAttribute()
    {
        if (DataTestSupport.Mirror is null)
            Skip = $"Full-data check skipped: no dataset mirror. Set {DataResolver.MirrorVariable} to a folder laid out like shared/data " +
                   "(CI sets it to ../shared/data), or place shared/data next to the repository.";
    }
}
