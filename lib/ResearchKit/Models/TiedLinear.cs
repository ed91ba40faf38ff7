using System.Globalization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;

namespace ResearchKit.Models;

/// <summary>
/// A linear layer <c>y = x·Wᵀ + b</c> whose weight is another module's tensor — PyTorch's
/// <c>self.decoder.weight = self.encoder.weight</c> weight tying (Inan et al. 2016; Press &amp; Wolf 2016).
/// </summary>
/// <remarks>
/// The shared tensor is registered here under <c>weight</c> as well, so, as in PyTorch, the state dict holds both keys
/// (e.g. <c>encoder.weight</c> and <c>decoder.weight</c>, the same tensor) while <see cref="Module.Parameters"/> lists it
/// once (optimizers update it once, with the gradient accumulated from both uses).
/// Not sealed: a variant (e.g. fake-quantized for quantization-aware training) overrides <see cref="EffectiveWeight"/> and
/// keeps the tie.
/// </remarks>
public class TiedLinear : Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="weight"/> (out_features, in_features) and adds a zero bias when <paramref name="bias"/>.</summary>
    /// <exception cref="ArgumentException">The weight is not a 2-D Float32 tensor.</exception>
    public TiedLinear(Tensor weight, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Dim != 2 || weight.DType != DType.Float32)
            throw new ArgumentException($"TiedLinear: the shared weight must be a 2-D Float32 (out_features, in_features) tensor, got shape {weight.Shape} ({weight.DType}).", nameof(weight));
        Weight = RegisterParameter("weight", weight);
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(weight.Size(0)));
        else RegisterParameter("bias");
    }

    /// <summary>The shared weight (out_features, in_features).</summary>
    public Tensor Weight { get; }

    /// <summary>The bias (out_features), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Input features.</summary>
    public int InFeatures => Weight.Size(1);

    /// <summary>Output features.</summary>
    public int OutFeatures => Weight.Size(0);

    /// <summary>The weight the forward pass uses: the shared <see cref="Weight"/> here; override to transform it.</summary>
    protected virtual Tensor EffectiveWeight() => Weight;

    /// <summary>The bias the forward pass uses (<see cref="Bias"/> here); override like <see cref="EffectiveWeight"/>.</summary>
    protected virtual Tensor? EffectiveBias() => Bias;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Linear(input, EffectiveWeight(), EffectiveBias());

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}, tied=True");
}
