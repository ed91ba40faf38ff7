namespace ResearchKit.Tensors.Nn;

/// <summary>max(x, 0) elementwise (<c>nn.ReLU</c>). Shape: output = input.</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Relu(input);
}
