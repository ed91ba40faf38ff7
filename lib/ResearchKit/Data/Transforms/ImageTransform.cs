using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// A per-sample image transform on float C×H×W buffers, composable into a pipeline with <see cref="Then"/> or
/// <see cref="Transforms.Compose"/>. Create them with the <see cref="Transforms"/> factory; run them with a
/// <see cref="TransformRunner"/> (one per thread, reuses its buffers) or through a <see cref="DataLoader"/>.
/// </summary>
/// <remarks>
/// A pipeline starts from the image bytes converted to floats 0..255; <see cref="Transforms.ToFloat"/> scales to
/// [0, 1] like torchvision's <c>ToTensor</c>. Geometric transforms placed before <c>ToFloat</c> therefore pad with 0
/// in byte space, exactly as torchvision's PIL-level <c>RandomCrop(32, padding=4)</c> followed by <c>ToTensor</c> and
/// <c>Normalize</c>. Random transforms draw from the sample's <see cref="Generator"/>, seeded from
/// (seed, epoch, sample index) by the runner, in pipeline order.
/// Subclass to add a transform: implement <see cref="OutputShape"/> (validate and throw naming the transform) and
/// <see cref="Apply(ReadOnlySpan{float}, Span{float}, ImageShape, Generator)"/>.
/// </remarks>
public abstract class ImageTransform
{
    /// <summary>The shape this transform produces from <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">The transform cannot be applied to images of that shape.</exception>
    public abstract ImageShape OutputShape(ImageShape input);

    /// <summary>
    /// Transforms one image. <paramref name="source"/> holds <c>input.Size</c> values and <paramref name="destination"/>
    /// <c>OutputShape(input).Size</c>; the runner never passes overlapping spans. Must not allocate: it runs per sample.
    /// </summary>
    public abstract void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng);

    /// <summary>This transform followed by <paramref name="next"/>.</summary>
    public ImageTransform Then(ImageTransform next) => Transforms.Compose(this, next);

    /// <summary>A runner for images of <paramref name="input"/> shape (validates the whole pipeline now).</summary>
    public TransformRunner CreateRunner(ImageShape input) => new(this, input);

    /// <summary>
    /// Convenience (allocates): transforms image <paramref name="index"/> of <paramref name="dataset"/> as a data loader
    /// with <paramref name="seed"/> would in <paramref name="epoch"/>, returning a C×H'×W' tensor.
    /// </summary>
    public Tensor ApplyToSample(ImageDataset dataset, int index, long seed = 0, int epoch = 0)
    {
        if ((uint)index >= (uint)dataset.Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"ImageTransform.ApplyToSample: index {index} is outside dataset '{dataset.Name}' of {dataset.Count} images.");
        var runner = CreateRunner(ImageShape.Of(dataset));
        var o = runner.OutputShape;
        var t = Tensor.Zeros(o.Channels, o.Height, o.Width);
        runner.Apply(dataset.Image(index), t.AsSpan(), SeedMix.Sample(seed, epoch, index));
        return t;
    }
}
