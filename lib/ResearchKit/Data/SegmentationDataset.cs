using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// An in-memory binary segmentation dataset: N single-channel float images and their 0/1 foreground masks, both
/// (N, 1, H, W). Built by <see cref="ForegroundSegmentation.Build"/>.
/// </summary>
public sealed class SegmentationDataset
{
    /// <summary>Creates a dataset; arrays are used as given (not copied).</summary>
    /// <exception cref="ArgumentException">The array lengths disagree with the shape, or a mask value is not 0 or 1.</exception>
    public SegmentationDataset(string name, float[] inputs, float[] masks, int count, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(masks);
        if (count < 0 || height < 1 || width < 1)
            throw new ArgumentException($"SegmentationDataset '{name}': shape must be positive, got {count} × 1 × {height} × {width}.");
        long size = (long)count * height * width;
        if (inputs.Length != size || masks.Length != size)
            throw new ArgumentException($"SegmentationDataset '{name}': {inputs.Length} input and {masks.Length} mask values do not hold {count} images of 1 × {height} × {width}.");
        foreach (float m in masks)
            if (m is not (0f or 1f)) throw new ArgumentException($"SegmentationDataset '{name}': mask values must be 0 or 1, found {m}.");
        Name = name; Inputs = inputs; Masks = masks; Count = count; Height = height; Width = width;
    }

    /// <summary>Display name; names the source and that it is a stand-in.</summary>
    public string Name { get; }
    /// <summary>Input pixels, N × 1 × H × W, in [0, 1].</summary>
    public float[] Inputs { get; }
    /// <summary>Mask pixels, N × 1 × H × W, 0 or 1.</summary>
    public float[] Masks { get; }
    /// <summary>Number of images.</summary>
    public int Count { get; }
    /// <summary>Image height.</summary>
    public int Height { get; }
    /// <summary>Image width.</summary>
    public int Width { get; }

    /// <summary>Share of foreground pixels over all masks (class balance; NaN when empty).</summary>
    public double ForegroundFraction => Masks.Length == 0 ? double.NaN : Masks.Sum(m => (double)m) / Masks.Length;

    /// <summary>Images <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> − 1 as (N, 1, H, W) input and mask tensors.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the dataset.</exception>
    public (Tensor X, Tensor Y) Batch(int start, int count)
    {
        if (start < 0 || count < 1 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"SegmentationDataset '{Name}': batch [{start}, {start + count}) is outside [0, {Count}).");
        return Gather(Enumerable.Range(start, count).ToArray());
    }

    /// <summary>The images at <paramref name="indices"/>, in order, as (N, 1, H, W) input and mask tensors (for shuffled batches).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the dataset.</exception>
    public (Tensor X, Tensor Y) Gather(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int s = Height * Width;
        var x = new float[indices.Count * s];
        var y = new float[indices.Count * s];
        for (int i = 0; i < indices.Count; i++)
        {
            int k = indices[i];
            if ((uint)k >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"SegmentationDataset '{Name}': index {k} is outside [0, {Count}).");
            Inputs.AsSpan(k * s, s).CopyTo(x.AsSpan(i * s, s));
            Masks.AsSpan(k * s, s).CopyTo(y.AsSpan(i * s, s));
        }
        return (Tensor.FromArray(x, indices.Count, 1, Height, Width), Tensor.FromArray(y, indices.Count, 1, Height, Width));
    }

    /// <summary>Consecutive batches of <paramref name="batchSize"/> images in dataset order (the last may be smaller).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public IEnumerable<(Tensor X, Tensor Y)> Batches(int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "SegmentationDataset: batchSize must be positive.");
        return Iterate(batchSize);
    }

    private IEnumerable<(Tensor X, Tensor Y)> Iterate(int batchSize)
    {
        for (int start = 0; start < Count; start += batchSize)
            yield return Batch(start, Math.Min(batchSize, Count - start));
    }
}
