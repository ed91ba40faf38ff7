namespace ResearchKit.Tensors.Nn;

/// <summary>Binary cross-entropy on probabilities in [0, 1] (<c>nn.BCELoss</c>). Shape: input and target equal.</summary>
public sealed class BCELoss : Loss
{
    /// <summary>Per-element weight broadcast to the input, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Creates the criterion.</summary>
    public BCELoss(Tensor? weight = null, string reduction = "mean") : base(reduction)
    {
        if (weight is not null) Weight = RegisterBuffer("weight", weight);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, Reduction);
}
