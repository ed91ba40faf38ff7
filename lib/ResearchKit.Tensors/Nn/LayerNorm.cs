namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Layer normalization over the trailing dims <see cref="NormalizedShape"/> (<c>nn.LayerNorm</c>).
/// Shape: input <c>(*, normalized_shape)</c> → same. Init: weight 1, bias 0 (both shaped normalized_shape).
/// </summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    /// <summary>Trailing dims normalized together.</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Whether γ and β are learned.</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>γ, or null without affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β, or null without affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentException">normalizedShape is empty or has non-positive dims, or eps ≤ 0.</exception>
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        if (normalizedShape.Length == 0 || Array.Exists(normalizedShape, d => d <= 0))
            throw new ArgumentException($"LayerNorm: normalized_shape must be a non-empty list of positive sizes, got {ShapeUtil.Format(normalizedShape)}.");
        if (!(eps > 0)) throw new ArgumentException($"LayerNorm: eps must be positive, got {eps}.");
        NormalizedShape = (int[])normalizedShape.Clone(); Eps = eps; ElementwiseAffine = elementwiseAffine;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape));
            Bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape));
        }
        else { RegisterParameter("weight"); RegisterParameter("bias"); }
        ResetParameters();
    }

    /// <summary>Layer normalization over the last dimension of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true) : this([normalizedShape], eps, elementwiseAffine) { }

    /// <summary>Sets weight to 1 and bias to 0.</summary>
    public void ResetParameters()
    {
        if (!ElementwiseAffine) return;
        Init.Ones_(Weight!);
        Init.Zeros_(Bias!);
    }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{ShapeUtil.Format(NormalizedShape)}, eps={PyRepr.Float(Eps)}, elementwise_affine={PyRepr.Bool(ElementwiseAffine)}";
}
