using ResearchKit.Tensors;

namespace ResearchKit.Data;

/// <summary>
/// Runs a transform pipeline on images of one shape, reusing two scratch buffers and one <see cref="Generator"/>, so
/// a sample costs no allocation. Not thread-safe: use one runner per thread.
/// </summary>
/// <remarks>
/// Consecutive pointwise steps (<c>ToFloat</c>, <c>Normalize</c>) are fused into one per-channel affine map, and a
/// leading one is fused into the byte → float conversion. Every other step reads one buffer and writes the other
/// (the last writes the destination).
/// </remarks>
public sealed class TransformRunner
{
    private readonly ImageTransform[] _steps;
    private readonly ImageShape[] _shapes;   // _shapes[i] = input shape of step i; last = output
    private readonly float[]? _leadScale, _leadShift;
    private readonly float[] _a, _b;
    private readonly Generator _rng = new();

    /// <summary>Validates <paramref name="transform"/> for <paramref name="input"/> images and prepares the buffers.</summary>
    /// <exception cref="ArgumentException">A step cannot be applied to the shape it would receive.</exception>
    public TransformRunner(ImageTransform transform, ImageShape input)
    {
        ArgumentNullException.ThrowIfNull(transform);
        if (input.Channels <= 0 || input.Height <= 0 || input.Width <= 0)
            throw new ArgumentException($"TransformRunner: image shape must be positive, got {input}.");
        Transform = transform;
        InputShape = input;

        var flat = transform is ComposedTransform c ? c.Steps : [transform];
        var steps = new List<ImageTransform>();
        foreach (var s in flat)
        {
            if (s is ChannelAffine a && steps.Count > 0 && steps[^1] is ChannelAffine prev) steps[^1] = prev.FollowedBy(a);
            else steps.Add(s);
        }
        var shapes = new List<ImageShape> { input };
        foreach (var s in steps) shapes.Add(s.OutputShape(shapes[^1]));
        if (steps.Count > 0 && steps[0] is ChannelAffine lead)
        {
            (_leadScale, _leadShift) = lead.Coefficients(input.Channels);
            steps.RemoveAt(0); shapes.RemoveAt(0);
        }
        _steps = [.. steps];
        _shapes = [.. shapes];
        OutputShape = _shapes[^1];
        int max = 0;
        foreach (var s in _shapes) max = Math.Max(max, s.Size);
        _a = new float[max];
        _b = _steps.Length > 1 ? new float[max] : [];
    }

    /// <summary>The pipeline.</summary>
    public ImageTransform Transform { get; }
    /// <summary>Shape of the input images.</summary>
    public ImageShape InputShape { get; }
    /// <summary>Shape of the transformed images.</summary>
    public ImageShape OutputShape { get; }

    /// <summary>
    /// Transforms one image's bytes into <paramref name="destination"/> (at least <c>OutputShape.Size</c> values), with the
    /// random stream seeded by <paramref name="sampleSeed"/> (see <see cref="SeedMix.Sample"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The image or destination has the wrong length.</exception>
    public void Apply(ReadOnlySpan<byte> image, Span<float> destination, ulong sampleSeed)
    {
        if (image.Length != InputShape.Size)
            throw new ArgumentException($"TransformRunner: image has {image.Length} bytes, expected {InputShape} = {InputShape.Size}.");
        if (destination.Length < OutputShape.Size)
            throw new ArgumentException($"TransformRunner: destination holds {destination.Length} values, the output {OutputShape} needs {OutputShape.Size}.");
        _rng.ManualSeed((long)sampleSeed);
        var first = _steps.Length == 0 ? destination : _a;
        if (_leadScale is null) PixelKernels.Convert(image, first);
        else
        {
            int plane = InputShape.Plane;
            for (int c = 0; c < InputShape.Channels; c++)
                PixelKernels.ConvertAffine(image.Slice(c * plane, plane), first.Slice(c * plane, plane), _leadScale[c], _leadShift![c]);
        }
        RunSteps(destination, _rng);
    }

    /// <summary>Runs the pipeline on float input (values as if converted from bytes, e.g. 0..255).</summary>
    internal void ApplyFloats(ReadOnlySpan<float> image, Span<float> destination, Generator rng)
    {
        int n = InputShape.Size;
        var first = _steps.Length == 0 ? destination : _a;
        if (_leadScale is null) image[..n].CopyTo(first);
        else
        {
            int plane = InputShape.Plane;
            for (int c = 0; c < InputShape.Channels; c++)
                PixelKernels.Affine(image.Slice(c * plane, plane), first.Slice(c * plane, plane), _leadScale[c], _leadShift![c]);
        }
        RunSteps(destination, rng);
    }

    private void RunSteps(Span<float> destination, Generator rng)
    {
        float[] cur = _a, other = _b;
        for (int i = 0; i < _steps.Length; i++)
        {
            var inShape = _shapes[i];
            var src = cur.AsSpan(0, inShape.Size);
            bool last = i == _steps.Length - 1;
            var dst = last ? destination[.._shapes[i + 1].Size] : other.AsSpan(0, _shapes[i + 1].Size);
            _steps[i].Apply(src, dst, inShape, rng);
            (cur, other) = (other, cur);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"TransformRunner({Transform}, {InputShape} → {OutputShape})";
}
