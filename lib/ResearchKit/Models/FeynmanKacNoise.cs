using System.Globalization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// The Gaussian noise injection of EnResNet (Wang, Shi, Osher, NeurIPS 2019, "ResNets Ensemble via the Feynman-Kac
/// Formalism"): <c>x + noiseCoef · std(x) · ε</c>, ε ~ N(0, 1) elementwise, where std is the unbiased standard deviation of
/// the whole tensor (PyTorch's <c>torch.std(x)</c>: one scalar over batch, channels and positions).
/// </summary>
/// <remarks>
/// <para>Facts from the EnResNet code (Wang et al. 2019, <c>ResNet20/resnet_cifar.py</c>): every pre-activation block adds
/// this noise after its residual sum, in training and in evaluation alike (the code never checks the mode), which is why
/// <see cref="AtInference"/> defaults to true. The std factor stays in the autograd graph, as in PyTorch, so gradients
/// (of the training loss and of white-box attacks) flow through it as well as through the identity term.</para>
/// <para>Determinism: ε is drawn from the <see cref="Generator"/> given to the constructor, in the order the forward passes
/// happen, so the same seed and the same sequence of calls give the same numbers. A coefficient of 0 is the identity and
/// draws nothing (the generator is not advanced). No parameters or buffers: the state dict is unchanged.</para>
/// Shape: output = input (at least two elements when noise is drawn).
/// </remarks>
public sealed class FeynmanKacNoise : Module<Tensor, Tensor>
{
    private readonly Generator _generator;

    /// <summary>The noise coefficient (EnResNet's <c>noise_coef</c>; 0.1 in its training script).</summary>
    public float NoiseCoef { get; }

    /// <summary>Whether noise is also added in evaluation mode (default true, as the EnResNet code); false makes the layer
    /// the identity after <see cref="Module.Eval"/>.</summary>
    public bool AtInference { get; set; } = true;

    /// <summary>Creates the layer.</summary>
    /// <param name="noiseCoef">Multiplier of std(x)·ε; 0 disables the noise.</param>
    /// <param name="generator">Source of ε (default <see cref="Generator.Default"/>; pass a seeded one for reproducible runs).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="noiseCoef"/> is negative or not finite.</exception>
    public FeynmanKacNoise(float noiseCoef, Generator? generator = null)
    {
        if (!(noiseCoef >= 0f) || float.IsInfinity(noiseCoef))
            throw new ArgumentOutOfRangeException(nameof(noiseCoef), noiseCoef, $"FeynmanKacNoise: the noise coefficient must be a finite number ≥ 0 (EnResNet uses 0.1), got {noiseCoef}.");
        NoiseCoef = noiseCoef;
        _generator = generator ?? Generator.Default;
    }

    /// <summary>Whether a forward pass in the current mode adds noise.</summary>
    public bool Active => NoiseCoef != 0f && (Training || AtInference);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Noise is active and the input has fewer than two elements (its unbiased std is undefined).</exception>
    protected override Tensor ForwardCore(Tensor input)
    {
        if (!Active) return input;
        if (input.Numel < 2)
            throw new ArgumentException($"FeynmanKacNoise: the unbiased std needs at least two elements, got shape {input.Shape}; feed a batch or set the coefficient to 0.", nameof(input));
        var eps = Tensor.Randn(input.Shape.ToArray(), _generator, input.Device);
        return input + NoiseCoef * input.Std() * eps;
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"noise_coef={NoiseCoef.ToString(CultureInfo.InvariantCulture)}, at_inference={(AtInference ? "True" : "False")}";
}
