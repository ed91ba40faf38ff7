namespace ResearchKit.Tensors.Nn;

/// <summary>x if x &gt; 0 else α(eˣ − 1) (<c>nn.ELU</c>). Shape: output = input.</summary>
public sealed class ELU : Module<Tensor, Tensor>
{
    /// <summary>Scale α of the negative part.</summary>
    public float Alpha { get; }

    /// <summary>Creates the layer (PyTorch default α = 1).</summary>
    public ELU(float alpha = 1f) { Alpha = alpha; }

    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Elu(input, Alpha);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"alpha={PyRepr.Float(Alpha)}";
}
