namespace ResearchKit.Tensors.Nn;

/// <summary>Hyperbolic tangent elementwise (<c>nn.Tanh</c>). Shape: output = input.</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Tanh(input);
}
