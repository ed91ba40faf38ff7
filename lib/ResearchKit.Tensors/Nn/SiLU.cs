namespace ResearchKit.Tensors.Nn;

/// <summary>x·σ(x) elementwise (<c>nn.SiLU</c>, swish). Shape: output = input.</summary>
public sealed class SiLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Silu(input);
}
