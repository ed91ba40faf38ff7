namespace ResearchKit.Tensors.Nn;

/// <summary>
/// KL divergence of log-probability inputs against probability (or log-probability) targets (<c>nn.KLDivLoss</c>);
/// use reduction "batchmean" for the true KL per sample. Shape: input and target equal.
/// </summary>
public sealed class KLDivLoss : Loss
{
    private static readonly string[] Allowed = ["mean", "batchmean", "sum", "none"];

    /// <summary>Targets are log-probabilities.</summary>
    public bool LogTarget { get; }

    /// <summary>Creates the criterion (PyTorch default reduction "mean").</summary>
    public KLDivLoss(string reduction = "mean", bool logTarget = false) : base(reduction, Allowed) { LogTarget = logTarget; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.KlDiv(input, target, Reduction, LogTarget);
}
