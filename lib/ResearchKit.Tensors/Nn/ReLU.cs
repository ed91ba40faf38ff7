namespace ResearchKit.Tensors.Nn;

/// <summary>max(x, 0) elementwise (<c>nn.ReLU</c>). Shape: output = input.</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Relu(input);
}
