using System.Formats.Tar;
using System.IO.Compression;
using ResearchKit.Data;
using Xunit;
using static ResearchKit.Tests.Data.DataTestSupport;

namespace ResearchKit.Tests.Data;

public class CifarTests
{
    private static readonly string[] TrainBatches = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    [Fact]
    public void Cifar10Sample_FirstLabelsClassNamesAndCounts()
    {
        var ds = Samples.Cifar10();
        Assert.Equal(1000, ds.Count);
        Assert.Equal((3, 32, 32), (ds.Channels, ds.Height, ds.Width));
        Assert.Equal(new[] { 3, 8, 8, 0, 6, 6, 1, 6, 3, 1 }, ds.Labels[..10]);
        Assert.Equal(CifarClassNames.Cifar10, ds.ClassNames);
        Assert.Equal("cat", ds.ClassNames[ds.Labels[0]]);
        // Label counts per class from shared/data/SOURCES.md.
        var counts = new int[10];
        foreach (var l in ds.Labels) counts[l]++;
        Assert.Equal(new[] { 103, 89, 100, 103, 90, 86, 112, 102, 106, 109 }, counts);
        // Per-channel means (R 126.67, G 124.10, B 115.01 in SOURCES.md) prove the planes are in R, G, B order.
        var means = new double[3];
        for (int i = 0; i < ds.Count; i++)
            for (int c = 0; c < 3; c++)
            {
                long s = 0;
                foreach (var p in ds.Image(i).Slice(c * 1024, 1024)) s += p;
                means[c] += s / 1024.0 / ds.Count;
            }
        Assert.Equal(126.67, means[0], 0.01);
        Assert.Equal(124.10, means[1], 0.01);
        Assert.Equal(115.01, means[2], 0.01);
    }

    [Fact]
    public void ParseCifar10_PlacesLabelAndPixelsOfEveryRecord()
    {
        var b = Cifar10Batch(7, seed: 3);
        var (px, labels) = CifarReader.ParseCifar10(b, "gen");
        Assert.Equal(7, labels.Length);
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal((3 + i) % 10, labels[i]);
            Assert.Equal(b.AsSpan(i * 3073 + 1, 3072).ToArray(), px.AsSpan(i * 3072, 3072).ToArray());
        }
    }

    [Fact]
    public void ParseCifar100_SplitsCoarseAndFineLabels()
    {
        var b = Cifar100File(9, seed: 5);
        var (px, fine, coarse) = CifarReader.ParseCifar100(b, "gen");
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal((5 + i) % 20, coarse[i]);
            Assert.Equal((5 + 7 * i) % 100, fine[i]);
            Assert.Equal(b.AsSpan(i * 3074 + 2, 3072).ToArray(), px.AsSpan(i * 3072, 3072).ToArray());
        }
    }

    [Fact]
    public void TruncatedCifar10_NamesRecordsAndLeftoverBytes()
    {
        var b = Cifar10Batch(3, seed: 1)[..(2 * 3073 + 100)];
        var e = Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar10(b, "data_batch_1.bin"));
        Assert.Contains("data_batch_1.bin", e.Message);
        Assert.Contains("6,246 bytes is 2 whole 3073-byte records", e.Message);
        Assert.Contains("100 bytes over", e.Message);
        Assert.Contains("30,730,000", e.Message);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar10([], "x")).Message);
    }

    [Fact]
    public void TruncatedCifar100_IsRejected()
    {
        var e = Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar100(Cifar100File(2, 1)[..5000], "train.bin"));
        Assert.Contains("train.bin", e.Message);
        Assert.Contains("3074-byte records", e.Message);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar100([], "x")).Message);
    }

    [Fact]
    public void LabelsOutOfRange_AreRejected()
    {
        var b = Cifar10Batch(2, 0);
        b[3073] = 10;
        var e = Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar10(b, "f"));
        Assert.Contains("record 1 has label 10", e.Message);
        var c = Cifar100File(2, 0);
        c[0] = 20;
        Assert.Contains("coarse label 20", Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar100(c, "f")).Message);
        c = Cifar100File(2, 0);
        c[3074 + 1] = 100;
        Assert.Contains("fine label 100", Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar100(c, "f")).Message);
    }

    [Fact]
    public void Cifar100FileReadAsCifar10_IsRejected()
    {
        // 3073 records of 3074 bytes = 3074 records of 3073 bytes: the record size alone cannot tell, the labels do.
        var b = Cifar100File(3073, 2);
        for (int i = 0; i < 3073; i++) b[i * 3074] = 19;
        Assert.Throws<InvalidDataException>(() => CifarReader.ParseCifar10(b, "f"));
    }

    [Fact]
    public void ClassNames_AreTheStandardLists()
    {
        Assert.Equal(10, CifarClassNames.Cifar10.Distinct().Count());
        Assert.Equal(100, CifarClassNames.Cifar100Fine.Distinct().Count());
        Assert.Equal(20, CifarClassNames.Cifar100Coarse.Distinct().Count());
        // The fine names are alphabetical (as in fine_label_names.txt).
        Assert.Equal(CifarClassNames.Cifar100Fine.Order(StringComparer.Ordinal), CifarClassNames.Cifar100Fine);
        Assert.Equal("apple", CifarClassNames.Cifar100Fine[0]);
        Assert.Equal("worm", CifarClassNames.Cifar100Fine[99]);
        Assert.Equal("aquatic_mammals", CifarClassNames.Cifar100Coarse[0]);
        Assert.Equal("vehicles_2", CifarClassNames.Cifar100Coarse[19]);
    }

    private const int PerBatch = 4;

    // The real layout (cifar-10-batches-bin/… inside cifar-10/), with small batches and a manifest sized to match.
    private static Manifest SmallCifarManifest(Action<System.Text.Json.Nodes.JsonObject>? edit = null)
    {
        var m = DefaultManifestJson();
        foreach (var n in TrainBatches.Append("test_batch.bin")) SetSize(m, "cifar-10", n, PerBatch * 3073L);
        SetSize(m, "cifar-100", "train.bin", 6 * 3074L);
        SetSize(m, "cifar-100", "test.bin", 3 * 3074L);
        edit?.Invoke(m);
        return Manifest.Parse(m.ToJsonString());
    }

    private static Dictionary<string, byte[]> Cifar10Files()
    {
        var files = new Dictionary<string, byte[]>();
        for (int i = 0; i < 5; i++) files[TrainBatches[i]] = Cifar10Batch(PerBatch, seed: 10 * i);
        files["test_batch.bin"] = Cifar10Batch(PerBatch, seed: 99);
        return files;
    }

    [Fact]
    public void Cifar10Loader_ReadsFiveTrainBatchesInOrderAndTheTestBatch()
    {
        using var t = new DataTempDir();
        var files = Cifar10Files();
        foreach (var (n, b) in files) t.Write($"data/cifar-10/cifar-10-batches-bin/{n}", b);
        t.Write("data/cifar-10/cifar-10-batches-bin/batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n"u8.ToArray());
        var opts = Isolated(t.Sub("cache"), SmallCifarManifest());
        opts.DataDir = t.Sub("data");

        var train = Datasets.Cifar10(train: true, opts);
        Assert.Equal("CIFAR-10 train", train.Name);
        Assert.Equal(5 * PerBatch, train.Count);
        Assert.Equal("abcdefghij".Select(c => c.ToString()), train.ClassNames);
        for (int bi = 0; bi < 5; bi++)
        {
            var (px, labels) = CifarReader.ParseCifar10(files[TrainBatches[bi]], "ref");
            for (int i = 0; i < PerBatch; i++)
            {
                Assert.Equal(labels[i], train.Labels[bi * PerBatch + i]);
                Assert.Equal(px.AsSpan(i * 3072, 3072).ToArray(), train.Image(bi * PerBatch + i).ToArray());
            }
        }
        var test = Datasets.Cifar10(train: false, opts);
        Assert.Equal("CIFAR-10 test", test.Name);
        Assert.Equal(CifarReader.ParseCifar10(files["test_batch.bin"], "ref").Labels, test.Labels);
    }

    [Fact]
    public void Cifar10Loader_WrongSizedBatch_IsRejectedWithFix()
    {
        using var t = new DataTempDir();
        foreach (var (n, b) in Cifar10Files()) t.Write($"data/cifar-10/{n}", n == "data_batch_3.bin" ? b[..(b.Length - 1)] : b);
        var opts = Isolated(t.Sub("cache"), SmallCifarManifest());
        opts.DataDir = t.Sub("data");
        var e = Assert.Throws<DataIntegrityException>(() => Datasets.Cifar10(true, opts));
        Assert.Contains("data_batch_3.bin", e.Message);
        Assert.Contains("12,291 bytes uncompressed, expected 12,292", e.Message);
        Assert.Contains("rk data fetch cifar-10", e.Message);
    }

    [Fact]
    public void Cifar10Loader_BadLabelInSizeOnlyFile_IsCaughtByFormatCheck()
    {
        using var t = new DataTempDir();
        foreach (var (n, b) in Cifar10Files())
        {
            if (n == "test_batch.bin") b[3073] = 200;
            t.Write($"data/{n}", b);
        }
        var opts = Isolated(t.Sub("cache"), SmallCifarManifest());
        opts.DataDir = t.Sub("data");
        var e = Assert.Throws<DataIntegrityException>(() => Datasets.Cifar10(false, opts));
        Assert.Contains("record 1 has label 200", e.Message);
    }

    [Fact]
    public void Cifar100Loader_FineLabelsAndCoarseLabels()
    {
        using var t = new DataTempDir();
        var train = Cifar100File(6, 1);
        var test = Cifar100File(3, 2);
        t.Write("data/cifar-100/cifar-100-binary/train.bin", train);
        t.Write("data/cifar-100/cifar-100-binary/test.bin", test);
        var opts = Isolated(t.Sub("cache"), SmallCifarManifest());
        opts.MirrorDir = t.Sub("data");
        var ds = Datasets.Cifar100(true, opts);
        var (px, fine, coarse) = CifarReader.ParseCifar100(train, "ref");
        Assert.Equal("CIFAR-100 train", ds.Name);
        Assert.Equal(fine, ds.Labels);
        Assert.Equal(coarse, ds.CoarseLabels);
        Assert.Equal(px, ds.Pixels);
        Assert.Equal(100, ds.NumClasses);
        Assert.Equal(CifarReader.ParseCifar100(test, "ref").CoarseLabels, Datasets.Cifar100(false, opts).CoarseLabels);
    }

    private static byte[] TarGz(IEnumerable<(string Name, byte[] Bytes)> entries, string prefix = "")
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, prefix + "cifar-10-batches-bin/"));
            foreach (var (n, b) in entries)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, prefix + n) { DataStream = new MemoryStream(b) });
        }
        return ms.ToArray();
    }

    private static byte[] Cifar10Archive(Dictionary<string, byte[]> files, string prefix = "") =>
        TarGz(files.Select(kv => ($"cifar-10-batches-bin/{kv.Key}", kv.Value))
            .Append(("cifar-10-batches-bin/readme.html", "<html/>"u8.ToArray())), prefix);

    private static Manifest WithArchiveMd5(byte[] archive, long? size = null) => SmallCifarManifest(m =>
    {
        var a = DatasetNode(m, "cifar-10")["archives"]![0]!.AsObject();
        a["md5"] = Md5(archive);
        a["size"] = size ?? archive.Length;
    });

    [Fact]
    public void TarGzArchiveInMirror_IsVerifiedAndExtractedIntoCache()
    {
        using var t = new DataTempDir();
        var files = Cifar10Files();
        var archive = Cifar10Archive(files, prefix: "./");
        t.Write("mirror/cifar-10/cifar-10-binary.tar.gz", archive);
        var opts = Isolated(t.Sub("cache"), WithArchiveMd5(archive));
        opts.MirrorDir = t.Sub("mirror");

        var test = Datasets.Cifar10(false, opts);
        Assert.Equal(CifarReader.ParseCifar10(files["test_batch.bin"], "ref").Labels, test.Labels);
        // One pass extracted every member into the cache, atomically renamed, with stamps and no temp files left.
        foreach (var n in files.Keys)
        {
            Assert.Equal(files[n], File.ReadAllBytes(t.Sub("cache", "cifar-10", n)));
            Assert.True(File.Exists(t.Sub("cache", "cifar-10", n + ".verified")));
        }
        Assert.DoesNotContain(t.AllFiles(), f => f.EndsWith(".part", StringComparison.Ordinal));
        Assert.False(File.Exists(t.Sub("cache", "cifar-10", "readme.html")));
        // The train batches now come from the cache without touching the archive.
        File.Delete(t.Sub("mirror/cifar-10/cifar-10-binary.tar.gz"));
        Assert.Equal(5 * PerBatch, Datasets.Cifar10(true, opts).Count);
    }

    [Fact]
    public void TarGzArchiveWithWrongMd5_IsRejectedBeforeExtraction()
    {
        using var t = new DataTempDir();
        var archive = Cifar10Archive(Cifar10Files());
        t.Write("mirror/cifar-10/cifar-10-binary.tar.gz", archive);
        var opts = Isolated(t.Sub("cache"), WithArchiveMd5(Cifar10Archive(Cifar10Files(), prefix: "x/")));
        opts.MirrorDir = t.Sub("mirror");
        var e = Assert.Throws<DataIntegrityException>(() => Datasets.Cifar10(false, opts));
        Assert.Contains("cifar-10-binary.tar.gz", e.Message);
        Assert.False(File.Exists(t.Sub("cache", "cifar-10", "test_batch.bin")));
    }

    [Fact]
    public void TarGzArchiveMissingAMember_IsRejected()
    {
        using var t = new DataTempDir();
        var files = Cifar10Files();
        files.Remove("data_batch_4.bin");
        var archive = Cifar10Archive(files);
        t.Write("data/cifar-10-binary.tar.gz", archive);
        var opts = Isolated(t.Sub("cache"), WithArchiveMd5(archive));
        opts.DataDir = t.Sub("data");
        var e = Assert.Throws<DataIntegrityException>(() => Datasets.Cifar10(false, opts));
        Assert.Contains("lacks cifar-10-batches-bin/data_batch_4.bin", e.Message);
    }

    [Fact]
    public void TruncatedTarGz_IsRejected()
    {
        using var t = new DataTempDir();
        var archive = Cifar10Archive(Cifar10Files());
        var cut = archive[..(archive.Length / 2)];
        t.Write("data/cifar-10-binary.tar.gz", cut);
        // Size/md5 unknown: only reading the archive can reveal the damage.
        var opts = Isolated(t.Sub("cache"), SmallCifarManifest(m =>
        {
            var a = DatasetNode(m, "cifar-10")["archives"]![0]!.AsObject();
            a["md5"] = null; a["size"] = null; a["checksum_kind"] = "none";
        }));
        opts.DataDir = t.Sub("data");
        Assert.ThrowsAny<IOException>(() => Datasets.Cifar10(false, opts));
        Assert.False(File.Exists(t.Sub("cache", "cifar-10", "test_batch.bin")));
        Assert.DoesNotContain(t.AllFiles(), f => f.EndsWith(".part", StringComparison.Ordinal));
    }

    [Fact]
    public void ArchiveDownload_IsVerifiedExtractedAndDeleted()
    {
        using var t = new DataTempDir();
        var files = Cifar10Files();
        var archive = Cifar10Archive(files);
        var http = new FakeHttpHandler().Serve("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", archive);
        var progress = new List<DownloadProgress>();
        var opts = Isolated(t.Sub("cache"), WithArchiveMd5(archive));
        opts.AllowDownload = true;
        opts.HttpHandler = http;
        opts.Progress = new DataSyncProgress<DownloadProgress>(progress.Add);

        var train = Datasets.Cifar10(true, opts);
        Assert.Equal(5 * PerBatch, train.Count);
        Assert.Single(http.Requests);
        Assert.Equal(archive.Length, progress[^1].BytesReceived);
        Assert.Equal(1.0, progress[^1].Fraction);
        Assert.False(File.Exists(t.Sub("cache", "cifar-10", "cifar-10-binary.tar.gz")));
        Assert.Equal(files["data_batch_2.bin"], File.ReadAllBytes(t.Sub("cache", "cifar-10", "data_batch_2.bin")));
        Datasets.Cifar10(false, opts);
        Assert.Single(http.Requests);
    }
}

/// <summary>IProgress that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class DataSyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
