using ResearchKit.Tensors;

namespace ResearchKit.Training;

/// <summary>Accumulates loss, top-1 and top-5 correct counts over classification batches.</summary>
public sealed class ClassificationMeter
{
    /// <summary>Samples seen.</summary>
    public long Samples { get; private set; }

    /// <summary>Sum of per-sample losses.</summary>
    public double LossSum { get; private set; }

    /// <summary>Top-1 correct predictions.</summary>
    public long Top1 { get; private set; }

    /// <summary>Top-5 correct predictions.</summary>
    public long Top5 { get; private set; }

    /// <summary>Adds a batch of (N, C) logits, (N) Int64 labels and the batch's summed loss.</summary>
    /// <exception cref="ArgumentException">Shapes do not fit (see <see cref="Metrics.TopKCorrect"/>).</exception>
    public void Add(Tensor logits, Tensor labels, double lossSum)
    {
        if (!logits.Device.IsCpu) logits = logits.Detach().Cpu();   // counted on the host: one copy, not one per count
        if (!labels.Device.IsCpu) labels = labels.Cpu();
        Top1 += Metrics.TopKCorrect(logits, labels, 1);
        Top5 += Metrics.TopKCorrect(logits, labels, 5);
        Samples += logits.Size(0);
        LossSum += lossSum;
    }

    /// <summary>"loss" (mean per sample), "accuracy" and "top5" (NaN when empty).</summary>
    public Dictionary<string, double> ToDictionary()
    {
        double n = Samples;
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["loss"] = n > 0 ? LossSum / n : double.NaN,
            ["accuracy"] = n > 0 ? Top1 / n : double.NaN,
            ["top5"] = n > 0 ? Top5 / n : double.NaN,
        };
    }

    /// <summary>Forgets everything.</summary>
    public void Reset() { Samples = 0; LossSum = 0; Top1 = 0; Top5 = 0; }
}
