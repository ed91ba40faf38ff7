namespace ResearchKit.Tensors.Nn;

/// <summary>2-D max pooling layer (<c>torch.nn.MaxPool2d</c>); padding acts as −∞.</summary>
/// <remarks>
/// <see cref="Module{TIn, TOut}.Forward"/> returns the pooled values (a module has one output); use <see cref="ForwardWithIndices"/> for the
/// Int64 argmax that PyTorch returns with <c>return_indices=True</c>.
/// </remarks>
public sealed class MaxPool2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">Window size, an int or <c>(kH, kW)</c>.</param>
    /// <param name="stride">Stride (default: the window size).</param>
    /// <param name="padding">Implicit −∞ padding on each side, at most half the window (default 0).</param>
    /// <param name="dilation">Spacing between window taps (default 1).</param>
    /// <param name="ceilMode">Round the output size up instead of down.</param>
    /// <param name="returnIndices">Recorded for PyTorch parity; indices come from <see cref="ForwardWithIndices"/>.</param>
    /// <exception cref="ArgumentException">A size is out of range or the padding exceeds half the window.</exception>
    public MaxPool2d(Pair kernelSize, Pair? stride = null, Pair? padding = null, Pair? dilation = null, bool ceilMode = false,
        bool returnIndices = false)
    {
        const string op = nameof(MaxPool2d);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? 0;
        Dilation = dilation ?? 1;
        ConvOpSupport.Positive(op, "kernel_size", KernelSize);
        ConvOpSupport.Positive(op, "stride", Stride);
        ConvOpSupport.NonNegative(op, "padding", Padding);
        ConvOpSupport.Positive(op, "dilation", Dilation);
        if (Padding.H > KernelSize.H / 2 || Padding.W > KernelSize.W / 2)
            throw new ArgumentException($"{op}: padding {Padding.ToTupleString()} must be at most half of kernel_size {KernelSize.ToTupleString()}; reduce padding or enlarge the kernel.");
        CeilMode = ceilMode;
        ReturnIndices = returnIndices;
    }

    /// <summary>Window size as given.</summary>
    public Pair KernelSize { get; }
    /// <summary>Stride (the window size when not given).</summary>
    public Pair Stride { get; }
    /// <summary>Padding on each side.</summary>
    public Pair Padding { get; }
    /// <summary>Dilation.</summary>
    public Pair Dilation { get; }
    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }
    /// <summary>PyTorch's <c>return_indices</c> flag (see <see cref="ForwardWithIndices"/>).</summary>
    public bool ReturnIndices { get; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>Pooled values and their Int64 flat indices <c>h·W + w</c> into each input plane.</summary>
    /// <param name="input">Input <c>(N, C, H, W)</c> or <c>(C, H, W)</c>.</param>
    public (Tensor Output, Tensor Indices) ForwardWithIndices(Tensor input) =>
        Functional.MaxPool2dWithIndices(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={(CeilMode ? "True" : "False")}";
}
