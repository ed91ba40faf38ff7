using System.Diagnostics;
using ResearchKit.Data;
using Xunit;
using Xunit.Abstractions;
using static ResearchKit.Tests.Data.DataTestSupport;

namespace ResearchKit.Tests.Data;

/// <summary>One temp cache shared by the full-data checks, so each mirror file is decompressed and verified once.</summary>
public sealed class MirrorCacheFixture : IDisposable
{
    public DataTempDir Dir { get; } = new();
    public DataOptions Options(bool download = false)
    {
        var o = Isolated(Dir.Sub("cache"));
        o.MirrorDir = DataTestSupport.Mirror;
        o.AllowDownload = download;
        return o;
    }
    public void Dispose() => Dir.Dispose();
}

/// <summary>Full-data checks against the counts published in shared/data/SOURCES.md (run only where the mirror exists).</summary>
public class DatasetsTests(MirrorCacheFixture fx, ITestOutputHelper output) : IClassFixture<MirrorCacheFixture>
{
    private static int[] Counts(int[] labels, int classes)
    {
        var c = new int[classes];
        foreach (var l in labels) c[l]++;
        return c;
    }

    [MirrorFact]
    public void Mnist_CountsClassBalanceAndSample()
    {
        var first = Stopwatch.StartNew();
        var train = Datasets.Mnist(train: true, fx.Options());
        output.WriteLine($"MNIST train first load (gunzip from the mirror + sha256 + cache write): {first.ElapsedMilliseconds} ms");
        Assert.Equal(("MNIST train", 60_000, 1, 28, 28), (train.Name, train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, Counts(train.Labels, 10));
        var test = Datasets.Mnist(train: false, fx.Options());
        Assert.Equal(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, Counts(test.Labels, 10));
        var sample = Samples.Mnist();
        Assert.Equal(test.Pixels.AsSpan(0, 1000 * 784).ToArray(), sample.Pixels);
        Assert.Equal(test.Labels[..1000], sample.Labels);

        // After the first verification a load is a stat + stamp check + one raw read.
        var best = TimeSpan.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            var again = Datasets.Mnist(train: true, fx.Options());
            sw.Stop();
            Assert.Equal(60_000, again.Count);
            if (sw.Elapsed < best) best = sw.Elapsed;
        }
        output.WriteLine($"MNIST train (60,000 images) reload from the verified cache: best of 3 = {best.TotalMilliseconds:F0} ms");
        Assert.True(best < TimeSpan.FromSeconds(1), $"reload took {best.TotalMilliseconds:F0} ms");
    }

    [MirrorFact]
    public void FashionMnist_FirstLabelsClassBalanceAndMean()
    {
        var train = Datasets.FashionMnist(train: true, fx.Options());
        Assert.Equal(new[] { 9, 0, 0, 3, 0, 2, 7, 2, 5, 5 }, train.Labels[..10]);
        Assert.All(Counts(train.Labels, 10), c => Assert.Equal(6000, c));
        double mean = 0;
        foreach (var p in train.Pixels) mean += p;
        Assert.Equal(72.94, mean / train.Pixels.Length, 0.01);
        var test = Datasets.FashionMnist(train: false, fx.Options());
        Assert.All(Counts(test.Labels, 10), c => Assert.Equal(1000, c));
        Assert.Equal(test.Pixels.AsSpan(0, 1000 * 784).ToArray(), Samples.FashionMnist().Pixels);
    }

    [MirrorFact]
    public void WikiText2_TokenCountsAndVocabulary()
    {
        var c = Datasets.WikiText2(fx.Options());
        output.WriteLine(c.ToString());
        Assert.Equal((2_088_628, 217_646, 245_569, 33_278), (c.Train.Length, c.Valid.Length, c.Test.Length, c.Vocab.Count));
        Assert.Equal(36_718, c.Train.Count(t => t == c.Vocab.Eos));
        Assert.True(c.Vocab.Unk >= 0);
        // The committed excerpt is the start of the same file: same first ids.
        var sample = Samples.WikiText2();
        Assert.Equal(sample.Vocab.Decode(sample.Train.AsSpan(0, 200)), c.Vocab.Decode(c.Train.AsSpan(0, 200)));
    }

    [MirrorFact]
    public void WikiText2QuickCorpus_HasTheRecipesStepsPerEpoch()
    {
        // The quick LM presets count T and t_save in steps of this corpus; a change of Reduced or LmBatcher shows here.
        var c = ResearchKit.Experiments.WikiText2LstmRecipe.LoadData(ResearchKit.Experiments.Preset.Quick, fx.Options());
        output.WriteLine(c.ToString());
        Assert.Equal(ResearchKit.Experiments.WikiText2LstmRecipe.QuickVocabulary, c.Vocab.Count);
        Assert.Equal(ResearchKit.Experiments.WikiText2LstmRecipe.QuickTrainTokens, c.Train.Length);
        var batcher = new ResearchKit.Data.LmBatcher(c.Train, ResearchKit.Experiments.WikiText2LstmRecipe.QuickBatchSize, 35);
        Assert.Equal(ResearchKit.Experiments.WikiText2LstmRecipe.QuickStepsPerEpoch, batcher.BatchesPerEpoch);
    }

    [MirrorFact]
    public void PennTreebank_TokenCountsAndVocabulary()
    {
        var c = Datasets.PennTreebank(fx.Options());
        output.WriteLine(c.ToString());
        Assert.Equal((929_589, 73_760, 82_430, 10_000), (c.Train.Length, c.Valid.Length, c.Test.Length, c.Vocab.Count));
        Assert.Equal(42_068, c.Train.Count(t => t == c.Vocab.Eos));
        Assert.True(c.Vocab.Contains("<unk>"));
    }

    [MirrorFact]
    public void Cifar10Sample_IsTheMirrorSampleByteForByte()
    {
        var mirror = File.ReadAllBytes(Path.Combine(DataTestSupport.Mirror!, "cifar-10-sample", "test_batch_first1000.bin"));
        Assert.Equal(mirror, Samples.Read("cifar-10-test-1000", out _));
        var (px, labels) = CifarReader.ParseCifar10(mirror, "mirror");
        var s = Samples.Cifar10();
        Assert.Equal(px, s.Pixels);
        Assert.Equal(labels, s.Labels);
    }

    [MirrorFact]
    public void FullCifar_IsNotInTheMirror_AndTheErrorPointsToTheSample()
    {
        var e = Assert.Throws<DataNotFoundException>(() => Datasets.Cifar10(false, fx.Options()));
        output.WriteLine(e.Message);
        Assert.Contains("CIFAR-10 file test_batch.bin not found", e.Message);
        Assert.Contains("Samples.Cifar10()", e.Message);
        Assert.Contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", e.Message);
        var catalog = new DataCatalog(fx.Options());
        Assert.False(catalog.Status("cifar-100").IsAvailable);
        Assert.True(catalog.Status("ptb").IsAvailable);
    }
}
