namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Negative log-likelihood of log-probabilities against Int64 class indices (<c>nn.NLLLoss</c>); pair it with
/// <see cref="LogSoftmax"/>. Shapes as <see cref="CrossEntropyLoss"/>.
/// </summary>
public sealed class NLLLoss : Loss
{
    /// <summary>Per-class weight (C), or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Target value that contributes neither loss nor gradient.</summary>
    public int IgnoreIndex { get; }

    /// <summary>Creates the criterion (PyTorch defaults).</summary>
    public NLLLoss(Tensor? weight = null, int ignoreIndex = -100, string reduction = "mean") : base(reduction)
    {
        if (weight is not null) Weight = RegisterBuffer("weight", weight);
        IgnoreIndex = ignoreIndex;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
}
