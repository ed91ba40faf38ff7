using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Training;

public class SegmentationMetricsTests
{
    [Fact]
    public void HandBuiltMask_GivesCountedMetrics()
    {
        // 4×4: mask has 5 foreground pixels; prediction hits 3 of them and adds 1 false positive.
        float[] mask =
        [
            1, 1, 0, 0,
            1, 0, 0, 0,
            0, 0, 1, 1,
            0, 0, 0, 0,
        ];
        float[] logits =
        [
            2, 3, -1, -1,
            1, -1, -1, 4,
            -2, -2, -1, -1,
            -1, -1, -1, -1,
        ];
        var c = SegmentationCounts.FromLogits(Tensor.FromArray(logits, 1, 1, 4, 4), Tensor.FromArray(mask, 1, 1, 4, 4));
        Assert.Equal(new SegmentationCounts(3, 1, 2, 10), c);
        Assert.Equal(13.0 / 16, c.PixelAccuracy, 12);
        Assert.Equal(3.0 / 6, c.Iou, 12);
        Assert.Equal(6.0 / 9, c.Dice, 12);
        // A logit threshold of 1.5 drops the pixel at logit 1: TP 2, FN 3.
        Assert.Equal(new SegmentationCounts(2, 1, 3, 10), SegmentationCounts.FromLogits(Tensor.FromArray(logits, 1, 1, 4, 4), Tensor.FromArray(mask, 1, 1, 4, 4), 1.5f));
    }

    [Fact]
    public void EmptyMaskAndEmptyPrediction_ArePerfect()
    {
        var c = SegmentationCounts.FromLogits(Tensor.Full([1, 1, 3, 3], -1f), Tensor.Zeros(1, 1, 3, 3));
        Assert.Equal(1.0, c.PixelAccuracy);
        Assert.Equal(1.0, c.Iou);
        Assert.Equal(1.0, c.Dice);
        Assert.True(double.IsNaN(default(SegmentationCounts).PixelAccuracy));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Properties_DiceFromIou_AndCountsAddOverBatches(int seed)
    {
        var g = new Generator(seed);
        var logits = Tensor.Randn([6, 1, 5, 5], g);
        var mask = Tensor.Randn([6, 1, 5, 5], g).Gt(0.4f).Float();
        var whole = SegmentationCounts.FromLogits(logits, mask);
        var parts = SegmentationCounts.FromLogits(logits.Narrow(0, 0, 2), mask.Narrow(0, 0, 2))
                    + SegmentationCounts.FromLogits(logits.Narrow(0, 2, 4), mask.Narrow(0, 2, 4));
        Assert.Equal(whole, parts);
        Assert.Equal(150, whole.Pixels);
        Assert.Equal(2 * whole.Iou / (1 + whole.Iou), whole.Dice, 12); // Dice = 2·IoU/(1 + IoU)
        Assert.InRange(whole.Iou, 0.0, whole.Dice);
    }

    [Fact]
    public void Evaluate_RestoresTrainingMode_AndAveragesLossPerImage()
    {
        var model = new ThinUNet(baseWidth: 2, depth: 1, inChannels: 1, generator: new Generator(1));
        var g = new Generator(2);
        var batches = new[] { 3, 2 }.Select(n => (Tensor.Randn([n, 1, 4, 4], g), Tensor.Randn([n, 1, 4, 4], g).Gt(0f).Float())).ToList();
        model.Train();
        var r = SegmentationMetrics.Evaluate(model, batches, (o, y) => o.Mean() * 0f + 1f);
        Assert.True(model.Training);
        Assert.Equal(1.0, r["loss"], 6);
        Assert.Equal(["dice", "iou", "loss", "pixel_accuracy"], r.Keys.Order());
        Assert.Throws<ArgumentException>(() => SegmentationMetrics.Evaluate(model, []));
        Assert.Throws<ArgumentException>(() => SegmentationCounts.FromLogits(Tensor.Zeros(1, 1, 2, 2), Tensor.Zeros(1, 2, 2)));
    }
}
