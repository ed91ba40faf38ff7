namespace ResearchKit.Defenses;

/// <summary>The training loss of <see cref="AdversarialTraining"/>.</summary>
public enum AdversarialObjective
{
    /// <summary>Madry et al. (2018): cross-entropy on x_adv only, x_adv maximizing the cross-entropy by PGD.</summary>
    Madry,

    /// <summary><see cref="Losses.TradeOffLoss"/>: a·CE(x) + (1 − a)·CE(x_adv), x_adv as for <see cref="Madry"/>.</summary>
    TradeOff,

    /// <summary><see cref="Losses.TradesLoss"/>: CE(x) + β·KL(p(x) ‖ p(x_adv)), x_adv maximizing the KL by PGD.</summary>
    Trades,
}
