using System.Numerics.Tensors;
using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// Per-image standardization like <c>tf.image.per_image_standardization</c>:
/// y = (x − μ) / max(σ, 1/√N) over all N = C·H·W values of the image, with μ the mean and σ the population standard
/// deviation √(Σ(x − μ)²/N). The floor 1/√N keeps uniform images finite (they map to zeros).
/// </summary>
/// <remarks>
/// Applied after <see cref="Transforms.ToFloat"/>, values are in [0, 1] as in TF 2.x (which converts uint8 images to
/// [0, 1] floats first); the floor only matters for nearly uniform images. Sums are vectorized float sums of a fixed
/// order, so results are deterministic.
/// </remarks>
internal sealed class Standardize : ImageTransform
{
    public override ImageShape OutputShape(ImageShape input) => input;

    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        int n = input.Size;
        var src = source[..n];
        var dst = destination[..n];
        float mean = TensorPrimitives.Sum(src) / n;
        TensorPrimitives.Subtract(src, mean, dst);
        float std = MathF.Sqrt(TensorPrimitives.SumOfSquares(dst) / n);
        float adjusted = MathF.Max(std, 1f / MathF.Sqrt(n));
        TensorPrimitives.Divide(dst, adjusted, dst);
    }

    public override string ToString() => "Standardize()";
}
