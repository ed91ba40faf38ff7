namespace ResearchKit.Data;

/// <summary>The shape of one image, channels × height × width (planar, like NCHW without the batch).</summary>
/// <param name="Channels">Channels (1 for MNIST, 3 for CIFAR).</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Number of values, C·H·W.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Values per channel plane, H·W.</summary>
    public int Plane => Height * Width;

    /// <summary>The shape of the images of <paramref name="dataset"/>.</summary>
    public static ImageShape Of(ImageDataset dataset) => new(dataset.Channels, dataset.Height, dataset.Width);

    /// <summary>Formats as <c>3×32×32</c>.</summary>
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}
