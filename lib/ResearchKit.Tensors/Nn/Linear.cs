namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Fully connected layer <c>y = x Wᵀ + b</c> (<c>nn.Linear</c>).
/// Shape: input <c>(*, in_features)</c> → output <c>(*, out_features)</c>; weight <c>(out_features, in_features)</c>, bias <c>(out_features)</c>.
/// Init (PyTorch default): weight by kaiming_uniform_(a = √5), i.e. U(−1/√in, 1/√in); bias U(−1/√in, 1/√in).
/// </summary>
/// <remarks>
/// Not sealed: a variant (e.g. a fake-quantized linear for quantization-aware training) overrides
/// <see cref="EffectiveWeight"/> or <see cref="ForwardCore"/> and keeps the <c>weight</c>/<c>bias</c> names, so it can replace
/// a <see cref="Linear"/> in a model without changing the state dict.
/// </remarks>
public class Linear : Module<Tensor, Tensor>
{
    /// <summary>Size of each input sample.</summary>
    public int InFeatures { get; }

    /// <summary>Size of each output sample.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight (out_features, in_features).</summary>
    public Tensor Weight { get; }

    /// <summary>Bias (out_features), or null when created with bias: false.</summary>
    public Tensor? Bias { get; }

    /// <summary>Creates the layer and initializes it like PyTorch.</summary>
    /// <param name="inFeatures">Size of each input sample.</param>
    /// <param name="outFeatures">Size of each output sample.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="generator">Random source for the initialization (default: <see cref="Generator.Default"/>), for reproducible models.</param>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is negative.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        if (inFeatures < 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "Linear: in_features must be non-negative.");
        if (outFeatures < 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "Linear: out_features must be non-negative.");
        InFeatures = inFeatures; OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
        else RegisterParameter("bias");
        ResetParameters(generator);
    }

    /// <summary>Re-draws the parameters with PyTorch's default law (from <paramref name="generator"/> or the default generator).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.KaimingUniform_(Weight, MathF.Sqrt(5f), generator: generator);
        if (Bias is not null)
        {
            float bound = InFeatures > 0 ? 1f / MathF.Sqrt(InFeatures) : 0f;
            Init.Uniform_(Bias, -bound, bound, generator);
        }
    }

    /// <summary>
    /// The weight the forward pass uses: <see cref="Weight"/> here; override to transform it (fake quantization, weight
    /// normalization) while the parameter stays the one that is trained and saved.
    /// </summary>
    protected virtual Tensor EffectiveWeight() => Weight;

    /// <summary>The bias the forward pass uses (<see cref="Bias"/> here); override like <see cref="EffectiveWeight"/>.</summary>
    protected virtual Tensor? EffectiveBias() => Bias;

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Linear(input, EffectiveWeight(), EffectiveBias());

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={PyRepr.Bool(Bias is not null)}";
}
