using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// torchvision's <c>RandomCrop(size, padding, fill)</c>: pads every side by <c>padding</c> with <c>fill</c>, then
/// takes a size×size window at top ~ U{0..H+2p−size}, left ~ U{0..W+2p−size} (drawn in that order).
/// </summary>
internal sealed class RandomCrop : ImageTransform
{
    internal RandomCrop(int height, int width, int padding, float fill)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"RandomCrop: size must be positive, got {height}×{width}.");
        if (padding < 0) throw new ArgumentException($"RandomCrop: padding must be ≥ 0, got {padding}.");
        Height = height; Width = width; Padding = padding; Fill = fill;
    }

    internal int Height { get; }
    internal int Width { get; }
    internal int Padding { get; }
    internal float Fill { get; }

    public override ImageShape OutputShape(ImageShape input)
    {
        int ph = input.Height + 2 * Padding, pw = input.Width + 2 * Padding;
        if (Height > ph || Width > pw)
            throw new ArgumentException($"{this}: the crop {Height}×{Width} is larger than the padded image {ph}×{pw} (input {input}); lower the size or raise the padding.");
        return input with { Height = Height, Width = Width };
    }

    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        int top = (int)rng.NextInt64(0, input.Height + 2 * Padding - Height + 1);
        int left = (int)rng.NextInt64(0, input.Width + 2 * Padding - Width + 1);
        CopyWindow(source, destination, input, top - Padding, left - Padding, Height, Width, Fill);
    }

    /// <summary>
    /// Copies the window whose top-left corner is (<paramref name="y0"/>, <paramref name="x0"/>) in input coordinates
    /// (may be negative or overhang), filling outside pixels with <paramref name="fill"/>.
    /// </summary>
    internal static void CopyWindow(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, int y0, int x0, int h, int w, float fill)
    {
        int inH = input.Height, inW = input.Width, inPlane = input.Plane, outPlane = h * w;
        // Columns [xa, xb) of the output come from the image; the rest is fill.
        int xa = Math.Clamp(-x0, 0, w), xb = Math.Clamp(inW - x0, xa, w);
        for (int c = 0; c < input.Channels; c++)
        {
            var plane = source.Slice(c * inPlane, inPlane);
            var outPlaneSpan = destination.Slice(c * outPlane, outPlane);
            for (int y = 0; y < h; y++)
            {
                var row = outPlaneSpan.Slice(y * w, w);
                int sy = y + y0;
                if ((uint)sy >= (uint)inH) { row.Fill(fill); continue; }
                if (xa > 0) row[..xa].Fill(fill);
                if (xb > xa) plane.Slice(sy * inW + x0 + xa, xb - xa).CopyTo(row[xa..xb]);
                if (xb < w) row[xb..].Fill(fill);
            }
        }
    }

    public override string ToString() => $"RandomCrop(size=({Height}, {Width}), padding={Padding}, fill={Fill})";
}
