using ResearchKit.Data;
using Xunit;
using static ResearchKit.Tests.Data.DataTestSupport;

namespace ResearchKit.Tests.Data;

public class ManifestTests
{
    [Fact]
    public void Default_ListsTheSixDatasetsWithMirrorPathsAndUrls()
    {
        var m = Manifest.Default;
        Assert.Equal(new[] { "mnist", "fashion-mnist", "cifar-10", "cifar-100", "wikitext-2", "ptb" }, m.Datasets.Select(d => d.Id));
        foreach (var d in m.Datasets)
            foreach (var f in d.Files)
            {
                Assert.False(string.IsNullOrEmpty(f.Mirror), $"{f} has no mirror path");
                Assert.NotEmpty(f.Urls);
                Assert.All(f.Urls, u => Assert.StartsWith("http", u));
                Assert.Same(d, f.Dataset);
            }
        Assert.Equal(new[] { "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz", "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz" },
            m.File("mnist", "train-images-idx3-ubyte").Urls);
    }

    [Fact]
    public void Checksums_AreTheKnownOnes_AndNeverInvented()
    {
        var m = Manifest.Default;
        var ti = m.File("mnist", "train-images-idx3-ubyte");
        Assert.Equal(("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016L, "sha256"), (ti.Sha256, ti.Size!.Value, ti.ChecksumKind));
        Assert.Equal("mnist/train-images-idx3-ubyte.gz", ti.Mirror);
        Assert.Equal("f68b3c2dcbeaaa9fbdd348bbdeb94873", ti.Download!.Md5);
        // CIFAR: only the archive md5 is published; extracted files are checked by size and format.
        var batch = m.File("cifar-10", "data_batch_1.bin");
        Assert.Equal((null, 30730000L, "size", "cifar-10-batches-bin/data_batch_1.bin"), (batch.Sha256, batch.Size!.Value, batch.ChecksumKind, batch.Member));
        var a10 = m.Dataset("cifar-10").Archive("cifar-10-binary.tar.gz")!;
        Assert.Equal(("c32a1d4ab5d03f1284b67883e8d87530", "md5", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), (a10.Md5, a10.ChecksumKind, a10.Urls[0]));
        Assert.Equal("03b5dce01913d631647c71ecec9e9cb8", m.Dataset("cifar-100").Archive("cifar-100-binary.tar.gz")!.Md5);
        Assert.Equal(153_700_000L, m.File("cifar-100", "train.bin").Size);
        Assert.Equal("542ccefacc6c27f945fb54453812b3cd", m.Dataset("wikitext-2").Archives[0].Md5);
        Assert.Equal("wikitext-2/wiki.train.tokens", m.File("wikitext-2", "wiki.train.tokens").Member);
        Assert.Equal("simple-examples/data/ptb.train.txt", m.File("ptb", "ptb.train.txt").Member);
        Assert.Equal("fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf", m.File("ptb", "ptb.train.txt").Sha256);
    }

    [Fact]
    public void EmbeddedManifest_IsTheRepositoryFile()
    {
        var repo = Path.Combine(DataFolder.Path, "manifest.json");
        if (!File.Exists(repo)) return; // samples copied next to the assembly without the repo: nothing to compare
        var fromRepo = Manifest.Load(repo);
        Assert.Equal(
            Manifest.Default.Datasets.SelectMany(d => d.Files).Select(f => $"{f}:{f.Sha256}:{f.Size}"),
            fromRepo.Datasets.SelectMany(d => d.Files).Select(f => $"{f}:{f.Sha256}:{f.Size}"));
        Assert.Equal(Manifest.Default.Samples.Select(s => s.Sha256), fromRepo.Samples.Select(s => s.Sha256));
    }

    [Fact]
    public void EverySample_ExistsAndMatchesItsChecksum()
    {
        Assert.Equal(9, Manifest.Default.Samples.Count);
        long total = 0;
        foreach (var s in Manifest.Default.Samples)
        {
            var bytes = Samples.Read(s.Id, out var path);
            Assert.Equal(s.Size, bytes.Length);
            total += new FileInfo(path).Length;
        }
        Assert.InRange(total, 1, 4_200_000); // data/samples stays small
    }

    [Fact]
    public void AlteredOrMissingSample_IsRejected()
    {
        var s = Manifest.Default.Sample("cifar-10-meta");
        var original = File.ReadAllBytes(Path.Combine(DataFolder.Path, s.Path));
        using var t = new DataTempDir();
        Assert.Equal(original, Samples.ReadVerified(s, t.Write("ok.txt", original)));
        var altered = (byte[])original.Clone();
        altered[0] ^= 0x20;
        var e = Assert.Throws<DataIntegrityException>(() => Samples.ReadVerified(s, t.Write("bad.txt", altered)));
        Assert.Contains($"sha256 {Sha256(altered)}, expected 60 bytes with sha256 {s.Sha256}", e.Message);
        Assert.Contains("git checkout -- data/samples", e.Message);
        Assert.Throws<DataIntegrityException>(() => Samples.ReadVerified(s, t.Write("short.txt", original[..50])));
        Assert.Throws<DataNotFoundException>(() => Samples.ReadVerified(s, t.Sub("missing.txt")));
    }

    [Fact]
    public void Lookups_NameTheKnownEntries()
    {
        Assert.Contains("Known datasets: mnist, fashion-mnist", Assert.Throws<KeyNotFoundException>(() => Manifest.Default.Dataset("imagenet")).Message);
        Assert.Contains("data_batch_1.bin", Assert.Throws<KeyNotFoundException>(() => Manifest.Default.File("cifar-10", "nope")).Message);
        Assert.Throws<KeyNotFoundException>(() => Manifest.Default.Sample("nope"));
        Assert.Equal("mnist", Manifest.Default.Dataset("MNIST").Id);
    }

    private const string Ok = """{ "name": "f", "format": "raw", "size": 1, "sha256": null, "checksum_kind": "size" }""";

    private static string With(string file, string archives = "[]") =>
        $$"""{ "format": 1, "datasets": [ { "id": "x", "name": "X", "archives": {{archives}}, "files": [ {{file}} ] } ] }""";

    [Theory]
    [InlineData("""{ "name": "f", "format": "raw", "size": 1, "sha256": "ABC", "checksum_kind": "sha256" }""", "not 64 lower-case hex")]
    [InlineData("""{ "name": "f", "format": "raw", "size": 1, "sha256": null, "checksum_kind": "sha256" }""", "checksum_kind 'sha256' but its fields give 'size'")]
    [InlineData("""{ "name": "f", "format": "raw", "size": 1, "sha256": null, "checksum_kind": "size", "archive": "a.zip", "member": "f" }""", "names archive 'a.zip'")]
    [InlineData("""{ "name": "f", "format": "raw", "sizee": 1 }""", "sizee")]
    [InlineData("""{ "name": "f", "format": "raw", "checksum_kind": "none", "download": { "urls": [], "compression": "xz" } }""", "'xz'")]
    public void Parse_RejectsInconsistentEntries(string file, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Manifest.Parse(With(file)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Parse_RejectsBadArchivesAndDuplicates()
    {
        Assert.Contains("kind 'rar'", Assert.Throws<InvalidDataException>(() =>
            Manifest.Parse(With(Ok, """[ { "name": "a", "kind": "rar" } ]"""))).Message);
        Assert.Contains("md5", Assert.Throws<InvalidDataException>(() =>
            Manifest.Parse(With(Ok, """[ { "name": "a", "kind": "zip", "md5": "123" } ]"""))).Message);
        Assert.Contains("repeated", Assert.Throws<InvalidDataException>(() => Manifest.Parse(With(Ok + ", " + Ok))).Message);
        Assert.Throws<InvalidDataException>(() => Manifest.Parse("null"));
        Assert.Throws<InvalidDataException>(() => Manifest.Parse("{ not json"));
        Assert.Single(Manifest.Parse(With(Ok)).Datasets);
    }
}
