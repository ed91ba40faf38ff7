using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// One member of EnResNet (Wang, Shi, Osher, NeurIPS 2019): the pre-activation CIFAR ResNet (He et al. 2016, "Identity
/// Mappings in Deep Residual Networks") with Feynman-Kac noise after every block, as in the EnResNet code (Wang et al.
/// 2019, <c>ResNet20/resnet_cifar.py</c>): a 3×3 stem with 16 filters, three stages of n <see cref="PreActBasicBlock"/>s
/// with 16/32/64 planes and strides 1/2/2, then <c>bn</c>, <c>relu</c>, global average pooling and <c>fc</c>;
/// depth = 6n + 2 (ResNet20: n = 3).
/// </summary>
/// <remarks>
/// <para>Facts from the reference code: no convolution has a bias; the first block of stages 2 and 3 (and of stage 1 when
/// the stem width differed) has a 1×1 projection <c>downsample.0</c> reading the pre-activated input; convolutions are
/// initialized N(0, √(2/n)) with n = k·k·out_channels, batch norms (1, 0), the classifier with the default
/// <see cref="Linear"/> initialization. The reference pools with an 8×8 window (CIFAR's last map); here the pooling is
/// global, which is the same on 32×32 inputs and lets 28×28 Fashion-MNIST stand-ins (7×7 last map) run.</para>
/// <para>Parameter names match the reference (<c>conv1.weight</c>, <c>layer1.0.bn1.*</c>, <c>layer2.0.downsample.0.weight</c>,
/// <c>bn.*</c>, <c>fc.*</c>), so its state dicts load. Every layer, ReLUs and noise included, is a registered child read
/// back in <c>Forward</c>, so <see cref="Module.Replace(string, Module)"/> and hooks work. Pass a <see cref="LayerFactory"/>
/// to build e.g. quantized convolutions.</para>
/// Shape: input (N, inChannels, H, W) with H, W ≥ 4 (32×32 for CIFAR, 28×28 for Fashion-MNIST); output (N, numClasses) logits.
/// </remarks>
public sealed class PreActResNetCifar : Module<Tensor, Tensor>
{
    private readonly int _inChannels;

    /// <summary>Depth 6n + 2.</summary>
    public int Depth { get; }
    /// <summary>Blocks per stage, n.</summary>
    public int BlocksPerStage { get; }
    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }
    /// <summary>The Feynman-Kac noise coefficient of every block.</summary>
    public float NoiseCoef { get; }

    /// <summary>Stem convolution (<c>conv1</c>, 3×3, 16 filters).</summary>
    public Module<Tensor, Tensor> Conv1 => Child<Module<Tensor, Tensor>>("conv1");
    /// <summary>The three stages (<c>layer1</c> … <c>layer3</c>), each a <see cref="Sequential"/> of <see cref="PreActBasicBlock"/>s.</summary>
    public IReadOnlyList<Module<Tensor, Tensor>> Stages => [Child<Module<Tensor, Tensor>>("layer1"), Child<Module<Tensor, Tensor>>("layer2"), Child<Module<Tensor, Tensor>>("layer3")];
    /// <summary>Head batch norm (<c>bn</c>, 64 channels).</summary>
    public Module<Tensor, Tensor> Bn => Child<Module<Tensor, Tensor>>("bn");
    /// <summary>Head activation (<c>relu</c>).</summary>
    public Module<Tensor, Tensor> Relu => Child<Module<Tensor, Tensor>>("relu");
    /// <summary>Classifier (<c>fc</c>, 64 → numClasses, with bias).</summary>
    public Module<Tensor, Tensor> Fc => Child<Module<Tensor, Tensor>>("fc");

    /// <summary>The noise layers of the blocks, in forward order.</summary>
    public IEnumerable<FeynmanKacNoise> NoiseLayers => Modules().OfType<FeynmanKacNoise>();

    /// <summary>Builds a member.</summary>
    /// <param name="depth">6n + 2: 8, 14, 20 (default, EnResNet's ResNet20), 32, 44, 56, 110.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <param name="inChannels">Input channels (3 for CIFAR, 1 for Fashion-MNIST).</param>
    /// <param name="noiseCoef">Feynman-Kac noise coefficient of every block (EnResNet: 0.1; 0 = the plain pre-activation ResNet).</param>
    /// <param name="generator">Random source of the initialization (default <see cref="Generator.Default"/>).</param>
    /// <param name="noiseGenerator">Source of the noise draws, shared by the blocks in forward order. Default: a generator
    /// seeded with one draw from <paramref name="generator"/> taken after the initialization (so the weights do not depend
    /// on whether it is given, and the same seed gives the same noise).</param>
    /// <param name="layers">Creates the convolutions, batch norms, ReLUs and the classifier (default <see cref="LayerFactory.Default"/>).</param>
    /// <exception cref="ArgumentException">The depth is not 6n + 2 with n ≥ 1, or a size is not positive.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="noiseCoef"/> is negative or not finite.</exception>
    public PreActResNetCifar(int depth = 20, int numClasses = 10, int inChannels = 3, float noiseCoef = 0f,
        Generator? generator = null, Generator? noiseGenerator = null, LayerFactory? layers = null)
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentException($"PreActResNetCifar: depth must be 6n + 2 with n ≥ 1 (8, 14, 20, 32, 44, 56, 110), got {depth}.", nameof(depth));
        if (numClasses < 1) throw new ArgumentException($"PreActResNetCifar: numClasses must be positive, got {numClasses}.", nameof(numClasses));
        if (inChannels < 1) throw new ArgumentException($"PreActResNetCifar: inChannels must be positive, got {inChannels}.", nameof(inChannels));
        layers ??= LayerFactory.Default;
        Depth = depth; BlocksPerStage = (depth - 2) / 6; NumClasses = numClasses; NoiseCoef = noiseCoef; _inChannels = inChannels;
        var noise = noiseGenerator ?? new Generator(0); // reseeded below, after the initialization draws

        RegisterModule("conv1", layers.Conv2d(inChannels, 16, 3, stride: 1, padding: 1, bias: false, generator: generator));
        int inPlanes = 16;
        int[] widths = [16, 32, 64];
        for (int s = 0; s < 3; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < BlocksPerStage; b++)
            {
                stage.Append(new PreActBasicBlock(inPlanes, widths[s], b == 0 && s > 0 ? 2 : 1, noiseCoef, noise, generator, layers));
                inPlanes = widths[s];
            }
            RegisterModule<Module<Tensor, Tensor>>($"layer{s + 1}", stage);
        }
        RegisterModule("bn", layers.BatchNorm2d(64));
        RegisterModule("relu", layers.ReLU());
        RegisterModule("fc", layers.Linear(64, numClasses, bias: true, generator: generator));
        ResetParameters(generator);
        if (noiseGenerator is null) noise.ManualSeed((long)(generator ?? Generator.Default).NextUInt64());
    }

    /// <summary>
    /// The reference initialization of every convolution (a <see cref="Conv2d"/> or subclass): N(0, √(2/n)) with
    /// n = k_h·k_w·out_channels. Batch norms and the classifier keep their own (1/0 and the <see cref="Linear"/> default).
    /// </summary>
    /// <param name="generator">Random source (default <see cref="Generator.Default"/>).</param>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var m in Modules())
        {
            if (m is not Conv2d c) continue;
            int n = c.KernelSize.H * c.KernelSize.W * c.OutChannels;
            Init.Normal_(c.Weight, 0f, (float)Math.Sqrt(2.0 / n), generator);
        }
    }

    /// <summary>Sets <see cref="FeynmanKacNoise.AtInference"/> on every block (false: deterministic evaluation).</summary>
    /// <param name="atInference">Whether noise is added in evaluation mode.</param>
    public void SetNoiseAtInference(bool atInference)
    {
        foreach (var n in NoiseLayers) n.AtInference = atInference;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input is not (N, inChannels, H, W).</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (input.Dim != 4 || input.Size(1) != _inChannels)
            throw new ArgumentException($"PreActResNetCifar: expected input (N, {_inChannels}, H, W), got {input.Shape}; construct the model with inChannels: {(input.Dim == 4 ? input.Size(1) : 3)} or convert the images.", nameof(input));
        var x = Conv1.Forward(input);
        foreach (var stage in Stages) x = stage.Forward(x);
        x = Relu.Forward(Bn.Forward(x)).Mean([2, 3]);
        return Fc.Forward(x);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"depth={Depth} (n={BlocksPerStage}), num_classes={NumClasses}, in_channels={_inChannels}, noise_coef={NoiseCoef.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
