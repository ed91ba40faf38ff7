namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Binary cross-entropy on logits, numerically stable (<c>nn.BCEWithLogitsLoss</c>); see
/// <see cref="Functional.BinaryCrossEntropyWithLogits"/>. Shape: input and target equal.
/// </summary>
public sealed class BCEWithLogitsLoss : Loss
{
    /// <summary>Per-element weight broadcast to the input, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Weight of positives broadcast along the last dim, or null.</summary>
    public Tensor? PosWeight { get; }

    /// <summary>Creates the criterion (argument order as PyTorch: weight, reduction, pos_weight).</summary>
    public BCEWithLogitsLoss(Tensor? weight = null, string reduction = "mean", Tensor? posWeight = null) : base(reduction)
    {
        if (weight is not null) Weight = RegisterBuffer("weight", weight);
        if (posWeight is not null) PosWeight = RegisterBuffer("pos_weight", posWeight);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.BinaryCrossEntropyWithLogits(input, target, Weight, PosWeight, Reduction);
}
