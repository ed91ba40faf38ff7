using ResearchKit.Tensors;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Losses;

/// <summary>
/// The trade-off loss of adversarial training: <c>L = a·CE(f(x), y) + (1 − a)·CE(f(x_adv), y)</c>, each cross-entropy
/// a batch mean, with the natural weight a ∈ [0, 1].
/// </summary>
/// <remarks>
/// <para>Li, Wang and Xin (2020, arXiv 2008.13305) train with a "trade-off loss" that keeps natural accuracy; only their
/// abstract is readable here, so the loss' exact form is not known. This is the mixed objective of Goodfellow, Shlens and
/// Szegedy (2015, "Explaining and harnessing adversarial examples", α = 0.5 there), the natural reading of a loss
/// trading clean against adversarial accuracy: a = 1 is natural training, a = 0 Madry et al.'s (2018) adversarial
/// training on x_adv only. TRADES (Zhang et al. 2019), the other common trade-off, is <see cref="TradesLoss"/>.</para>
/// <para>Gradients flow into both logits tensors; x_adv itself should be detached by whoever crafted it.</para>
/// </remarks>
public static class TradeOffLoss
{
    /// <summary><c>a·CE(cleanLogits, y) + (1 − a)·CE(advLogits, y)</c> (batch means), a 0-d tensor.</summary>
    /// <param name="cleanLogits">f(x), Float32 (N, C).</param>
    /// <param name="advLogits">f(x_adv), Float32 (N, C), same shape.</param>
    /// <param name="labels">Class indices Int64 (N) in [0, C).</param>
    /// <param name="naturalWeight">a ∈ [0, 1]: 1 is natural training, 0 Madry's adversarial training.</param>
    /// <exception cref="ArgumentOutOfRangeException">a is outside [0, 1] or not finite.</exception>
    /// <exception cref="ArgumentException">Shapes or dtypes do not match, or a label is out of range.</exception>
    public static Tensor Compute(Tensor cleanLogits, Tensor advLogits, Tensor labels, double naturalWeight)
    {
        if (!(naturalWeight >= 0 && naturalWeight <= 1))
            throw new ArgumentOutOfRangeException(nameof(naturalWeight), naturalWeight,
                $"TradeOffLoss: the natural weight a must be in [0, 1] (1 = natural training, 0 = Madry's adversarial training), got {naturalWeight}.");
        LossArgs.LogitPair(nameof(TradeOffLoss), cleanLogits, advLogits, labels);
        float a = (float)naturalWeight;
        return a * F.CrossEntropy(cleanLogits, labels) + (1f - a) * F.CrossEntropy(advLogits, labels);
    }
}
