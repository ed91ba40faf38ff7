using ResearchKit.Data;
using ResearchKit.Tensors;
using ResearchKit.Tests.Models;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Data;

public class ForegroundSegmentationTests
{
    private static readonly ImageDataset Source = SyntheticShapes.Dataset(12, 28, seed: 1);

    [Fact]
    public void Mask_IsTheCleanImageAboveThreshold_CentredOnTheCanvas()
    {
        var data = ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Seed: 5, Size: 32, Threshold: 0.5f));
        Assert.Equal(12, data.Count);
        Assert.Equal(32, data.Height);
        Assert.Contains("stand-in for Airbus Ship Detection", data.Name);
        for (int i = 0; i < data.Count; i++)
        {
            var img = Source.Image(i);
            for (int r = 0; r < 32; r++)
                for (int c = 0; c < 32; c++)
                {
                    int sr = r - 2, sc = c - 2; // (32 − 28) / 2 = 2 pixels of padding each side
                    bool inside = sr is >= 0 and < 28 && sc is >= 0 and < 28;
                    float expected = inside && img[sr * 28 + sc] > 127.5 ? 1f : 0f;
                    Assert.Equal(expected, data.Masks[i * 1024 + r * 32 + c]);
                }
        }
        Assert.All(data.Inputs, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void WithoutClutter_InputIsTheCleanImage()
    {
        var data = ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Size: 28, Blobs: 0, NoiseStd: 0f));
        for (int i = 0; i < Source.Pixels.Length; i++) Assert.Equal(Source.Pixels[i] / 255f, data.Inputs[i], 6);
    }

    [Fact]
    public void SameSeed_SameData_OtherSeed_OtherClutterSameMasks()
    {
        var a = ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Seed: 3));
        var b = ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Seed: 3));
        var c = ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Seed: 4));
        Assert.Equal(a.Inputs, b.Inputs);
        Assert.Equal(a.Masks, b.Masks);
        Assert.NotEqual(a.Inputs, c.Inputs);
        Assert.Equal(a.Masks, c.Masks);
        // Image i's clutter depends on (seed, i) only: a prefix of the source gives a prefix of the data.
        var prefix = ForegroundSegmentation.Build(Source.Take(5), new ForegroundSegmentationOptions(Seed: 3));
        Assert.Equal(a.Inputs.AsSpan(0, 5 * 1024).ToArray(), prefix.Inputs);
    }

    [Fact]
    public void ThresholdingTheInput_DoesNotSolveTheTask()
    {
        // The clutter must cross the threshold somewhere, else a fixed threshold would be a perfect segmenter.
        var data = ForegroundSegmentation.Build(SyntheticShapes.Dataset(64, 28, seed: 2), new ForegroundSegmentationOptions(Seed: 6));
        var (x, y) = data.Batch(0, data.Count);
        var naive = SegmentationCounts.FromLogits(x - 0.5f, y);
        Assert.True(naive.Iou < 0.8, $"thresholding the input reaches IoU {naive.Iou:F3}; the clutter is too weak");
        Assert.InRange(data.ForegroundFraction, 0.01, 0.5);
    }

    [Fact]
    public void Batches_CoverTheDatasetInOrder()
    {
        var data = ForegroundSegmentation.Build(Source);
        var batches = data.Batches(5).ToList();
        Assert.Equal([5, 5, 2], batches.Select(b => b.X.Size(0)));
        Assert.Equal(new Shape(5, 1, 32, 32), batches[0].Y.Shape);
        Assert.Equal(data.Inputs.AsSpan(10 * 1024, 1024).ToArray(), batches[2].X.ToArray().AsSpan(0, 1024).ToArray());
        Assert.Equal(data.Gather([7]).Y.ToArray(), data.Batch(7, 1).Y.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Batch(10, 3));
    }

    [Fact]
    public void BadSourcesAndOptions_NameTheFix()
    {
        var rgb = new ImageDataset("rgb", new byte[2 * 3 * 4 * 4], new int[2], 3, 4, 4, ["a"]);
        Assert.Contains("grayscale", Assert.Throws<ArgumentException>(() => ForegroundSegmentation.Build(rgb)).Message);
        Assert.Contains("raise Size", Assert.Throws<ArgumentException>(() => ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Size: 16))).Message);
        Assert.Throws<ArgumentException>(() => ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(BlobSigmaMin: 0f)));
        Assert.Throws<ArgumentException>(() => ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Threshold: 1f)));
    }
}
