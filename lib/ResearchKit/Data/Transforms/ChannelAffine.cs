using System.Globalization;
using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// The pointwise per-channel map y = x·scale[c] + shift[c] behind <see cref="Transforms.ToFloat"/> (scale 1/255) and
/// <see cref="Transforms.Normalize"/> (scale 1/std, shift −mean/std). A runner fuses consecutive affine steps, and a
/// leading one into the byte conversion, so ToFloat + Normalize costs one pass.
/// </summary>
/// <remarks>Coefficients are kept in double and fused in double; results match (x/255 − mean)/std to a few ulp.</remarks>
internal sealed class ChannelAffine : ImageTransform
{
    private readonly string _repr;

    /// <summary>Scale and shift per channel, or a single entry for all channels.</summary>
    internal ChannelAffine(double[] scale, double[] shift, string repr)
    {
        Scale = scale; Shift = shift; _repr = repr;
    }

    internal double[] Scale { get; }
    internal double[] Shift { get; }

    internal static ChannelAffine ToFloat() => new([1.0 / 255.0], [0.0], "ToFloat()");

    internal static ChannelAffine Normalize(double[] mean, double[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize: mean has {mean.Length} values and std {std.Length}; give one value per channel in both.");
        var scale = new double[std.Length];
        var shift = new double[std.Length];
        for (int c = 0; c < std.Length; c++)
        {
            if (!(std[c] > 0) || double.IsInfinity(std[c]))
                throw new ArgumentException($"Normalize: std[{c}] = {std[c]} must be positive and finite.");
            if (!double.IsFinite(mean[c])) throw new ArgumentException($"Normalize: mean[{c}] = {mean[c]} must be finite.");
            scale[c] = 1.0 / std[c];
            shift[c] = -mean[c] / std[c];
        }
        static string F(double[] v) => "[" + string.Join(", ", Array.ConvertAll(v, x => x.ToString("R", CultureInfo.InvariantCulture))) + "]";
        return new ChannelAffine(scale, shift, $"Normalize(mean={F(mean)}, std={F(std)})");
    }

    /// <summary>This step followed by <paramref name="next"/>: x·(a1·a2) + (b1·a2 + b2).</summary>
    internal ChannelAffine FollowedBy(ChannelAffine next)
    {
        int n = Math.Max(Scale.Length, next.Scale.Length);
        if (Scale.Length != 1 && next.Scale.Length != 1 && Scale.Length != next.Scale.Length)
            throw new ArgumentException($"{this} then {next}: channel counts {Scale.Length} and {next.Scale.Length} disagree.");
        var a = new double[n]; var b = new double[n];
        for (int c = 0; c < n; c++)
        {
            double a1 = Scale[Scale.Length == 1 ? 0 : c], b1 = Shift[Shift.Length == 1 ? 0 : c];
            double a2 = next.Scale[next.Scale.Length == 1 ? 0 : c], b2 = next.Shift[next.Shift.Length == 1 ? 0 : c];
            a[c] = a1 * a2; b[c] = b1 * a2 + b2;
        }
        return new ChannelAffine(a, b, _repr + " → " + next._repr);
    }

    /// <summary>Per-channel float coefficients for <paramref name="channels"/> channels.</summary>
    internal (float[] Scale, float[] Shift) Coefficients(int channels)
    {
        var a = new float[channels]; var b = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            a[c] = (float)Scale[Scale.Length == 1 ? 0 : c];
            b[c] = (float)Shift[Shift.Length == 1 ? 0 : c];
        }
        return (a, b);
    }

    public override ImageShape OutputShape(ImageShape input)
    {
        if (Scale.Length != 1 && Scale.Length != input.Channels)
            throw new ArgumentException($"{_repr}: has {Scale.Length} channel values but the images have {input.Channels} channels ({input}); give one mean/std per channel.");
        return input;
    }

    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, Generator rng)
    {
        int plane = input.Plane;
        for (int c = 0; c < input.Channels; c++)
        {
            float a = (float)Scale[Scale.Length == 1 ? 0 : c], b = (float)Shift[Shift.Length == 1 ? 0 : c];
            PixelKernels.Affine(source.Slice(c * plane, plane), destination.Slice(c * plane, plane), a, b);
        }
    }

    public override string ToString() => _repr;
}
