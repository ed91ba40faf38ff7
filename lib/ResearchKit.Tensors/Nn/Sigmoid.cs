namespace ResearchKit.Tensors.Nn;

/// <summary>1/(1 + e⁻ˣ) elementwise (<c>nn.Sigmoid</c>). Shape: output = input.</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Sigmoid(input);
}
