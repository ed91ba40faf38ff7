namespace ResearchKit.Data;

/// <summary>
/// An in-memory labelled image dataset stored as bytes (N × C × H × W, channel-planar like CIFAR's binary layout and
/// PyTorch's NCHW), as the small vision datasets of the thesis (MNIST, Fashion-MNIST, CIFAR-10/100) are.
/// </summary>
/// <remarks>
/// Bytes keep 60,000 MNIST images in 47 MB instead of 188 MB of floats; loaders convert batches to float tensors.
/// <see cref="Name"/> is printed in every output, so a stand-in (Fashion-MNIST for CIFAR-10) is always named as such.
/// </remarks>
public sealed class ImageDataset
{
    /// <summary>Creates a dataset; arrays are used as given (not copied).</summary>
    /// <exception cref="ArgumentException">Array lengths disagree with the shape, or a label is outside [0, numClasses).</exception>
    public ImageDataset(string name, byte[] pixels, int[] labels, int channels, int height, int width,
        IReadOnlyList<string> classNames, int[]? coarseLabels = null)
    {
        int n = labels.Length;
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"ImageDataset '{name}': image shape must be positive, got {channels}×{height}×{width}.");
        if ((long)n * channels * height * width != pixels.Length)
            throw new ArgumentException($"ImageDataset '{name}': {pixels.Length} pixel bytes do not hold {n} images of {channels}×{height}×{width}.");
        if (coarseLabels is not null && coarseLabels.Length != n)
            throw new ArgumentException($"ImageDataset '{name}': {coarseLabels.Length} coarse labels for {n} images.");
        foreach (int l in labels)
            if ((uint)l >= (uint)classNames.Count)
                throw new ArgumentException($"ImageDataset '{name}': label {l} is outside [0, {classNames.Count}); the file may be corrupt.");
        Name = name; Pixels = pixels; Labels = labels; Channels = channels; Height = height; Width = width;
        ClassNames = classNames; CoarseLabels = coarseLabels;
    }

    /// <summary>Display name, e.g. "MNIST train" or "Fashion-MNIST test (stand-in for CIFAR-10)".</summary>
    public string Name { get; }
    /// <summary>Pixels, N × C × H × W bytes.</summary>
    public byte[] Pixels { get; }
    /// <summary>Class index per image.</summary>
    public int[] Labels { get; }
    /// <summary>CIFAR-100 superclass per image, or null.</summary>
    public int[]? CoarseLabels { get; }
    /// <summary>Channels per image.</summary>
    public int Channels { get; }
    /// <summary>Image height.</summary>
    public int Height { get; }
    /// <summary>Image width.</summary>
    public int Width { get; }
    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;
    /// <summary>Number of classes.</summary>
    public int NumClasses => ClassNames.Count;
    /// <summary>Bytes per image (C·H·W).</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The bytes of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * ImageSize, ImageSize);

    /// <summary>A new dataset with the given images, in order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        int s = ImageSize;
        var px = new byte[indices.Count * s];
        var lb = new int[indices.Count];
        var cl = CoarseLabels is null ? null : new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(px.AsSpan(i * s, s));
            lb[i] = Labels[indices[i]];
            if (cl is not null) cl[i] = CoarseLabels![indices[i]];
        }
        return new ImageDataset(name ?? Name, px, lb, Channels, Height, Width, ClassNames, cl);
    }

    /// <summary>The first <paramref name="count"/> images.</summary>
    public ImageDataset Take(int count) => Subset(Enumerable.Range(0, Math.Min(count, Count)).ToArray(), Name);

    /// <summary>
    /// Repeats a single channel <paramref name="channels"/> times (grayscale stand-in for an RGB recipe), or returns this
    /// dataset when it already has that many channels.
    /// </summary>
    /// <exception cref="InvalidOperationException">The conversion is not from 1 channel.</exception>
    public ImageDataset WithChannels(int channels, string? name = null)
    {
        if (channels == Channels) return this;
        if (Channels != 1)
            throw new InvalidOperationException($"ImageDataset '{Name}': can only replicate a 1-channel dataset, this one has {Channels} channels.");
        int plane = Height * Width;
        var px = new byte[Count * channels * plane];
        for (int i = 0; i < Count; i++)
            for (int c = 0; c < channels; c++)
                Pixels.AsSpan(i * plane, plane).CopyTo(px.AsSpan((i * channels + c) * plane, plane));
        return new ImageDataset(name ?? Name, px, Labels, channels, Height, Width, ClassNames, CoarseLabels);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Count} images {Channels}×{Height}×{Width}, {NumClasses} classes";
}
