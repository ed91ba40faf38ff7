using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// Pre-activation basic block of an EnResNet member (He et al. 2016, "Identity Mappings in Deep Residual Networks", as in
/// the EnResNet code, Wang et al. 2019, <c>ResNet20/resnet_cifar.py</c>):
/// <c>a = relu1(bn1(x)); y = conv2(relu2(bn2(conv1(a)))) + (downsample(a) or x); out = noise(y)</c>, with 3×3 convolutions
/// without bias, the stride on <c>conv1</c>, and the Feynman-Kac noise after the sum.
/// </summary>
/// <remarks>
/// <para>The projection shortcut (<c>downsample.0</c>, a 1×1 convolution with the block's stride, no bias, no batch norm)
/// exists when the stride is not 1 or the width changes; as in the reference code it reads the pre-activated <c>a</c>, not
/// the raw input. The identity shortcut adds the raw input.</para>
/// <para>Parameter names match the reference code (<c>bn1.*</c>, <c>conv1.weight</c>, <c>bn2.*</c>, <c>conv2.weight</c>,
/// <c>downsample.0.weight</c>); the reference shares one ReLU module, here each site has its own registered, parameterless
/// child (<c>relu1</c>, <c>relu2</c>) so quantizers and surgery can address them without changing the keys. Children are
/// read from the registry in <c>Forward</c>, so <see cref="Module.Replace(string, Module)"/> takes effect.</para>
/// </remarks>
public sealed class PreActBasicBlock : Module<Tensor, Tensor>
{
    private readonly int _inPlanes, _planes, _stride;

    /// <summary>Whether the shortcut is the 1×1 projection <c>downsample</c> (stride ≠ 1 or inPlanes ≠ planes).</summary>
    public bool HasDownsample { get; }

    /// <summary>Batch norm of the block input (<c>bn1</c>).</summary>
    public Module<Tensor, Tensor> Bn1 => Child<Module<Tensor, Tensor>>("bn1");
    /// <summary>Activation after <c>bn1</c>.</summary>
    public Module<Tensor, Tensor> Relu1 => Child<Module<Tensor, Tensor>>("relu1");
    /// <summary>First 3×3 convolution (carries the stride).</summary>
    public Module<Tensor, Tensor> Conv1 => Child<Module<Tensor, Tensor>>("conv1");
    /// <summary>Batch norm after <c>conv1</c>.</summary>
    public Module<Tensor, Tensor> Bn2 => Child<Module<Tensor, Tensor>>("bn2");
    /// <summary>Activation after <c>bn2</c>.</summary>
    public Module<Tensor, Tensor> Relu2 => Child<Module<Tensor, Tensor>>("relu2");
    /// <summary>Second 3×3 convolution.</summary>
    public Module<Tensor, Tensor> Conv2 => Child<Module<Tensor, Tensor>>("conv2");
    /// <summary>The projection shortcut (<c>downsample</c>, a <see cref="Sequential"/> holding one 1×1 convolution), or null.</summary>
    public Module<Tensor, Tensor>? Downsample => HasDownsample ? Child<Module<Tensor, Tensor>>("downsample") : null;
    /// <summary>The noise injected after the residual sum (<c>noise</c>, a <see cref="FeynmanKacNoise"/> unless replaced).</summary>
    public Module<Tensor, Tensor> Noise => Child<Module<Tensor, Tensor>>("noise");

    /// <summary>Creates a block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of <c>conv1</c> and of the projection (2 halves the resolution).</param>
    /// <param name="noiseCoef">Feynman-Kac noise coefficient (0: no noise).</param>
    /// <param name="noiseGenerator">Source of the noise draws (default <see cref="Generator.Default"/>).</param>
    /// <param name="generator">Random source of the convolutions' initial weights.</param>
    /// <param name="layers">Creates the convolutions, batch norms and ReLUs (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public PreActBasicBlock(int inPlanes, int planes, int stride = 1, float noiseCoef = 0f, Generator? noiseGenerator = null,
        Generator? generator = null, LayerFactory? layers = null)
    {
        if (inPlanes < 1 || planes < 1 || stride < 1)
            throw new ArgumentException($"PreActBasicBlock: inPlanes, planes and stride must be positive, got {inPlanes}, {planes}, {stride}.");
        layers ??= LayerFactory.Default;
        _inPlanes = inPlanes; _planes = planes; _stride = stride;
        HasDownsample = stride != 1 || inPlanes != planes;
        // Registration order = the reference code's attribute order (bn1, conv1, bn2, conv2, downsample) with the
        // parameterless ReLUs at their place of use.
        RegisterModule("bn1", layers.BatchNorm2d(inPlanes));
        RegisterModule("relu1", layers.ReLU());
        RegisterModule("conv1", layers.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false, generator: generator));
        RegisterModule("bn2", layers.BatchNorm2d(planes));
        RegisterModule("relu2", layers.ReLU());
        RegisterModule("conv2", layers.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false, generator: generator));
        if (HasDownsample)
            RegisterModule<Module<Tensor, Tensor>>("downsample", new Sequential(layers.Conv2d(inPlanes, planes, 1, stride: stride, padding: 0, bias: false, generator: generator)));
        RegisterModule<Module<Tensor, Tensor>>("noise", new FeynmanKacNoise(noiseCoef, noiseGenerator));
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        var a = Relu1.Forward(Bn1.Forward(input));
        var residual = Downsample is { } d ? d.Forward(a) : input;
        var y = Conv2.Forward(Relu2.Forward(Bn2.Forward(Conv1.Forward(a))));
        return Noise.Forward(y + residual);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{_inPlanes}->{_planes}, stride={_stride}, shortcut={(HasDownsample ? "conv1x1(pre-activated)" : "identity")}";
}
