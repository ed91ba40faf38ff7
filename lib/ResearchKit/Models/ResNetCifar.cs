using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// The CIFAR ResNet of He et al. 2016 (§4.2, "Deep Residual Learning for Image Recognition", arXiv:1512.03385):
/// a 3×3 stem with 16 channels, three stages of <c>n</c> basic blocks with 16/32/64 channels (the first block of
/// stages 2 and 3 has stride 2), global average pooling and a linear classifier; depth = 6n + 2 (20, 32, 44, 56, 110).
/// </summary>
/// <remarks>
/// Parameter names follow the widely used PyTorch implementation (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1.weight</c>,
/// …, <c>linear.weight</c>), so weights move through <c>.safetensors</c>. Shortcuts use option A of the paper (strided
/// identity, zero-padded channels: no parameters). <c>inChannels</c> lets CIFAR recipes run on 1-channel
/// stand-ins such as Fashion-MNIST.
/// Shape: input (N, inChannels, H, W) with H, W divisible by 4 (32×32 for CIFAR); output (N, numClasses) logits.
/// </remarks>
public sealed class ResNetCifar : Module<Tensor, Tensor>
{
    /// <summary>Stem convolution.</summary>
    public Conv2d Conv1 { get; }
    /// <summary>Stem batch norm.</summary>
    public BatchNorm2d Bn1 { get; }
    /// <summary>The three stages of basic blocks.</summary>
    public IReadOnlyList<Sequential> Stages { get; }
    /// <summary>Classifier.</summary>
    public Linear Classifier { get; }

    private readonly int _depth, _inChannels, _numClasses;

    /// <summary>Builds a ResNet of the given depth.</summary>
    /// <param name="depth">6n + 2: 20, 32, 44, 56 or 110.</param>
    /// <param name="numClasses">Number of output classes (10 for CIFAR-10).</param>
    /// <param name="inChannels">Input channels (3 for CIFAR, 1 for Fashion-MNIST).</param>
    /// <param name="generator">Generator for the initialization (default: <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="depth"/> is not of the form 6n + 2.</exception>
    public ResNetCifar(int depth = 20, int numClasses = 10, int inChannels = 3, Generator? generator = null)
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentException($"ResNetCifar: depth must be 6n + 2 (20, 32, 44, 56, 110), got {depth}.", nameof(depth));
        if (inChannels < 1) throw new ArgumentException($"ResNetCifar: inChannels must be positive, got {inChannels}.", nameof(inChannels));
        _depth = depth; _inChannels = inChannels; _numClasses = numClasses;
        int n = (depth - 2) / 6;
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, 16, 3, stride: 1, padding: 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(16));
        var stages = new List<Sequential>();
        int inPlanes = 16;
        int[] widths = [16, 32, 64];
        for (int s = 0; s < 3; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < n; b++)
            {
                int stride = b == 0 && s > 0 ? 2 : 1;
                stage.Append(new BasicBlock(inPlanes, widths[s], stride, generator));
                inPlanes = widths[s];
            }
            stages.Add(RegisterModule($"layer{s + 1}", stage));
        }
        Stages = stages;
        Classifier = RegisterModule("linear", new Linear(64, numClasses, generator: generator));
        ResetParameters(generator);
    }

    /// <summary>kaiming_normal_ (fan_in, ReLU gain) on every conv and linear weight, as in the reference implementation.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var m in Modules())
        {
            if (m is Conv2d c) Init.KaimingNormal_(c.Weight, generator: generator);
            else if (m is Linear l) Init.KaimingNormal_(l.Weight, generator: generator);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != _inChannels)
            throw new ArgumentException($"ResNetCifar: expected input (N, {_inChannels}, H, W), got {input.Shape}; construct the model with inChannels: {(input.Dim == 4 ? input.Size(1) : 3)} or convert the images.");
        var x = Bn1.Forward(Conv1.Forward(input)).Relu();
        foreach (var stage in Stages) x = stage.Forward(x);
        x = x.Mean([2, 3]);
        return Classifier.Forward(x);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"depth={_depth}, num_classes={_numClasses}, in_channels={_inChannels}";
}

/// <summary>
/// Basic residual block: <c>relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))</c>, 3×3 convolutions, stride on
/// <c>conv1</c>, option-A shortcut (strided identity zero-padded in channels) when the shape changes.
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly int _stride, _inPlanes, _planes;

    /// <summary>First convolution (carries the stride).</summary>
    public Conv2d Conv1 { get; }
    /// <summary>First batch norm.</summary>
    public BatchNorm2d Bn1 { get; }
    /// <summary>Second convolution.</summary>
    public Conv2d Conv2 { get; }
    /// <summary>Second batch norm.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>Creates a block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution (2 halves the resolution).</param>
    /// <param name="generator">Random source for the initialization (default: <see cref="Generator.Default"/>).</param>
    public BasicBlock(int inPlanes, int planes, int stride = 1, Generator? generator = null)
    {
        _stride = stride; _inPlanes = inPlanes; _planes = planes;
        Conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = Bn1.Forward(Conv1.Forward(input)).Relu();
        y = Bn2.Forward(Conv2.Forward(y));
        return (y + Shortcut(input)).Relu();
    }

    private Tensor Shortcut(Tensor x)
    {
        if (_stride == 1 && _inPlanes == _planes) return x;
        // Option A: subsample spatially, then zero-pad the channel dimension (planes/4 on each side for 16→32→64).
        var s = x.Slice(2, 0, null, _stride).Slice(3, 0, null, _stride);
        int extra = _planes - _inPlanes;
        return s.Pad([0, 0, 0, 0, extra / 2, extra - extra / 2]);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => _stride == 1 && _inPlanes == _planes ? "" : $"shortcut=A(stride={_stride}, pad_channels={_planes - _inPlanes})";
}
