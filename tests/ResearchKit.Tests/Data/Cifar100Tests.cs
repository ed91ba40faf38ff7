using System.Formats.Tar;
using System.IO.Compression;
using ResearchKit.Data;
using Xunit;
using static ResearchKit.Tests.Data.DataTestSupport;

namespace ResearchKit.Tests.Data;

/// <summary>CIFAR-100 (binary version) through the loader, on synthetic files in the exact record format (the full dataset is not in the mirror).</summary>
public class Cifar100Tests
{
    private const int TrainCount = 6, TestCount = 3;

    private static Manifest SmallManifest(Action<System.Text.Json.Nodes.JsonObject>? edit = null)
    {
        var m = DefaultManifestJson();
        SetSize(m, "cifar-100", "train.bin", TrainCount * 3074L);
        SetSize(m, "cifar-100", "test.bin", TestCount * 3074L);
        edit?.Invoke(m);
        return Manifest.Parse(m.ToJsonString());
    }

    // Record i: coarse label, fine label, then the R, G and B planes filled with 3i+1, 3i+2, 3i+3 except pixel (row 0, col 1)
    // of each plane, which holds 250 − i: the planes' order and the row-major layout are both visible.
    private static byte[] Records(int n, Func<int, (int Coarse, int Fine)> labels)
    {
        var b = new byte[n * 3074];
        for (int i = 0; i < n; i++)
        {
            var r = b.AsSpan(i * 3074, 3074);
            (r[0], r[1]) = ((byte)labels(i).Coarse, (byte)labels(i).Fine);
            for (int c = 0; c < 3; c++)
            {
                r.Slice(2 + c * 1024, 1024).Fill((byte)(3 * i + c + 1));
                r[2 + c * 1024 + 1] = (byte)(250 - i);
            }
        }
        return b;
    }

    private static byte[] Train() => Records(TrainCount, i => ((3 + 5 * i) % 20, (97 + 13 * i) % 100));
    private static byte[] Test() => Records(TestCount, i => (19 - i, 99 - 2 * i));

    private static DataOptions WithFiles(DataTempDir t, byte[] train, byte[] test, Manifest? manifest = null)
    {
        t.Write("data/cifar-100/cifar-100-binary/train.bin", train);
        t.Write("data/cifar-100/cifar-100-binary/test.bin", test);
        var o = Isolated(t.Sub("cache"), manifest ?? SmallManifest());
        o.MirrorDir = t.Sub("data");
        return o;
    }

    [Fact]
    public void FineLabels_AreTheDefault_WithPixelsInChwOrder()
    {
        using var t = new DataTempDir();
        var opts = WithFiles(t, Train(), Test());
        var ds = Datasets.Cifar100(train: true, opts);
        Assert.Equal("CIFAR-100 train", ds.Name);
        Assert.Equal(TrainCount, ds.Count);
        Assert.Equal((3, 32, 32), (ds.Channels, ds.Height, ds.Width));
        Assert.Equal(Enumerable.Range(0, TrainCount).Select(i => (97 + 13 * i) % 100), ds.Labels);
        Assert.Equal(Enumerable.Range(0, TrainCount).Select(i => (3 + 5 * i) % 20), ds.CoarseLabels!);
        Assert.Equal(100, ds.NumClasses);
        Assert.Same(CifarClassNames.Cifar100Fine, ds.ClassNames);
        Assert.Equal("wolf", ds.ClassNames[ds.Labels[0]]); // fine label 97
        for (int i = 0; i < TrainCount; i++)
        {
            var img = ds.Image(i);
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(3 * i + c + 1, img[c * 1024]);
                Assert.Equal(250 - i, img[c * 1024 + 1]);
                Assert.Equal(3 * i + c + 1, img[c * 1024 + 32]); // row 1, col 0
            }
        }
        var test = Datasets.Cifar100(train: false, opts);
        Assert.Equal("CIFAR-100 test", test.Name);
        Assert.Equal(new[] { 99, 97, 95 }, test.Labels);
    }

    [Fact]
    public void CoarseLabels_GiveTwentySuperclasses()
    {
        using var t = new DataTempDir();
        var opts = WithFiles(t, Train(), Test());
        var fine = Datasets.Cifar100(false, opts);
        var coarse = Datasets.Cifar100(false, opts, Cifar100Labels.Coarse);
        Assert.Equal("CIFAR-100 test (coarse)", coarse.Name);
        Assert.Equal(new[] { 19, 18, 17 }, coarse.Labels);
        Assert.Equal(coarse.Labels, coarse.CoarseLabels!);
        Assert.Equal(20, coarse.NumClasses);
        Assert.Equal("vehicles_2", coarse.ClassNames[coarse.Labels[0]]);
        Assert.Equal(fine.Pixels, coarse.Pixels);
        // The same bytes read directly give the same datasets.
        var direct = CifarReader.ReadCifar100(t.Sub("data/cifar-100/cifar-100-binary/test.bin"), "x", Cifar100Labels.Coarse);
        Assert.Equal(coarse.Labels, direct.Labels);
        Assert.Equal(fine.Labels, CifarReader.ReadCifar100(t.Sub("data/cifar-100/cifar-100-binary/test.bin"), "x").Labels);
        Assert.Throws<ArgumentOutOfRangeException>(() => Datasets.Cifar100(false, opts, (Cifar100Labels)7));
    }

    [Fact]
    public void ClassNames_FromTheArchiveTextFiles_WhenPresent()
    {
        using var t = new DataTempDir();
        var opts = WithFiles(t, Train(), Test());
        t.Write("data/cifar-100/cifar-100-binary/fine_label_names.txt",
            System.Text.Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, 100).Select(i => $"f{i}")) + "\n\n"));
        t.Write("data/cifar-100/cifar-100-binary/coarse_label_names.txt",
            System.Text.Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, 20).Select(i => $"c{i}")) + "\n"));
        Assert.Equal("f99", Datasets.Cifar100(false, opts).ClassNames[99]);
        Assert.Equal("c19", Datasets.Cifar100(false, opts, Cifar100Labels.Coarse).ClassNames[19]);

        t.Write("data/cifar-100/cifar-100-binary/coarse_label_names.txt", "only\ntwo\n"u8.ToArray());
        Assert.Contains("expected 20", Assert.Throws<InvalidDataException>(() => Datasets.Cifar100(false, opts)).Message);
    }

    [Fact]
    public void PublishedClassNames_AreTheArchiveLists()
    {
        // fine_label_names.txt is alphabetical; spot checks against the published lists (0-based labels).
        Assert.Equal("apple", CifarClassNames.Cifar100Fine[0]);
        Assert.Equal("aquarium_fish", CifarClassNames.Cifar100Fine[1]);
        Assert.Equal("willow_tree", CifarClassNames.Cifar100Fine[96]);
        Assert.Equal("wolf", CifarClassNames.Cifar100Fine[97]);
        Assert.Equal("woman", CifarClassNames.Cifar100Fine[98]);
        Assert.Equal("worm", CifarClassNames.Cifar100Fine[99]);
        Assert.Equal("people", CifarClassNames.Cifar100Coarse[14]);
        Assert.Equal(CifarClassNames.Cifar100Coarse.Order(StringComparer.Ordinal), CifarClassNames.Cifar100Coarse);
    }

    [Fact]
    public void Loader_ScalesPixelsBy255_IntoNchwBatches()
    {
        using var t = new DataTempDir();
        var ds = Datasets.Cifar100(true, WithFiles(t, Train(), Test()));
        using var loader = new DataLoader(ds, batchSize: TrainCount, shuffle: false, seed: 0, Transforms.ToFloat());
        var batch = loader.GetBatch(0, 0);
        Assert.Equal(new[] { TrainCount, 3, 32, 32 }, batch.Images.Shape.ToArray());
        Assert.Equal(ds.Labels.Select(l => (long)l), batch.Labels.ToInt64Array());
        var v = batch.Images.ToArray();
        Assert.True(v.All(x => x is >= 0f and <= 1f));
        for (int i = 0; i < TrainCount; i++)
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal((3 * i + c + 1) / 255.0, v[(i * 3 + c) * 1024], 1e-6);
                Assert.Equal((250 - i) / 255.0, v[(i * 3 + c) * 1024 + 1], 1e-6);
            }
    }

    [Fact]
    public void TruncatedFile_IsRejectedWithTheFix()
    {
        using var t = new DataTempDir();
        var train = Train();
        var opts = WithFiles(t, train[..^1], Test());
        var e = Assert.Throws<DataIntegrityException>(() => Datasets.Cifar100(true, opts));
        Assert.Contains("CIFAR-100 file train.bin", e.Message);
        Assert.Contains("rk data fetch cifar-100", e.Message);

        // Without a size in the manifest, the record check catches the same damage.
        var noSize = SmallManifest(m => SetSize(m, "cifar-100", "train.bin", null));
        using var t2 = new DataTempDir();
        var e2 = Assert.ThrowsAny<Exception>(() => Datasets.Cifar100(true, WithFiles(t2, train[..^1], Test(), noSize)));
        Assert.Contains("truncated", e2.Message);
    }

    [Fact]
    public void LabelOutOfRange_IsRejected()
    {
        using var t = new DataTempDir();
        var test = Test();
        test[3074 + 1] = 100; // fine label of record 1
        var e = Assert.Throws<DataIntegrityException>(() => Datasets.Cifar100(false, WithFiles(t, Train(), test)));
        Assert.Contains("record 1", e.Message);
        Assert.Contains("fine label 100", e.Message);

        using var t2 = new DataTempDir();
        test = Test();
        test[0] = 20; // coarse label of record 0
        Assert.Contains("coarse label 20", Assert.Throws<DataIntegrityException>(() => Datasets.Cifar100(false, WithFiles(t2, Train(), test))).Message);
    }

    [Fact]
    public void MissingDataset_GivesTheSameNotFoundErrorAsOtherDatasets()
    {
        using var t = new DataTempDir();
        var opts = Isolated(t.Sub("cache"), SmallManifest());
        var e100 = Assert.Throws<DataNotFoundException>(() => Datasets.Cifar100(true, opts, Cifar100Labels.Coarse));
        var e10 = Assert.Throws<DataNotFoundException>(() => Datasets.Cifar10(true, opts));
        foreach (var (e, file, url) in new[]
                 {
                     (e100, "CIFAR-100 file train.bin", "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"),
                     (e10, "CIFAR-10 file data_batch_1.bin", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"),
                 })
        {
            Assert.StartsWith(file + " not found. Looked in:", e.Message);
            Assert.Contains("RESEARCHKIT_DATA", e.Message);
            Assert.Contains("allow downloading from " + url, e.Message);
        }
        Assert.Contains("Fashion-MNIST can stand in", e100.Message);
        Assert.False(new DataCatalog(opts).Status("cifar-100").IsAvailable);
    }

    [Fact]
    public void ArchiveInMirror_IsCheckedByItsMd5_ThenExtracted()
    {
        using var t = new DataTempDir();
        var archive = TarGz([("cifar-100-binary/train.bin", Train()), ("cifar-100-binary/test.bin", Test()),
            ("cifar-100-binary/coarse_label_names.txt", System.Text.Encoding.UTF8.GetBytes(string.Join("\n", CifarClassNames.Cifar100Coarse)))]);
        t.Write("mirror/cifar-100/cifar-100-binary.tar.gz", archive);
        Manifest WithMd5(string md5) => SmallManifest(m =>
        {
            var a = DatasetNode(m, "cifar-100")["archives"]![0]!.AsObject();
            a["md5"] = md5;
            a["size"] = archive.Length;
        });

        var bad = Isolated(t.Sub("cache-bad"), WithMd5(Md5([1, 2, 3])));
        bad.MirrorDir = t.Sub("mirror");
        Assert.Contains("cifar-100-binary.tar.gz", Assert.Throws<DataIntegrityException>(() => Datasets.Cifar100(false, bad)).Message);

        var good = Isolated(t.Sub("cache"), WithMd5(Md5(archive)));
        good.MirrorDir = t.Sub("mirror");
        var ds = Datasets.Cifar100(false, good, Cifar100Labels.Coarse);
        Assert.Equal(new[] { 19, 18, 17 }, ds.Labels);
        Assert.Equal(Train(), File.ReadAllBytes(t.Sub("cache", "cifar-100", "train.bin")));
    }

    private static byte[] TarGz(IEnumerable<(string Name, byte[] Bytes)> entries)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "cifar-100-binary/"));
            foreach (var (n, b) in entries)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, n) { DataStream = new MemoryStream(b) });
        }
        return ms.ToArray();
    }
}
