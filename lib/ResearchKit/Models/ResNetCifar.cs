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
/// <para>Every layer, ReLUs included, is a registered module read back from the registry in <c>Forward</c>, so
/// <see cref="Module.Replace(string, Module)"/> and <see cref="Module.Replace{T}"/> take effect, and forward hooks can
/// capture any activation. The ReLUs (<c>relu</c>, <c>layerX.Y.relu1</c>/<c>relu2</c>) have no parameters, so the state
/// dict keeps the reference implementation's keys. Pass a <see cref="LayerFactory"/> to build e.g. quantized layers.</para>
/// Shape: input (N, inChannels, H, W) with H, W divisible by 4 (32×32 for CIFAR); output (N, numClasses) logits.
/// </remarks>
public sealed class ResNetCifar : Module<Tensor, Tensor>
{
    // Children are read through the registry (Child), never cached in fields, so replacing one changes Forward.
    /// <summary>Stem convolution (<c>conv1</c>; a <see cref="Conv2d"/> unless built or replaced otherwise).</summary>
    public Module<Tensor, Tensor> Conv1 => Child<Module<Tensor, Tensor>>("conv1");
    /// <summary>Stem batch norm (<c>bn1</c>).</summary>
    public Module<Tensor, Tensor> Bn1 => Child<Module<Tensor, Tensor>>("bn1");
    /// <summary>Stem activation (<c>relu</c>).</summary>
    public Module<Tensor, Tensor> Relu => Child<Module<Tensor, Tensor>>("relu");
    /// <summary>The three stages of basic blocks (<c>layer1</c> … <c>layer3</c>).</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Stages => [Child<Module<Tensor, Tensor>>("layer1"), Child<Module<Tensor, Tensor>>("layer2"), Child<Module<Tensor, Tensor>>("layer3")];
    /// <summary>Classifier (<c>linear</c>).</summary>
    public Module<Tensor, Tensor> Classifier => Child<Module<Tensor, Tensor>>("linear");

    private readonly int _depth, _inChannels, _numClasses;

    /// <summary>Builds a ResNet of the given depth.</summary>
    /// <param name="depth">6n + 2: 20, 32, 44, 56 or 110.</param>
    /// <param name="numClasses">Number of output classes (10 for CIFAR-10).</param>
    /// <param name="inChannels">Input channels (3 for CIFAR, 1 for Fashion-MNIST).</param>
    /// <param name="generator">Generator for the initialization (default: <see cref="Generator.Default"/>).</param>
    /// <param name="layers">Creates the convolutions, batch norms, ReLUs and the classifier (default: <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="depth"/> is not of the form 6n + 2.</exception>
    public ResNetCifar(int depth = 20, int numClasses = 10, int inChannels = 3, Generator? generator = null, LayerFactory? layers = null)
    {
        layers ??= LayerFactory.Default;
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentException($"ResNetCifar: depth must be 6n + 2 (20, 32, 44, 56, 110), got {depth}.", nameof(depth));
        if (inChannels < 1) throw new ArgumentException($"ResNetCifar: inChannels must be positive, got {inChannels}.", nameof(inChannels));
        _depth = depth; _inChannels = inChannels; _numClasses = numClasses;
        int n = (depth - 2) / 6;
        RegisterModule("conv1", layers.Conv2d(inChannels, 16, 3, stride: 1, padding: 1, bias: false, generator: generator));
        RegisterModule("bn1", layers.BatchNorm2d(16));
        RegisterModule("relu", layers.ReLU());
        int inPlanes = 16;
        int[] widths = [16, 32, 64];
        for (int s = 0; s < 3; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < n; b++)
            {
                int stride = b == 0 && s > 0 ? 2 : 1;
                stage.Append(new BasicBlock(inPlanes, widths[s], stride, generator, layers));
                inPlanes = widths[s];
            }
            RegisterModule<Module<Tensor, Tensor>>($"layer{s + 1}", stage);
        }
        RegisterModule("linear", layers.Linear(64, numClasses, generator: generator));
        ResetParameters(generator);
    }

    /// <summary>
    /// kaiming_normal_ (fan_in, ReLU gain) on every conv and linear weight, as in the reference implementation (modules that
    /// are neither a <see cref="Conv2d"/> nor a <see cref="Linear"/>, nor subclasses, keep their own initialization).
    /// </summary>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var m in Modules())
        {
            if (m is Conv2d c) Init.KaimingNormal_(c.Weight, generator: generator);
            else if (m is Linear l) Init.KaimingNormal_(l.Weight, generator: generator);
        }
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != _inChannels)
            throw new ArgumentException($"ResNetCifar: expected input (N, {_inChannels}, H, W), got {input.Shape}; construct the model with inChannels: {(input.Dim == 4 ? input.Size(1) : 3)} or convert the images.");
        var h = Conv1.Forward(input);
        var x = Bn1 is BatchNormBase bn ? bn.ForwardRelu(h, Relu) : Relu.Forward(Bn1.Forward(h));
        foreach (var stage in Stages) x = ForwardStage(stage, x);
        x = x.Mean([2, 3]);
        return Classifier.Forward(x);
    }

    /// <summary>
    /// One stage: its blocks in order, except that consecutive blocks fused for inference with identity shortcuts
    /// (<see cref="BasicBlock"/>) run together, depth-first (<see cref="FusedConv2d.ForwardBlocks"/>), so the activations
    /// between them are never stored. A stage with hooks, or that is not a <see cref="Sequential"/>, runs its own forward.
    /// </summary>
    private static Tensor ForwardStage(Module<Tensor, Tensor> stage, Tensor x)
    {
        if (stage is not Sequential seq || seq.HasForwardHooks) return stage.Forward(x);
        var run = new List<(FusedConv2d, FusedConv2d)>();
        foreach (var child in seq.Children())
        {
            if (child is BasicBlock { HasForwardHooks: false } b && b.FusedIdentityPair() is { } pair)
            {
                run.Add(pair);
                continue;
            }
            x = Flush(x);
            x = ((Module<Tensor, Tensor>)child).Forward(x);
        }
        return Flush(x);

        Tensor Flush(Tensor t)
        {
            if (run.Count == 0) return t;
            t = FusedConv2d.ForwardBlocks(run, t);
            run.Clear();
            return t;
        }
    }

    /// <summary>
    /// Each convolution with the batch norm that reads its output (the stem's, then every block's two), for
    /// <see cref="Fusion.FoldBatchNorms"/> at inference. The option-A shortcut has no convolution.
    /// </summary>
    public IReadOnlyList<(string Conv, string BatchNorm)> ConvBnPairs()
    {
        var pairs = new List<(string, string)> { ("conv1", "bn1") };
        foreach (var (name, m) in NamedModules())
            if (m is BasicBlock) pairs.AddRange([($"{name}.conv1", $"{name}.bn1"), ($"{name}.conv2", $"{name}.bn2")]);
        return pairs;
    }

    /// <summary>
    /// The groups <see cref="Fusion.FuseConvBnRelu"/> fuses for inference: the stem's conv, bn and ReLU; in every block conv1
    /// with bn1 and relu1, and conv2 with bn2, the residual add and relu2 (the block passes its shortcut to the fused conv2).
    /// </summary>
    public IReadOnlyList<ConvFusion> InferenceFusions()
    {
        var groups = new List<ConvFusion> { new("conv1", "bn1", "relu") };
        foreach (var (name, m) in NamedModules())
            if (m is BasicBlock)
                groups.AddRange([new($"{name}.conv1", $"{name}.bn1", $"{name}.relu1"), new($"{name}.conv2", $"{name}.bn2", $"{name}.relu2", Residual: true)]);
        return groups;
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"depth={_depth}, num_classes={_numClasses}, in_channels={_inChannels}";
}

/// <summary>
/// Basic residual block: <c>relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))</c>, 3×3 convolutions, stride on
/// <c>conv1</c>, option-A shortcut (strided identity zero-padded in channels) when the shape changes.
/// </summary>
/// <remarks>
/// Children (<c>conv1</c>, <c>bn1</c>, <c>relu1</c>, <c>conv2</c>, <c>bn2</c>, <c>relu2</c>) are read from the registry in
/// <c>Forward</c>, so replacing one takes effect. <c>relu2</c> follows the residual addition.
/// </remarks>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly int _stride, _inPlanes, _planes;

    /// <summary>First convolution (carries the stride).</summary>
    public Module<Tensor, Tensor> Conv1 => Child<Module<Tensor, Tensor>>("conv1");
    /// <summary>First batch norm.</summary>
    public Module<Tensor, Tensor> Bn1 => Child<Module<Tensor, Tensor>>("bn1");
    /// <summary>Activation after the first batch norm.</summary>
    public Module<Tensor, Tensor> Relu1 => Child<Module<Tensor, Tensor>>("relu1");
    /// <summary>Second convolution.</summary>
    public Module<Tensor, Tensor> Conv2 => Child<Module<Tensor, Tensor>>("conv2");
    /// <summary>Second batch norm.</summary>
    public Module<Tensor, Tensor> Bn2 => Child<Module<Tensor, Tensor>>("bn2");
    /// <summary>Activation after the residual addition.</summary>
    public Module<Tensor, Tensor> Relu2 => Child<Module<Tensor, Tensor>>("relu2");

    /// <summary>Creates a block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution (2 halves the resolution).</param>
    /// <param name="generator">Random source for the initialization (default: <see cref="Generator.Default"/>).</param>
    /// <param name="layers">Creates the layers (default: <see cref="LayerFactory.Default"/>).</param>
    public BasicBlock(int inPlanes, int planes, int stride = 1, Generator? generator = null, LayerFactory? layers = null)
    {
        layers ??= LayerFactory.Default;
        _stride = stride; _inPlanes = inPlanes; _planes = planes;
        // Registration order = PyTorch's attribute order (conv1, bn1, conv2, bn2); the parameterless ReLUs do not change the keys.
        RegisterModule("conv1", layers.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false, generator: generator));
        RegisterModule("bn1", layers.BatchNorm2d(planes));
        RegisterModule("relu1", layers.ReLU());
        RegisterModule("conv2", layers.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false, generator: generator));
        RegisterModule("bn2", layers.BatchNorm2d(planes));
        RegisterModule("relu2", layers.ReLU());
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input)
    {
        // Fused for inference with an identity shortcut: both convolutions run depth-first (FusedConv2d.ForwardBlock).
        if (FusedIdentityPair() is var (first, second)) return FusedConv2d.ForwardBlock(first, second, input);
        var h = Conv1.Forward(input);
        // In evaluation mode the batch norm and its ReLU run as one pass (BatchNormBase.ForwardRelu: the same bits).
        var y = Bn1 is BatchNormBase bn1 ? bn1.ForwardRelu(h, Relu1) : Relu1.Forward(Bn1.Forward(h));
        // Fused for inference (ResNetCifar.InferenceFusions): bn2, the add and relu2 run in conv2's epilogue.
        if (Conv2 is FusedConv2d { TakesResidual: true } fused)
        {
            if (Bn2 is not Identity)
                throw new InvalidOperationException("BasicBlock: conv2 takes the residual in its epilogue but bn2 was not folded into it; fuse conv2 with bn2 (ResNetCifar.InferenceFusions).");
            return Relu2.Forward(fused.Forward(y, Shortcut(input)));
        }
        y = Bn2.Forward(Conv2.Forward(y));
        return Relu2.Forward(y + Shortcut(input));
    }

    /// <summary>
    /// The block's two convolutions when it is fused for inference with an identity shortcut (ResNetCifar.InferenceFusions:
    /// batch norms and ReLUs folded into them, no hook on its parts), so that it computes
    /// <c>conv2(conv1(x), residual: x)</c> and may run depth-first with its neighbours; null otherwise.
    /// </summary>
    internal (FusedConv2d First, FusedConv2d Second)? FusedIdentityPair()
        => _stride == 1 && _inPlanes == _planes && Conv1 is FusedConv2d { Relu: true, TakesResidual: false } first
           && Conv2 is FusedConv2d { TakesResidual: true } second
           && Bn1 is Identity && Relu1 is Identity && Bn2 is Identity && Relu2 is Identity
           && !Bn1.HasForwardHooks && !Relu1.HasForwardHooks && !Bn2.HasForwardHooks && !Relu2.HasForwardHooks
            ? (first, second)
            : null;

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
