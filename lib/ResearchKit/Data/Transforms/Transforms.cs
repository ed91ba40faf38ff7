namespace ResearchKit.Data;

/// <summary>
/// Factory of per-sample image transforms (torchvision names and semantics). Compose them in torchvision order, e.g.
/// CIFAR-10 training: <c>Transforms.Compose(Transforms.RandomCrop(32, 4), Transforms.RandomHorizontalFlip(),
/// Transforms.ToFloat(), Transforms.Normalize(mean, std))</c>; sequential MNIST: <c>ToFloat().Then(Standardize())</c>.
/// </summary>
public static class Transforms
{
    /// <summary>Scales bytes to [0, 1] (x/255), like <c>ToTensor</c>.</summary>
    public static ImageTransform ToFloat() => ChannelAffine.ToFloat();

    /// <summary>Per-channel (x − mean[c]) / std[c], like <c>transforms.Normalize</c> after <c>ToTensor</c>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, a std is not positive, or (when run) the channel count differs.</exception>
    public static ImageTransform Normalize(double[] mean, double[] std) => ChannelAffine.Normalize(mean, std);

    /// <summary>Per-image standardization (x − μ)/max(σ, 1/√N), like <c>tf.image.per_image_standardization</c>.</summary>
    public static ImageTransform Standardize() => new Standardize();

    /// <summary>Pads each side by <paramref name="padding"/> with <paramref name="fill"/>, then crops a random size×size window.</summary>
    public static ImageTransform RandomCrop(int size, int padding = 0, float fill = 0f) => new RandomCrop(size, size, padding, fill);

    /// <summary>Crops the central <paramref name="size"/>×<paramref name="size"/> window.</summary>
    public static ImageTransform CenterCrop(int size) => new CenterCrop(size, size);

    /// <summary>Mirrors the image left–right with probability <paramref name="p"/>.</summary>
    public static ImageTransform RandomHorizontalFlip(double p = 0.5) => new RandomHorizontalFlip(p);

    /// <summary>Random zoom by s ~ U[minScale, maxScale), bilinear, same output size (see the remarks of the type).</summary>
    public static ImageTransform RandomRescale(double minScale, double maxScale) => new RandomRescale(minScale, maxScale);

    /// <summary>A user transform editing each image in place (called once per sample).</summary>
    public static ImageTransform Lambda(string name, InPlaceImageAction action) => new LambdaTransform(name, action);

    /// <summary>The transforms applied in order.</summary>
    public static ImageTransform Compose(params ImageTransform[] steps) => new ComposedTransform(steps);
}
