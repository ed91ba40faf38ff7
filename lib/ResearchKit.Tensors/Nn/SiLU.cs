namespace ResearchKit.Tensors.Nn;

/// <summary>x·σ(x) elementwise (<c>nn.SiLU</c>, swish). Shape: output = input.</summary>
public sealed class SiLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Silu(input);
}
