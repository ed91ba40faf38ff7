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

    [Fact]
    public void Distractors_AreDimFragmentsOfOtherImages_InTheInputOnly()
    {
        // Without blobs and noise the input minus the clean digit is the distractors alone: non-negative, at most
        // Distractors × contrast max, and absent from the mask.
        var plain = new ForegroundSegmentationOptions(Seed: 2, Blobs: 0, NoiseStd: 0f);
        var frag = plain with { Distractors = 3, DistractorContrastMin = 0.2f, DistractorContrastMax = 0.4f, DistractorPatch = 10 };
        var a = ForegroundSegmentation.Build(Source, plain);
        var b = ForegroundSegmentation.Build(Source, frag);
        Assert.Equal(a.Masks, b.Masks);
        Assert.NotEqual(a.Inputs, b.Inputs);
        for (int p = 0; p < a.Inputs.Length; p++)
            if (a.Inputs[p] < 1f) Assert.InRange(b.Inputs[p] - a.Inputs[p], -1e-6f, 3 * 0.4f + 1e-6f);
        Assert.Equal(b.Inputs, ForegroundSegmentation.Build(Source, frag).Inputs);   // deterministic
        // No distractor: not one draw more, so the plain task's images are unchanged.
        Assert.Equal(ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Seed: 4)).Inputs,
            ForegroundSegmentation.Build(Source, new ForegroundSegmentationOptions(Seed: 4) with { Distractors = 0, DistractorPatch = 5 }).Inputs);
    }

    [Fact]
    public void HardTask_DefeatsThresholdingMoreThanThePlainOne()
    {
        var src = SyntheticShapes.Dataset(64, 28, seed: 2);
        double NaiveIou(ForegroundSegmentationOptions o)
        {
            var d = ForegroundSegmentation.Build(src, o);
            var (x, y) = d.Batch(0, d.Count);
            return SegmentationCounts.FromLogits(x - 0.5f, y).Iou;
        }
        Assert.True(NaiveIou(ForegroundSegmentationOptions.Hard(6)) < NaiveIou(new ForegroundSegmentationOptions(Seed: 6)));
        Assert.True(ForegroundSegmentationOptions.Hard().Distractors > 0);
    }

    [Fact]
    public void BadDistractorOptions_NameTheFix()
    {
        Assert.Contains("Distractors", Assert.Throws<ArgumentException>(() => new ForegroundSegmentationOptions(Distractors: -1).Validated()).Message);
        Assert.Contains("DistractorContrastMin", Assert.Throws<ArgumentException>(() => new ForegroundSegmentationOptions(DistractorContrastMin: 0.5f, DistractorContrastMax: 0.4f).Validated()).Message);
        Assert.Contains("DistractorPatch", Assert.Throws<ArgumentException>(() => new ForegroundSegmentationOptions(DistractorPatch: 40).Validated()).Message);
        var tooBig = new ForegroundSegmentationOptions(Size: 32, Distractors: 1, DistractorPatch: 30);
        Assert.Contains("smaller patch", Assert.Throws<ArgumentException>(() => ForegroundSegmentation.Build(Source, tooBig)).Message);
    }
}
