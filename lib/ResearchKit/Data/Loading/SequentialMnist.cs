using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// Sequential (pixel-by-pixel) MNIST as in the thesis: each image is scaled to [0, 1], standardized per image
/// (<see cref="Transforms.Standardize"/>), and read in row-major order as a 784-step sequence of 1 feature, batch-first
/// (N, 784, 1). Combine with <see cref="SubsamplingSchedule"/> to shorten the sequences early in training.
/// </summary>
public static class SequentialMnist
{
    /// <summary>Sequence length of a 28×28 image.</summary>
    public const int Length = 784;

    /// <summary>MNIST's training-set pixel mean (on [0, 1]), used by <see cref="MnistStandardization.Dataset"/>.</summary>
    public const double DatasetMean = 0.1307;

    /// <summary>MNIST's training-set pixel standard deviation (on [0, 1]), used by <see cref="MnistStandardization.Dataset"/>.</summary>
    public const double DatasetStd = 0.3081;

    /// <summary>The pipeline: <c>ToFloat()</c> then the chosen standardization (per image by default).</summary>
    public static ImageTransform Transform(MnistStandardization standardization = MnistStandardization.PerImage) => standardization switch
    {
        MnistStandardization.PerImage => Transforms.ToFloat().Then(Transforms.Standardize()),
        MnistStandardization.Dataset => Transforms.ToFloat().Then(Transforms.Normalize([DatasetMean], [DatasetStd])),
        _ => throw new ArgumentOutOfRangeException(nameof(standardization), standardization, "SequentialMnist.Transform: use MnistStandardization.PerImage or Dataset."),
    };

    /// <summary>A loader producing standardized (N, 1, 28, 28) batches; turn them into sequences with <see cref="ToSequences(Tensor, int)"/>.</summary>
    public static DataLoader Loader(ImageDataset dataset, int batchSize, bool shuffle, long seed, bool dropLast = false, int prefetch = 2,
        MnistStandardization standardization = MnistStandardization.PerImage) =>
        new(dataset, batchSize, shuffle, seed, Transform(standardization), dropLast, prefetch);

    /// <summary>
    /// Views (N, C, H, W) images as (N, C·H·W / k, k) sequences of <paramref name="pixelsPerStep"/> = k consecutive
    /// pixels in row-major order (a view when contiguous, so free): k = 1 is the thesis' pixel-by-pixel task (784 steps),
    /// k = W reads one image row per step (28 steps of 28 pixels).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not 4-D, or k does not divide C·H·W.</exception>
    public static Tensor ToSequences(Tensor images, int pixelsPerStep = 1)
    {
        if (images.Dim != 4)
            throw new ArgumentException($"SequentialMnist.ToSequences: expected (N, C, H, W) images, got shape {images.Shape}.");
        var s = images.Shape;
        int pixels = s[1] * s[2] * s[3];
        if (pixelsPerStep < 1 || pixels % pixelsPerStep != 0)
            throw new ArgumentException($"SequentialMnist.ToSequences: pixelsPerStep {pixelsPerStep} must be ≥ 1 and divide the {pixels} pixels of an image (1 for pixel sequences, {s[3]} for rows).", nameof(pixelsPerStep));
        return images.Reshape(s[0], pixels / pixelsPerStep, pixelsPerStep);
    }

    /// <summary>The sequences (N, C·H·W, 1) of a batch.</summary>
    public static Tensor ToSequences(Batch batch) => ToSequences(batch.Images);

    /// <summary>All images of <paramref name="dataset"/> as standardized (N, C·H·W, 1) sequences (e.g. a test set).</summary>
    public static Tensor Sequences(ImageDataset dataset)
    {
        var runner = Transform().CreateRunner(ImageShape.Of(dataset));
        int size = dataset.ImageSize;
        var t = Tensor.Zeros(dataset.Count, size, 1);
        var dst = t.AsSpan();
        for (int i = 0; i < dataset.Count; i++) runner.Apply(dataset.Image(i), dst.Slice(i * size, size), 0);
        return t;
    }
}
