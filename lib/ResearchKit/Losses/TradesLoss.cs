using ResearchKit.Tensors;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Losses;

/// <summary>
/// TRADES (Zhang et al. 2019, "Theoretically principled trade-off between robustness and accuracy", ICML):
/// <c>L = CE(f(x), y) + β·KL(p(x) ‖ p(x_adv))</c> with p = softmax(f), CE a batch mean and KL summed over classes and
/// averaged over the batch (PyTorch: <c>F.kl_div(F.log_softmax(adv, 1), F.softmax(clean, 1), reduction='batchmean')</c>).
/// </summary>
/// <remarks>
/// <para>The authors' code (yaodongyu/TRADES, <c>trades.py</c>) uses β = 6 on CIFAR-10 with ε = 0.031, 10 steps of 0.007;
/// its x_adv maximizes <see cref="AttackObjective"/> by PGD from x + 0.001·N(0, 1). In the training loss the gradient
/// flows into both logits tensors (the code does not detach p(x) there).</para>
/// </remarks>
public static class TradesLoss
{
    /// <summary>TRADES' default β on CIFAR-10 (Zhang et al.'s code).</summary>
    public const double DefaultBeta = 6.0;

    /// <summary><c>CE(cleanLogits, y) + β·KL(softmax(clean) ‖ softmax(adv))</c>, batch means, a 0-d tensor.</summary>
    /// <param name="cleanLogits">f(x), Float32 (N, C).</param>
    /// <param name="advLogits">f(x_adv), Float32 (N, C), same shape.</param>
    /// <param name="labels">Class indices Int64 (N) in [0, C).</param>
    /// <param name="beta">β ≥ 0 (0 is natural training; TRADES uses 6 on CIFAR-10).</param>
    /// <exception cref="ArgumentOutOfRangeException">β is negative or not finite.</exception>
    /// <exception cref="ArgumentException">Shapes or dtypes do not match, or a label is out of range.</exception>
    public static Tensor Compute(Tensor cleanLogits, Tensor advLogits, Tensor labels, double beta)
    {
        if (!(beta >= 0) || double.IsInfinity(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"TradesLoss: β must be finite and ≥ 0 (TRADES uses {DefaultBeta} on CIFAR-10), got {beta}.");
        LossArgs.LogitPair(nameof(TradesLoss), cleanLogits, advLogits, labels);
        return F.CrossEntropy(cleanLogits, labels) + (float)beta * Kl(cleanLogits, advLogits);
    }

    /// <summary>
    /// The objective TRADES' inner maximization ascends: KL(p(x) ‖ p(x_adv)), batch mean, with p(x) detached (a constant
    /// of the attack). TRADES' code sums over the batch instead; the attack only uses the gradient's sign per input, so
    /// the steps are the same.
    /// </summary>
    /// <param name="cleanLogits">f(x), Float32 (N, C); detached here.</param>
    /// <param name="advLogits">f(x_adv), Float32 (N, C), same shape.</param>
    /// <exception cref="ArgumentException">Shapes or dtypes do not match.</exception>
    public static Tensor AttackObjective(Tensor cleanLogits, Tensor advLogits)
    {
        ArgumentNullException.ThrowIfNull(cleanLogits);
        ArgumentNullException.ThrowIfNull(advLogits);
        if (cleanLogits.DType != DType.Float32 || cleanLogits.Dim != 2 || !advLogits.Shape.Equals(cleanLogits.Shape) || advLogits.DType != DType.Float32)
            throw new ArgumentException($"TradesLoss.AttackObjective: clean and adversarial logits must both be Float32 (N, C) of one shape, got {cleanLogits.Shape} and {advLogits.Shape}.", nameof(advLogits));
        return Kl(cleanLogits.Detach(), advLogits);
    }

    private static Tensor Kl(Tensor cleanLogits, Tensor advLogits) =>
        F.KlDiv(F.LogSoftmax(advLogits, 1), F.Softmax(cleanLogits, 1), reduction: "batchmean");
}
