using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// torchvision's <c>CenterCrop(size)</c>: top = round((H − h)/2), left = round((W − w)/2) with round-half-to-even as
/// Python's <c>round</c>. Crops larger than the image are rejected (torchvision would pad).
/// </summary>
internal sealed class CenterCrop : ImageTransform
{
    internal CenterCrop(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"CenterCrop: size must be positive, got {height}×{width}.");
        Height = height; Width = width;
    }

    internal int Height { get; }
    internal int Width { get; }

    public override ImageShape OutputShape(ImageShape input)
    {
        if (Height > input.Height || Width > input.Width)
            throw new ArgumentException($"{this}: the crop {Height}×{Width} is larger than the image {input}; use RandomCrop with padding or a smaller size.");
        return input with { Height = Height, Width = Width };
    }

    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        int top = (int)Math.Round((input.Height - Height) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((input.Width - Width) / 2.0, MidpointRounding.ToEven);
        RandomCrop.CopyWindow(source, destination, input, top, left, Height, Width, 0f);
    }

    public override string ToString() => $"CenterCrop(size=({Height}, {Width}))";
}
