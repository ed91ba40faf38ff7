namespace ResearchKit.Tensors.Nn;

/// <summary>Returns its input unchanged (<c>nn.Identity</c>), e.g. to remove a layer from a model without rewiring it.</summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    protected override Tensor ForwardCore(Tensor input) => input;
}
