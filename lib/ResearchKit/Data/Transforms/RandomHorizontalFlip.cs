using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>torchvision's <c>RandomHorizontalFlip(p)</c>: mirrors every row when a uniform draw is below p.</summary>
internal sealed class RandomHorizontalFlip : ImageTransform
{
    internal RandomHorizontalFlip(double p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"RandomHorizontalFlip: p must be in [0, 1], got {p}.");
        P = p;
    }

    internal double P { get; }

    public override ImageShape OutputShape(ImageShape input) => input;

    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        int n = input.Size;
        // Always draw, so later transforms see the same stream whatever the outcome.
        if (rng.NextDouble() >= P) { source[..n].CopyTo(destination); return; }
        int w = input.Width;
        for (int r = 0; r < n; r += w)
        {
            var row = destination.Slice(r, w);
            source.Slice(r, w).CopyTo(row);
            row.Reverse();
        }
    }

    public override string ToString() => $"RandomHorizontalFlip(p={P})";
}
