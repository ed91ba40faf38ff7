using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>A sequence of transforms applied in order (<c>transforms.Compose</c>); nested pipelines are flattened.</summary>
public sealed class ComposedTransform : ImageTransform
{
    internal ComposedTransform(IEnumerable<ImageTransform> steps)
    {
        var flat = new List<ImageTransform>();
        foreach (var s in steps)
        {
            ArgumentNullException.ThrowIfNull(s);
            if (s is ComposedTransform c) flat.AddRange(c.Steps);
            else flat.Add(s);
        }
        Steps = flat;
    }

    /// <summary>The transforms, in application order.</summary>
    public IReadOnlyList<ImageTransform> Steps { get; }

    /// <inheritdoc/>
    public override ImageShape OutputShape(ImageShape input)
    {
        foreach (var s in Steps) input = s.OutputShape(input);
        return input;
    }

    /// <summary>
    /// Applies the steps through scratch buffers (allocates them: prefer a <see cref="TransformRunner"/>, which reuses
    /// its buffers and fuses pointwise steps).
    /// </summary>
    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        var runner = new TransformRunner(this, input);
        runner.ApplyFloats(source, destination, rng);
    }

    /// <summary>Formats like torchvision: <c>Compose(RandomCrop(size=32, padding=4), ...)</c>.</summary>
    public override string ToString() => "Compose(" + string.Join(", ", Steps) + ")";
}
