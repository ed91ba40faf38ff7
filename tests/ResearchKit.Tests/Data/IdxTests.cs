using ResearchKit.Data;
using Xunit;
using static ResearchKit.Tests.Data.DataTestSupport;

namespace ResearchKit.Tests.Data;

public class IdxTests
{
    [Fact]
    public void MnistSample_CountsShapeAndFirstLabels()
    {
        var ds = Samples.Mnist();
        Assert.Equal(1000, ds.Count);
        Assert.Equal((1, 28, 28), (ds.Channels, ds.Height, ds.Width));
        Assert.Equal(new[] { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 }, ds.Labels[..10]);
        Assert.Equal(Datasets.MnistClassNames, ds.ClassNames);
        Assert.Contains("MNIST", ds.Name);
        // Digit strokes are bright on black: the borders of the first image are blank, its centre is not.
        var img = ds.Image(0);
        Assert.Equal(0, img[0]);
        int lit = 0;
        foreach (var p in img) if (p > 128) lit++;
        Assert.InRange(lit, 50, 300);
    }

    [Fact]
    public void FashionMnistSample_CountsAndFirstLabels()
    {
        var ds = Samples.FashionMnist();
        Assert.Equal(1000, ds.Count);
        Assert.Equal(784, ds.ImageSize);
        // Read once from the sample file (the first 10 labels of the Fashion-MNIST test set).
        Assert.Equal(new[] { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 }, ds.Labels[..10]);
        Assert.Equal("Ankle boot", ds.ClassNames[ds.Labels[0]]);
    }

    [Fact]
    public void ReadImages_ParsesBigEndianHeaderAndBody_RawAndGzip()
    {
        var rng = new Random(11);
        var body = new byte[3 * 2 * 5];
        rng.NextBytes(body);
        var file = IdxImages(3, 2, 5, body);
        foreach (var bytes in new[] { file, Gzip(file) })
        {
            using var t = new DataTempDir();
            var img = IdxReader.ReadImages(t.Write("x-idx3-ubyte", bytes));
            Assert.Equal((3, 2, 5), (img.Count, img.Rows, img.Columns));
            Assert.Equal(body, img.Pixels);
        }
        var labels = IdxReader.ReadLabels(new MemoryStream(IdxLabels([3, 1, 4, 1, 5])), "mem");
        Assert.Equal(new[] { 3, 1, 4, 1, 5 }, labels);
    }

    [Fact]
    public void ReadDataset_BuildsImageDataset()
    {
        using var t = new DataTempDir();
        var body = Enumerable.Range(0, 2 * 4).Select(i => (byte)i).ToArray();
        var ds = IdxReader.ReadDataset(t.Write("i", IdxImages(2, 2, 2, body)), t.Write("l", IdxLabels([1, 0])), "toy", ["a", "b"]);
        Assert.Equal(2, ds.Count);
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, ds.Image(1).ToArray());
        Assert.Equal(new[] { 1, 0 }, ds.Labels);
    }

    [Fact]
    public void TruncatedHeader_NamesExpectedAndFoundBytes()
    {
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(new byte[10]), "imgs.idx"));
        Assert.Contains("imgs.idx", e.Message);
        Assert.Contains("needs 16 bytes, found 10", e.Message);
        var l = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(new MemoryStream(new byte[3]), "labs.idx"));
        Assert.Contains("needs 8 bytes, found 3", l.Message);
    }

    [Fact]
    public void TruncatedBody_NamesExpectedAndActualBytes()
    {
        var file = IdxImages(10, 28, 28, new byte[1000]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(file), "t10k-images"));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("7,840 data bytes (7,856 bytes in all)", e.Message);
        Assert.Contains("found only 1,000 data bytes (1,016 in all)", e.Message);

        var labels = IdxLabels(new byte[5], count: 9);
        var l = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(new MemoryStream(labels), "t10k-labels"));
        Assert.Contains("9 labels = 9 data bytes", l.Message);
        Assert.Contains("found only 5 data bytes", l.Message);
    }

    [Fact]
    public void TruncatedGzip_IsRejectedWithFileName()
    {
        var gz = Gzip(IdxImages(50, 28, 28, Enumerable.Range(0, 50 * 784).Select(i => (byte)(i * 31)).ToArray()));
        using var t = new DataTempDir();
        var path = t.Write("cut.gz", gz[..(gz.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TrailingBytes_AreRejected()
    {
        var file = IdxImages(1, 2, 2, new byte[5]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(file), "long"));
        Assert.Contains("longer than its header declares", e.Message);
    }

    [Fact]
    public void WrongMagic_SaysWhichKindOfFileItIs()
    {
        var labelsAsImages = Assert.Throws<InvalidDataException>(() =>
            IdxReader.ReadImages(new MemoryStream(IdxImages(1, 1, 1, [0], magic: IdxReader.LabelsMagic)), "f"));
        Assert.Contains("magic number is 2049, expected 2051", labelsAsImages.Message);
        Assert.Contains("labels file", labelsAsImages.Message);
        var imagesAsLabels = Assert.Throws<InvalidDataException>(() =>
            IdxReader.ReadLabels(new MemoryStream(IdxLabels([0], magic: IdxReader.ImagesMagic)), "f"));
        Assert.Contains("expected 2049", imagesAsLabels.Message);
        var garbage = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(IdxImages(1, 1, 1, [0], magic: 12345)), "f"));
        Assert.Contains("12345", garbage.Message);
    }

    [Fact]
    public void ImpossibleDimensions_AreRejected()
    {
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(IdxImages(-1, 28, 28, [])), "f"));
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(IdxImages(1, 0, 28, [])), "f"));
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(new MemoryStream(IdxImages(1 << 20, 1 << 10, 1 << 10, [])), "f"));
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(new MemoryStream(IdxLabels([], count: -5)), "f"));
    }

    [Fact]
    public void ImagesAndLabelsCountMismatch_IsRejected()
    {
        using var t = new DataTempDir();
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadDataset(
            t.Write("i", IdxImages(2, 1, 1, [1, 2])), t.Write("l", IdxLabels([0, 1, 0])), "toy", ["a", "b"]));
        Assert.Contains("2 images", e.Message);
        Assert.Contains("3 labels", e.Message);
    }

    [Fact]
    public void LabelOutsideClasses_IsRejected()
    {
        using var t = new DataTempDir();
        Assert.Throws<ArgumentException>(() => IdxReader.ReadDataset(
            t.Write("i", IdxImages(1, 1, 1, [1])), t.Write("l", IdxLabels([7])), "toy", ["a", "b"]));
    }
}
