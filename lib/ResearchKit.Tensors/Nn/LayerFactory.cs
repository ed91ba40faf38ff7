namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Creates the layers a model is built from, so a variant of the model (e.g. for quantization-aware training) can build
/// its own convolutions, linear layers, norms and activations instead of replacing them afterwards.
/// </summary>
/// <remarks>
/// Subclass and override what changes; the rest stay the standard <c>torch.nn</c> layers:
/// <code>
/// sealed class QatLayers : LayerFactory
/// {
///     public override Module&lt;Tensor, Tensor&gt; Conv2d(int inChannels, int outChannels, Pair kernelSize, Pair? stride = null,
///         Pair? padding = null, bool bias = true, Generator? generator = null) =&gt; new QuantConv2d(...);
///     public override Module&lt;Tensor, Tensor&gt; ReLU() =&gt; new QuantReLU();
/// }
/// var model = new ResNetCifar(20, layers: new QatLayers());
/// </code>
/// A model registers each result under the standard name (<c>conv1</c>, <c>fc</c>, …), so a replacement with the same
/// parameters keeps the state-dict keys. Models that initialize weights themselves do so for results that are the
/// standard type or a subclass of it (a <see cref="Nn.Conv2d"/> subclass is re-initialized like a <see cref="Nn.Conv2d"/>).
/// </remarks>
public class LayerFactory
{
    /// <summary>The standard layers (<see cref="Nn.Conv2d"/>, <see cref="Nn.Linear"/>, <see cref="Nn.BatchNorm2d"/>, <see cref="Nn.ReLU"/>).</summary>
    public static LayerFactory Default { get; } = new();

    /// <summary>A 2-D convolution (<see cref="Nn.Conv2d"/>).</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel size.</param>
    /// <param name="stride">Stride (default 1).</param>
    /// <param name="padding">Zero padding (default 0).</param>
    /// <param name="bias">Whether to learn a bias.</param>
    /// <param name="generator">Random source of the initialization.</param>
    public virtual Module<Tensor, Tensor> Conv2d(int inChannels, int outChannels, Pair kernelSize, Pair? stride = null,
        Pair? padding = null, bool bias = true, Generator? generator = null) =>
        new Conv2d(inChannels, outChannels, kernelSize, stride, padding, bias: bias, generator: generator);

    /// <summary>A fully connected layer (<see cref="Nn.Linear"/>).</summary>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="bias">Whether to learn a bias.</param>
    /// <param name="generator">Random source of the initialization.</param>
    public virtual Module<Tensor, Tensor> Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null) =>
        new Linear(inFeatures, outFeatures, bias, generator);

    /// <summary>Batch normalization of (N, C, H, W) inputs (<see cref="Nn.BatchNorm2d"/>, PyTorch's defaults).</summary>
    /// <param name="numFeatures">Channels C.</param>
    public virtual Module<Tensor, Tensor> BatchNorm2d(int numFeatures) => new BatchNorm2d(numFeatures);

    /// <summary>A ReLU activation (<see cref="Nn.ReLU"/>); each call must return a new module (each site gets its own, e.g. its own quantization scale).</summary>
    public virtual Module<Tensor, Tensor> ReLU() => new ReLU();
}
