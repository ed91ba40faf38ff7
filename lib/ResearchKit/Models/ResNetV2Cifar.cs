using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// The "ResNet-32" of Pang et al. (ICLR 2020, "Rethinking Softmax Cross-Entropy Loss for Adversarial Robustness", ref. [77]
/// of the thesis), used for every chapter-6 and App. A model (thesis §6.5.1: "the same ResNet-32 as the one used by Pang et
/// al."; App. A: "based on bottleneck-like blocks"): the pre-activation bottleneck ResNet (He et al. 2016, "Identity Mappings
/// in Deep Residual Networks", arXiv:1603.05027) in the form of Keras' CIFAR-10 example <c>resnet_v2</c>, followed by
/// Pang et al.'s extra dense feature layer.
/// </summary>
/// <remarks>
/// <para>Facts taken from the official code, github.com/P2333/Max-Mahalanobis-Training (files <c>utils/model.py</c>,
/// functions <c>resnet_layer</c> and <c>resnet_v2</c>; <c>train.py</c>; <c>README.md</c>); no code was copied:</para>
/// <list type="bullet">
/// <item>The README's SCE and MMC training commands (MNIST, CIFAR-10, CIFAR-100) all pass <c>--version=2</c>, i.e.
/// <c>resnet_v2</c>; <c>train.py</c> fixes <c>n = 5</c> ("n=5 for resnet-32") and names the run <c>resnet32v2…</c>. Pang et al.
/// label depths 6n + 2 whatever the version (their README calls n = 18 "Resnet110"), so the constructor's <c>depth</c> is that
/// label: 32 → n = 5 bottleneck blocks per stage. Keras' own count for <c>resnet_v2</c> is 9n + 2 (47 weight layers for
/// n = 5, plus Pang's two dense layers), so "ResNet-32" is 3·5·3 + 2 = 47 convolution layers deep; the constructor's error
/// points this out when given a 9n + 2 value.</item>
/// <item>Stem: 3×3 convolution to 16 channels, batch norm, ReLU (conv first).</item>
/// <item>Three stages of n bottleneck units; bottleneck widths 16/64/128, outputs 64/128/256 (stage 1 quadruples the 16
/// stem channels, stages 2 and 3 double); the first unit of stages 2 and 3 has stride 2 on its first 1×1 convolution.
/// Each unit is pre-activation: BN-ReLU-conv 1×1, BN-ReLU-conv 3×3, BN-ReLU-conv 1×1; the very first unit of stage 1
/// skips the first BN-ReLU (the stem's output is already normalized and rectified).</item>
/// <item>Shortcut: the first unit of every stage has a projection (1×1 convolution with the unit's stride, no batch norm,
/// no activation) applied to the raw unit input; the other units have identity shortcuts. The sum is not activated (the
/// residual stream stays linear until the next unit's BN-ReLU).</item>
/// <item>Head: BN, ReLU, global average pooling (256 values), then a dense layer to <c>num_dims</c> = <c>feature_dim</c> =
/// 256 (flag <c>use_dense</c>, default True; <c>feature_dim</c> flag default 256) giving <c>final_features</c>, then a dense layer
/// to the classes giving the softmax logits. The MMC loss acts on <c>final_features</c> (the centers file is
/// <c>meanvar1_featuredim256_class100.mat</c> for CIFAR-100, scaled by <c>mean_var</c>); the second dense layer is only used
/// by the softmax models. Here: <see cref="Features"/> is <c>final_features</c> and <see cref="Classifier"/> the second dense
/// layer, so the 100-class MMC (feature dimension ≥ 99) and the chapter-5 heads have the features they need.</item>
/// <item>Every convolution and dense layer is initialized with Keras' <c>he_normal</c> (truncated normal at ±2σ, σ =
/// √(2/fan_in)/0.8796, i.e. a true standard deviation of √(2/fan_in)) and has a bias (Keras' default, initialized to zero).
/// Convolution kernels carry an L2 penalty of 1e-4 (<see cref="KerasL2"/>, <see cref="L2RegularizedWeights"/>); the dense
/// layers and batch norms carry none.</item>
/// </list>
/// <para>Differences and what stays uncertain: the batch norms are the layer factory's (PyTorch defaults eps = 1e-5,
/// momentum 0.1) where Keras uses eps = 1e-3 and momentum 0.99 (0.01 in PyTorch's convention). The thesis does not say
/// whether it kept Pang et al.'s extra dense layer, its width, or Keras' conv biases; this class follows the official code
/// and makes the dense layer optional (<c>featureDim</c> null = Pang's <c>use_dense=False</c>). The "ResNet-32"
/// name could also be read as Keras' 6n + 2 <c>resnet_v1</c> (basic blocks, 0.46 M parameters), but the thesis says
/// "bottleneck-like blocks" and Pang's commands use version 2, so that reading is not implemented.</para>
/// <para>Parameter names are PyTorch-style: <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c> … <c>layer3.4.conv3</c>,
/// <c>layerX.0.shortcut</c>, <c>bn2</c> (head batch norm), <c>embed</c> (the feature dense layer), <c>linear</c> (classifier).
/// Every layer, ReLUs included, is a registered module read back from the registry in <c>Forward</c>, so
/// <see cref="Module.Replace(string, Module)"/> takes effect and hooks can capture any activation. Pass a
/// <see cref="LayerFactory"/> to build e.g. quantized layers.</para>
/// Shape: input (N, inChannels, H, W) (32×32 for CIFAR, 28×28 for Fashion-MNIST); output (N, numClasses) logits.
/// </remarks>
public sealed class ResNetV2Cifar : Module<Tensor, Tensor>
{
    /// <summary>The L2 coefficient Pang et al. put on every convolution kernel (Keras <c>l2(1e-4)</c>: loss += 1e-4·Σw², i.e.
    /// a gradient of 2e-4·w, the same as SGD weight decay 2e-4 on those tensors).</summary>
    public const float KerasL2 = 1e-4f;

    /// <summary>Pang et al.'s default feature dimension (<c>feature_dim</c> flag of <c>train.py</c>).</summary>
    public const int PangFeatureDim = 256;

    // Children are read through the registry (Child), never cached in fields, so replacing one changes Forward.
    /// <summary>Stem convolution (<c>conv1</c>, 3×3, 16 channels).</summary>
    public Module<Tensor, Tensor> Conv1 => Child<Module<Tensor, Tensor>>("conv1");
    /// <summary>Stem batch norm (<c>bn1</c>).</summary>
    public Module<Tensor, Tensor> Bn1 => Child<Module<Tensor, Tensor>>("bn1");
    /// <summary>Stem activation (<c>relu1</c>).</summary>
    public Module<Tensor, Tensor> Relu1 => Child<Module<Tensor, Tensor>>("relu1");
    /// <summary>The three stages of bottleneck units (<c>layer1</c> … <c>layer3</c>).</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Stages => [Child<Module<Tensor, Tensor>>("layer1"), Child<Module<Tensor, Tensor>>("layer2"), Child<Module<Tensor, Tensor>>("layer3")];
    /// <summary>Head batch norm before pooling (<c>bn2</c>, 256 channels).</summary>
    public Module<Tensor, Tensor> Bn2 => Child<Module<Tensor, Tensor>>("bn2");
    /// <summary>Head activation before pooling (<c>relu2</c>).</summary>
    public Module<Tensor, Tensor> Relu2 => Child<Module<Tensor, Tensor>>("relu2");
    /// <summary>Pang et al.'s dense feature layer (<c>embed</c>, 256 → featureDim), or null when built without it.</summary>
    public Module<Tensor, Tensor>? Embed => FeatureDense ? Child<Module<Tensor, Tensor>>("embed") : null;
    /// <summary>Classifier (<c>linear</c>, featureDim → numClasses), the input of which is <see cref="Features"/>.</summary>
    public Module<Tensor, Tensor> Classifier => Child<Module<Tensor, Tensor>>("linear");

    /// <summary>Depth label 6n + 2 as Pang et al. use it (32 for their ResNet-32).</summary>
    public int Depth { get; }
    /// <summary>Bottleneck units per stage, n.</summary>
    public int BlocksPerStage { get; }
    /// <summary>Dimension of <see cref="Features"/> (featureDim, or 256 without the dense feature layer).</summary>
    public int FeatureDim { get; }
    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }
    /// <summary>Whether the dense feature layer <c>embed</c> exists (Pang's <c>use_dense</c>).</summary>
    public bool FeatureDense { get; }

    /// <summary>Channels entering the head (4·16·2·2 = 256).</summary>
    public const int PooledChannels = 256;

    private readonly int _inChannels;

    /// <summary>Builds the network.</summary>
    /// <param name="depth">Pang et al.'s depth label 6n + 2 (n bottleneck units per stage): 32 (their ResNet-32, n = 5),
    /// or a shallower/deeper member of the family such as 8, 14, 20 or 110.</param>
    /// <param name="numClasses">Classes (100 for CIFAR-100).</param>
    /// <param name="featureDim">Width of the dense feature layer (Pang's default 256; the 100-class MMC needs ≥ 99), or null
    /// for none (features = the 256 pooled channels).</param>
    /// <param name="inChannels">Input channels (3 for CIFAR, 1 for Fashion-MNIST).</param>
    /// <param name="classifierBias">Whether the classifier has a bias (Keras' Dense default; false for the AMS head).</param>
    /// <param name="generator">Random source of the initialization (default <see cref="Generator.Default"/>).</param>
    /// <param name="layers">Creates the convolutions, batch norms, ReLUs and dense layers (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException">The depth is not 6n + 2 with n ≥ 1, or a size is not positive.</exception>
    public ResNetV2Cifar(int depth = 32, int numClasses = 100, int? featureDim = PangFeatureDim, int inChannels = 3,
        bool classifierBias = true, Generator? generator = null, LayerFactory? layers = null)
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
        {
            string hint = depth >= 11 && (depth - 2) % 9 == 0
                ? $" {depth} = 9n + 2 with n = {(depth - 2) / 9} is Keras' layer count for resnet_v2; Pang et al. call that network ResNet-{6 * ((depth - 2) / 9) + 2}, so pass depth: {6 * ((depth - 2) / 9) + 2}."
                : "";
            throw new ArgumentException(
                $"ResNetV2Cifar: depth must be Pang et al.'s label 6n + 2 with n ≥ 1 bottleneck units per stage (8, 14, 20, 32, 44, 56, 110), got {depth}.{hint}",
                nameof(depth));
        }
        if (numClasses < 1) throw new ArgumentException($"ResNetV2Cifar: numClasses must be positive, got {numClasses}.", nameof(numClasses));
        if (inChannels < 1) throw new ArgumentException($"ResNetV2Cifar: inChannels must be positive, got {inChannels}.", nameof(inChannels));
        if (featureDim is < 1) throw new ArgumentException($"ResNetV2Cifar: featureDim must be positive (or null for no dense feature layer), got {featureDim}.", nameof(featureDim));
        layers ??= LayerFactory.Default;
        Depth = depth; BlocksPerStage = (depth - 2) / 6; NumClasses = numClasses; _inChannels = inChannels;
        FeatureDense = featureDim is not null;
        FeatureDim = featureDim ?? PooledChannels;

        RegisterModule("conv1", layers.Conv2d(inChannels, 16, 3, stride: 1, padding: 1, bias: true, generator: generator));
        RegisterModule("bn1", layers.BatchNorm2d(16));
        RegisterModule("relu1", layers.ReLU());
        int inPlanes = 16;
        for (int s = 0; s < 3; s++)
        {
            // The bottleneck width is the stage's input width; stage 1 quadruples it, stages 2 and 3 double it (16/64/128 → 64/128/256).
            int width = inPlanes, outPlanes = s == 0 ? 4 * inPlanes : 2 * inPlanes;
            var stage = new Sequential();
            for (int b = 0; b < BlocksPerStage; b++)
            {
                stage.Append(new PreActBottleneck(b == 0 ? inPlanes : outPlanes, width, outPlanes,
                    stride: b == 0 && s > 0 ? 2 : 1, preActivate: !(s == 0 && b == 0), projection: b == 0, generator, layers));
            }
            RegisterModule<Module<Tensor, Tensor>>($"layer{s + 1}", stage);
            inPlanes = outPlanes;
        }
        RegisterModule("bn2", layers.BatchNorm2d(PooledChannels));
        RegisterModule("relu2", layers.ReLU());
        if (FeatureDense) RegisterModule("embed", layers.Linear(PooledChannels, FeatureDim, bias: true, generator: generator));
        RegisterModule("linear", layers.Linear(FeatureDim, numClasses, bias: classifierBias, generator: generator));
        ResetParameters(generator);
    }

    /// <summary>
    /// Keras' <c>he_normal</c> on every convolution and dense weight (truncated at ±2σ, σ = √(2/fan_in)/0.8796) and zero biases,
    /// as in Pang et al.'s <c>utils/model.py</c>; batch norms keep (1, 0). Modules that are neither a <see cref="Conv2d"/> nor a
    /// <see cref="Linear"/> (nor a subclass) keep their own initialization.
    /// </summary>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var m in Modules())
        {
            (Tensor W, Tensor? B)? p = m switch { Conv2d c => (c.Weight, c.Bias), Linear l => (l.Weight, l.Bias), _ => null };
            if (p is not { } wb) continue;
            int fanIn = Init.CalculateFanInAndFanOut(wb.W).FanIn;
            // 0.87962566 = std of the standard normal truncated to [-2, 2]: Keras divides by it so the kept draws have std √(2/fan_in).
            float std = (float)(Math.Sqrt(2.0 / fanIn) / 0.87962566103423978);
            Init.TruncNormal_(wb.W, 0f, std, -2f * std, 2f * std, generator);
            if (wb.B is not null) Init.Zeros_(wb.B);
        }
    }

    /// <summary>The tensors Pang et al. penalize with <see cref="KerasL2"/>: every convolution kernel (not biases, batch norms or dense layers).</summary>
    public IEnumerable<Tensor> L2RegularizedWeights() => Modules().OfType<Conv2d>().Select(c => c.Weight);

    /// <summary>
    /// The penultimate features (N, <see cref="FeatureDim"/>): Pang et al.'s <c>final_features</c>, i.e. the output of the dense
    /// feature layer (or the pooled channels without it) and the input of <see cref="Classifier"/>; the MMC, GML and AMS
    /// losses act on these.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not (N, inChannels, H, W).</exception>
    public Tensor Features(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != _inChannels)
            throw new ArgumentException($"ResNetV2Cifar: expected input (N, {_inChannels}, H, W), got {input.Shape}; construct the model with inChannels: {(input.Dim == 4 ? input.Size(1) : 3)} or convert the images.", nameof(input));
        var x = Relu1.Forward(Bn1.Forward(Conv1.Forward(input)));
        foreach (var stage in Stages) x = stage.Forward(x);
        x = Relu2.Forward(Bn2.Forward(x)).Mean([2, 3]);
        return Embed is { } embed ? embed.Forward(x) : x;
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Classifier.Forward(Features(input));

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"depth={Depth} (n={BlocksPerStage}), num_classes={NumClasses}, feature_dim={(FeatureDense ? FeatureDim.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}, in_channels={_inChannels}";
}
