using ResearchKit.Data;
using ResearchKit.Tensors;

namespace ResearchKit.Experiments.HardwareAware;

/// <summary>Shuffled training batches of a <see cref="SegmentationDataset"/>, deterministic in (seed, epoch, first batch) so a resumed run sees the same data.</summary>
public static class SegmentationBatches
{
    /// <summary>Full batches per epoch (the last partial batch is dropped).</summary>
    /// <exception cref="ArgumentException">The dataset holds fewer images than one batch.</exception>
    public static int PerEpoch(SegmentationDataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1 || data.Count < batchSize)
            throw new ArgumentException($"SegmentationBatches: {data.Count} images do not make one batch of {batchSize}; use more training images or a smaller batch.", nameof(batchSize));
        return data.Count / batchSize;
    }

    /// <summary>
    /// Batches <paramref name="skip"/>… of epoch <paramref name="epoch"/>: the images in a permutation drawn from
    /// <see cref="SeedMix"/>(seed, <see cref="SeedMix.ShuffleStream"/>, epoch) (the DataLoader's shuffle), cut into full batches.
    /// </summary>
    public static IEnumerable<(Tensor X, Tensor Y)> Epoch(SegmentationDataset data, int batchSize, long seed, int epoch, int skip = 0)
    {
        int n = PerEpoch(data, batchSize);
        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var g = new Generator((long)SeedMix.Mix(seed, SeedMix.ShuffleStream, epoch, 0));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return Iterate(data, order, batchSize, n, skip);
    }

    private static IEnumerable<(Tensor X, Tensor Y)> Iterate(SegmentationDataset data, int[] order, int batchSize, int n, int skip)
    {
        for (int b = Math.Max(0, skip); b < n; b++)
            yield return data.Gather(new ArraySegment<int>(order, b * batchSize, batchSize));
    }
}
