namespace ResearchKit.Tensors.Nn;

/// <summary>Mean absolute error (<c>nn.L1Loss</c>). Shape: input and target equal; output 0-d unless reduction "none".</summary>
public sealed class L1Loss : Loss
{
    /// <summary>Creates the criterion.</summary>
    public L1Loss(string reduction = "mean") : base(reduction) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}
