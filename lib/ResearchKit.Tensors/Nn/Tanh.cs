namespace ResearchKit.Tensors.Nn;

/// <summary>Hyperbolic tangent elementwise (<c>nn.Tanh</c>). Shape: output = input.</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Tanh(input);
}
