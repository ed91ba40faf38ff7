using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Training;

/// <summary>Evaluation of a binary segmentation model over a batch stream (the segmentation counterpart of <see cref="Metrics.Evaluate"/>).</summary>
public static class SegmentationMetrics
{
    /// <summary>
    /// Runs <paramref name="model"/> in eval mode under <see cref="Torch.NoGrad"/> (the previous mode is restored) and
    /// returns "loss" (mean per image), "pixel_accuracy", "iou" and "dice" (micro-averaged, see <see cref="SegmentationCounts"/>).
    /// </summary>
    /// <param name="model">Maps inputs to (N, 1, H, W) logits.</param>
    /// <param name="batches">(inputs, Float32 masks) batches.</param>
    /// <param name="loss">Batch loss returning the <b>mean</b> over the batch; default pixel-wise BCE on logits.</param>
    /// <param name="logitThreshold">Decision threshold on the logit (default 0: probability ½).</param>
    /// <exception cref="ArgumentException">The stream is empty, or a batch does not fit.</exception>
    public static Dictionary<string, double> Evaluate(Module<Tensor, Tensor> model, IEnumerable<(Tensor X, Tensor Y)> batches,
        Func<Tensor, Tensor, Tensor>? loss = null, float logitThreshold = 0f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        loss ??= static (o, y) => Functional.BinaryCrossEntropyWithLogits(o, y);
        bool wasTraining = model.Training;
        var counts = default(SegmentationCounts);
        double lossSum = 0;
        long images = 0;
        model.Eval();
        try
        {
            using (Torch.NoGrad())
                foreach (var (x, y) in batches)
                {
                    var logits = model.Forward(x);
                    counts += SegmentationCounts.FromLogits(logits, y, logitThreshold);
                    lossSum += loss(logits, y).Item() * x.Size(0);
                    images += x.Size(0);
                }
        }
        finally { model.Train(wasTraining); }
        if (images == 0) throw new ArgumentException("SegmentationMetrics.Evaluate: the batch stream was empty; pass the evaluation batches (e.g. dataset.Batches(64)).");
        var r = counts.ToDictionary();
        r["loss"] = lossSum / images;
        return r;
    }
}
