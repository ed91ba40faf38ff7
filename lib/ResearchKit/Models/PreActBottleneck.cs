using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// Pre-activation bottleneck unit of <see cref="ResNetV2Cifar"/> (Keras' <c>resnet_v2</c> as used by Pang et al.,
/// github.com/P2333/Max-Mahalanobis-Training <c>utils/model.py</c>):
/// <c>shortcut(x) + conv3(relu3(bn3(conv2(relu2(bn2(conv1(relu1(bn1(x)))))))))</c>, with 1×1, 3×3 and 1×1 convolutions
/// (each with a bias, as Keras' default), the stride on <c>conv1</c>, and no activation after the sum.
/// </summary>
/// <remarks>
/// <para>The very first unit of the network is built with <c>preActivate: false</c> (no <c>bn1</c>/<c>relu1</c>: its input is
/// the stem's BN-ReLU output). The first unit of each stage has a projection <c>shortcut</c> (1×1 convolution with the
/// unit's stride, no batch norm) applied to the unit's raw input; the others add their input unchanged.</para>
/// <para>Children are read from the registry in <c>Forward</c>, so replacing one (e.g. <c>relu2</c> by a quantized ReLU)
/// takes effect.</para>
/// </remarks>
public sealed class PreActBottleneck : Module<Tensor, Tensor>
{
    private readonly int _inPlanes, _width, _outPlanes, _stride;

    /// <summary>Whether the unit starts with BN-ReLU (<c>bn1</c>, <c>relu1</c>).</summary>
    public bool PreActivate { get; }
    /// <summary>Whether the shortcut is a 1×1 projection (<c>shortcut</c>) rather than the identity.</summary>
    public bool Projection { get; }

    /// <summary>First 1×1 convolution (carries the stride).</summary>
    public Module<Tensor, Tensor> Conv1 => Child<Module<Tensor, Tensor>>("conv1");
    /// <summary>The 3×3 convolution.</summary>
    public Module<Tensor, Tensor> Conv2 => Child<Module<Tensor, Tensor>>("conv2");
    /// <summary>The expanding 1×1 convolution.</summary>
    public Module<Tensor, Tensor> Conv3 => Child<Module<Tensor, Tensor>>("conv3");
    /// <summary>The projection shortcut, or null for an identity shortcut.</summary>
    public Module<Tensor, Tensor>? Shortcut => Projection ? Child<Module<Tensor, Tensor>>("shortcut") : null;

    /// <summary>Creates a unit from <paramref name="inPlanes"/> to <paramref name="outPlanes"/> channels through a
    /// <paramref name="width"/>-channel bottleneck.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="width">Bottleneck channels (of <c>conv1</c> and <c>conv2</c>).</param>
    /// <param name="outPlanes">Output channels (of <c>conv3</c> and the shortcut).</param>
    /// <param name="stride">Stride of <c>conv1</c> and of the projection (2 halves the resolution).</param>
    /// <param name="preActivate">Whether to apply BN-ReLU before <c>conv1</c> (false only for the network's first unit).</param>
    /// <param name="projection">Whether the shortcut is a 1×1 convolution (true for the first unit of a stage).</param>
    /// <param name="generator">Random source of the convolutions' initial weights.</param>
    /// <param name="layers">Creates the layers (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException">An identity shortcut cannot match the shapes (channels change or stride ≠ 1).</exception>
    public PreActBottleneck(int inPlanes, int width, int outPlanes, int stride = 1, bool preActivate = true, bool projection = false,
        Generator? generator = null, LayerFactory? layers = null)
    {
        if (!projection && (stride != 1 || inPlanes != outPlanes))
            throw new ArgumentException($"PreActBottleneck: an identity shortcut needs stride 1 and inPlanes = outPlanes, got stride {stride}, {inPlanes} → {outPlanes}; pass projection: true.");
        layers ??= LayerFactory.Default;
        _inPlanes = inPlanes; _width = width; _outPlanes = outPlanes; _stride = stride;
        PreActivate = preActivate; Projection = projection;
        // Registration order = order of use, so module order (first conv, last ReLU) matches the data flow.
        if (preActivate)
        {
            RegisterModule("bn1", layers.BatchNorm2d(inPlanes));
            RegisterModule("relu1", layers.ReLU());
        }
        RegisterModule("conv1", layers.Conv2d(inPlanes, width, 1, stride: stride, padding: 0, bias: true, generator: generator));
        RegisterModule("bn2", layers.BatchNorm2d(width));
        RegisterModule("relu2", layers.ReLU());
        RegisterModule("conv2", layers.Conv2d(width, width, 3, stride: 1, padding: 1, bias: true, generator: generator));
        RegisterModule("bn3", layers.BatchNorm2d(width));
        RegisterModule("relu3", layers.ReLU());
        RegisterModule("conv3", layers.Conv2d(width, outPlanes, 1, stride: 1, padding: 0, bias: true, generator: generator));
        if (projection)
            RegisterModule("shortcut", layers.Conv2d(inPlanes, outPlanes, 1, stride: stride, padding: 0, bias: true, generator: generator));
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        var y = PreActivate ? Child<Module<Tensor, Tensor>>("relu1").Forward(Child<Module<Tensor, Tensor>>("bn1").Forward(input)) : input;
        y = Conv1.Forward(y);
        y = Conv2.Forward(Child<Module<Tensor, Tensor>>("relu2").Forward(Child<Module<Tensor, Tensor>>("bn2").Forward(y)));
        y = Conv3.Forward(Child<Module<Tensor, Tensor>>("relu3").Forward(Child<Module<Tensor, Tensor>>("bn3").Forward(y)));
        // Keras' resnet_v2 projects the raw unit input (not the pre-activated one).
        return y + (Shortcut is { } s ? s.Forward(input) : input);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{_inPlanes}->{_width}->{_outPlanes}, stride={_stride}, pre_activate={(PreActivate ? "True" : "False")}, shortcut={(Projection ? "conv1x1" : "identity")}";
}
