namespace ResearchKit.Experiments.RobustQuantization;

/// <summary>What an EnResNet of <see cref="RobustEnResNetRecipe"/> is trained on (Li, Wang, Xin 2020; seed 002).</summary>
public enum TrainingObjective
{
    /// <summary>Natural training: cross-entropy on clean images.</summary>
    Natural,
    /// <summary>Madry et al.'s adversarial training: cross-entropy on PGD images only (the EnResNet code's training).</summary>
    Madry,
    /// <summary>The trade-off loss: a·CE(clean) + (1 − a)·CE(PGD) (<see cref="Losses.TradeOffLoss"/>; its exact form in the
    /// paper is not readable here, see the recipe's remarks).</summary>
    TradeOff,
    /// <summary>TRADES (Zhang et al. 2019), the well-known peer: CE(clean) + β·KL(p(clean) ‖ p(adversarial)).</summary>
    Trades,
}
