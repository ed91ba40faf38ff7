namespace ResearchKit.Tensors.Nn;

/// <summary>min(max(x, 0), 6) elementwise (<c>nn.ReLU6</c>). Shape: output = input.</summary>
public sealed class ReLU6 : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => Functional.Relu6(input);
}
