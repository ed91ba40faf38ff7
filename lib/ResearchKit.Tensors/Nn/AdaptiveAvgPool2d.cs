namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Adaptive 2-D average pooling layer (<c>torch.nn.AdaptiveAvgPool2d</c>): any input size to a fixed output size;
/// <c>new AdaptiveAvgPool2d(1)</c> is global average pooling.
/// </summary>
public sealed class AdaptiveAvgPool2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="outputSize">Output size, an int or <c>(OutH, OutW)</c>.</param>
    /// <exception cref="ArgumentException">The output size is not positive.</exception>
    public AdaptiveAvgPool2d(Pair outputSize)
    {
        ConvOpSupport.Positive(nameof(AdaptiveAvgPool2d), "output_size", outputSize);
        OutputSize = outputSize;
    }

    /// <summary>Output size as given.</summary>
    public Pair OutputSize { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"output_size={OutputSize}";
}
