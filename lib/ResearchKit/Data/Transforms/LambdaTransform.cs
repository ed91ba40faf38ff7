using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// A user transform that edits the image in place without changing its shape (<c>transforms.Lambda</c>). The delegate
/// is called once per sample (not per pixel) with the image values, their shape and the sample's generator.
/// </summary>
internal sealed class LambdaTransform : ImageTransform
{
    private readonly InPlaceImageAction _action;
    private readonly string _name;

    internal LambdaTransform(string name, InPlaceImageAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _name = name; _action = action;
    }

    public override ImageShape OutputShape(ImageShape input) => input;

    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        var dst = destination[..input.Size];
        source[..input.Size].CopyTo(dst);
        _action(dst, input, rng);
    }

    public override string ToString() => $"Lambda({_name})";
}
