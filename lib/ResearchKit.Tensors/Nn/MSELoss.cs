namespace ResearchKit.Tensors.Nn;

/// <summary>Mean squared error (<c>nn.MSELoss</c>). Shape: input and target equal; output 0-d unless reduction "none".</summary>
public sealed class MSELoss : Loss
{
    /// <summary>Creates the criterion.</summary>
    public MSELoss(string reduction = "mean") : base(reduction) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}
