namespace ResearchKit.Tensors.Nn;

/// <summary>2-D average pooling layer (<c>torch.nn.AvgPool2d</c>); padding counts as zeros.</summary>
public sealed class AvgPool2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">Window size, an int or <c>(kH, kW)</c>.</param>
    /// <param name="stride">Stride (default: the window size).</param>
    /// <param name="padding">Implicit zero padding on each side, at most half the window (default 0).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <param name="countIncludePad">Count padding elements in the divisor.</param>
    /// <param name="divisorOverride">If set, the divisor of every window (non-zero).</param>
    /// <exception cref="ArgumentException">A size is out of range, the padding exceeds half the window, or the divisor is 0.</exception>
    public AvgPool2d(Pair kernelSize, Pair? stride = null, Pair? padding = null, bool ceilMode = false, bool countIncludePad = true,
        int? divisorOverride = null)
    {
        const string op = nameof(AvgPool2d);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? 0;
        ConvOpSupport.Positive(op, "kernel_size", KernelSize);
        ConvOpSupport.Positive(op, "stride", Stride);
        ConvOpSupport.NonNegative(op, "padding", Padding);
        if (Padding.H > KernelSize.H / 2 || Padding.W > KernelSize.W / 2)
            throw new ArgumentException($"{op}: padding {Padding.ToTupleString()} must be at most half of kernel_size {KernelSize.ToTupleString()}; reduce padding or enlarge the kernel.");
        if (divisorOverride == 0)
            throw new ArgumentException($"{op}: divisor_override must be non-zero, got 0; pass null to use the window size.");
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        DivisorOverride = divisorOverride;
    }

    /// <summary>Window size as given.</summary>
    public Pair KernelSize { get; }
    /// <summary>Stride (the window size when not given).</summary>
    public Pair Stride { get; }
    /// <summary>Padding on each side.</summary>
    public Pair Padding { get; }
    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }
    /// <summary>Whether padding counts in the divisor.</summary>
    public bool CountIncludePad { get; }
    /// <summary>Fixed divisor, or null for the window size.</summary>
    public int? DivisorOverride { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) =>
        Functional.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
