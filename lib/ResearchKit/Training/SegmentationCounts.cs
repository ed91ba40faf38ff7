using ResearchKit.Tensors;

namespace ResearchKit.Training;

/// <summary>
/// Pixel confusion counts of a binary segmentation (true/false positives/negatives), accumulated over batches, and the
/// metrics they give: pixel accuracy, IoU (Jaccard) and Dice (F1) of the foreground class.
/// </summary>
/// <remarks>
/// <para>Metrics are micro-averaged: counts are summed over every pixel of every image first, so a dataset's IoU is
/// Σ TP / Σ (TP + FP + FN), not a mean of per-image IoUs (Kaggle's Airbus score is yet another, per-object F2).</para>
/// <para>With no foreground in either prediction or mask, IoU and Dice are 0/0; they are reported as 1 (a perfect
/// empty prediction), the convention of most segmentation libraries.</para>
/// </remarks>
public readonly record struct SegmentationCounts(long TruePositives, long FalsePositives, long FalseNegatives, long TrueNegatives)
{
    /// <summary>Number of pixels counted.</summary>
    public long Pixels => TruePositives + FalsePositives + FalseNegatives + TrueNegatives;

    /// <summary>(TP + TN) / pixels; NaN when nothing was counted.</summary>
    public double PixelAccuracy => Pixels == 0 ? double.NaN : (double)(TruePositives + TrueNegatives) / Pixels;

    /// <summary>TP / (TP + FP + FN); 1 when neither prediction nor mask has a foreground pixel.</summary>
    public double Iou => Union == 0 ? 1.0 : (double)TruePositives / Union;

    /// <summary>2·TP / (2·TP + FP + FN); 1 when neither prediction nor mask has a foreground pixel.</summary>
    public double Dice => Union == 0 ? 1.0 : 2.0 * TruePositives / (2 * TruePositives + FalsePositives + FalseNegatives);

    private long Union => TruePositives + FalsePositives + FalseNegatives;

    /// <summary>Element-wise sum of two count sets.</summary>
    public static SegmentationCounts operator +(SegmentationCounts a, SegmentationCounts b) =>
        new(a.TruePositives + b.TruePositives, a.FalsePositives + b.FalsePositives, a.FalseNegatives + b.FalseNegatives, a.TrueNegatives + b.TrueNegatives);

    /// <summary>
    /// Counts of a prediction against a mask: a pixel is predicted foreground when its logit is above
    /// <paramref name="logitThreshold"/> (0, i.e. probability above ½, by default), and is foreground in the mask when
    /// the mask value is above ½.
    /// </summary>
    /// <param name="logits">Float32 model output (N, …), e.g. (N, 1, H, W).</param>
    /// <param name="mask">Float32 mask of the same shape, values in [0, 1].</param>
    /// <param name="logitThreshold">Decision threshold on the logit.</param>
    /// <exception cref="ArgumentException">Dtypes or shapes do not fit.</exception>
    public static SegmentationCounts FromLogits(Tensor logits, Tensor mask, float logitThreshold = 0f)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(mask);
        if (logits.DType != DType.Float32 || mask.DType != DType.Float32)
            throw new ArgumentException($"SegmentationCounts: logits and mask must be Float32, got {logits.DType} and {mask.DType}; convert the mask with .Float().");
        if (!logits.Shape.Equals(mask.Shape))
            throw new ArgumentException($"SegmentationCounts: mask {mask.Shape} must have the logits' shape {logits.Shape}.");
        var p = logits.Contiguous().AsReadOnlySpan();
        var t = mask.Contiguous().AsReadOnlySpan();
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < p.Length; i++)
        {
            bool pred = p[i] > logitThreshold, truth = t[i] > 0.5f;
            if (pred) { if (truth) tp++; else fp++; }
            else if (truth) fn++; else tn++;
        }
        return new(tp, fp, fn, tn);
    }

    /// <summary>"pixel_accuracy", "iou" and "dice".</summary>
    public Dictionary<string, double> ToDictionary() => new()
    {
        ["pixel_accuracy"] = PixelAccuracy,
        ["iou"] = Iou,
        ["dice"] = Dice,
    };
}
