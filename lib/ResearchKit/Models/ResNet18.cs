using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// ResNet-18 (He et al. 2016), post-activation: a stem (<see cref="ResNet18Cifar"/>: 3×3 stride 1, no max-pool, §5.4.1;
/// <see cref="ResNet18ImageNet"/>: 7×7 stride 2 and a 3×3 stride-2 max-pool, as torchvision), four stages of two post-activation basic blocks (64/128/256/512 channels,
/// stride 2 at the start of stages 2–4, 1×1 convolution + batch norm projection shortcuts), global average pooling and a
/// linear classifier.
/// </summary>
/// <remarks>
/// Parameter names follow torchvision (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, …, <c>layer2.0.downsample.0</c>/<c>.1</c>,
/// <c>fc</c>). Every layer, ReLUs included, is a registered module read back in <c>Forward</c>, so module surgery and
/// quantization (<see cref="Quantization.ModelQuantizer"/>) can replace it and hooks can capture it. The ReLUs are named
/// <c>relu</c> (stem) and <c>relu1</c>/<c>relu2</c> in blocks (torchvision reuses one <c>relu</c>; here each site gets its own
/// module so each gets its own activation quantizer); they have no parameters, so the state-dict keys are torchvision's.
/// The residual addition is a plain tensor addition followed by <c>relu2</c>: in a post-activation block the sum only
/// leaves the block through <c>relu2</c>, so quantizing <c>relu2</c> puts the residual stream at the activation bit width
/// (§5.4.2), and leaving it in float gives the 32-bit residuals of the LSQ/PACT "*" rows; no separate add module is needed.
/// Shape: input (N, inChannels, H, W) → logits (N, numClasses).
/// </remarks>
public abstract class ResNet18 : Module<Tensor, Tensor>
{
    private readonly int _numClasses, _inChannels;
    private readonly bool _fcBias, _imageNetStem;

    /// <summary>Stem convolution (<c>conv1</c>: 3×3 stride 1 for CIFAR, §5.4.1; 7×7 stride 2 for ImageNet).</summary>
    public Module<Tensor, Tensor> Conv1 => Child<Module<Tensor, Tensor>>("conv1");
    /// <summary>Stem batch norm (<c>bn1</c>).</summary>
    public Module<Tensor, Tensor> Bn1 => Child<Module<Tensor, Tensor>>("bn1");
    /// <summary>Stem activation (<c>relu</c>).</summary>
    public Module<Tensor, Tensor> Relu => Child<Module<Tensor, Tensor>>("relu");
    /// <summary>The four stages (<c>layer1</c> … <c>layer4</c>).</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Stages =>
        [Child<Module<Tensor, Tensor>>("layer1"), Child<Module<Tensor, Tensor>>("layer2"), Child<Module<Tensor, Tensor>>("layer3"), Child<Module<Tensor, Tensor>>("layer4")];
    /// <summary>Classifier (<c>fc</c>, 512 → numClasses).</summary>
    public Module<Tensor, Tensor> Fc => Child<Module<Tensor, Tensor>>("fc");

    /// <summary>Builds the network with the CIFAR (§5.4.1) or the ImageNet stem.</summary>
    /// <param name="imageNetStem">7×7 stride-2 convolution and 3×3 stride-2 max-pool (ImageNet) instead of the 3×3 stride-1 stem.</param>
    /// <param name="numClasses">Output classes (10 for CIFAR-10, 100 for CIFAR-100).</param>
    /// <param name="fcBias">Whether the classifier has a bias (false for the AMS runs, §5.4.1, whose logits are cosines).</param>
    /// <param name="inChannels">Input channels (3 for CIFAR).</param>
    /// <param name="generator">Random source for the initialization (default <see cref="Generator.Default"/>).</param>
    /// <param name="layers">Creates the layers (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="numClasses"/> or <paramref name="inChannels"/> is not positive.</exception>
    private protected ResNet18(bool imageNetStem, int numClasses, bool fcBias, int inChannels, Generator? generator, LayerFactory? layers)
    {
        if (numClasses < 1) throw new ArgumentException($"{GetType().Name}: numClasses must be positive, got {numClasses}.", nameof(numClasses));
        if (inChannels < 1) throw new ArgumentException($"{GetType().Name}: inChannels must be positive, got {inChannels}.", nameof(inChannels));
        layers ??= LayerFactory.Default;
        _numClasses = numClasses; _inChannels = inChannels; _fcBias = fcBias; _imageNetStem = imageNetStem;
        RegisterModule("conv1", imageNetStem
            ? layers.Conv2d(inChannels, 64, 7, stride: 2, padding: 3, bias: false, generator: generator)
            : layers.Conv2d(inChannels, 64, 3, stride: 1, padding: 1, bias: false, generator: generator));
        RegisterModule("bn1", layers.BatchNorm2d(64));
        RegisterModule("relu", layers.ReLU());
        if (imageNetStem) RegisterModule<Module<Tensor, Tensor>>("maxpool", new MaxPool2d(3, stride: 2, padding: 1));
        int inPlanes = 64;
        int[] widths = [64, 128, 256, 512];
        for (int s = 0; s < 4; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < 2; b++)
            {
                stage.Append(new ResNet18Block(inPlanes, widths[s], b == 0 && s > 0 ? 2 : 1, generator, layers));
                inPlanes = widths[s];
            }
            RegisterModule<Module<Tensor, Tensor>>($"layer{s + 1}", stage);
        }
        RegisterModule("fc", layers.Linear(512, numClasses, bias: fcBias, generator: generator));
        // Conv weights: kaiming_normal_(fan_out, relu) as torchvision; batch norms (1, 0) and fc keep PyTorch's defaults.
        foreach (var m in Modules())
            if (m is Conv2d c) Init.KaimingNormal_(c.Weight, mode: "fan_out", nonlinearity: "relu", generator: generator);
    }

    /// <summary>
    /// The penultimate features (N, 512): the globally average-pooled output of <c>layer4</c>, i.e. the input of <c>fc</c>,
    /// for t-SNE (§5.5) and the AMS/GML losses (§5.3), which act on features and class weights.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not (N, inChannels, H, W).</exception>
    public Tensor Features(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != _inChannels)
            throw new ArgumentException($"{GetType().Name}: expected input (N, {_inChannels}, H, W), got {input.Shape}; build the model with inChannels: {(input.Dim == 4 ? input.Size(1) : 3)} or reshape the images.", nameof(input));
        var x = Relu.Forward(Bn1.Forward(Conv1.Forward(input)));
        if (_imageNetStem) x = Child<Module<Tensor, Tensor>>("maxpool").Forward(x);
        foreach (var stage in Stages) x = stage.Forward(x);
        return x.Mean([2, 3]);
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Fc.Forward(Features(input));

    /// <inheritdoc/>
    public override string ExtraRepr() => $"num_classes={_numClasses}, in_channels={_inChannels}, fc_bias={(_fcBias ? "True" : "False")}";
}

