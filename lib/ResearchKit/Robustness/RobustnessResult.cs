namespace ResearchKit.Robustness;

/// <summary>
/// The outcome of attacking a target on a set of images. Accuracies are fractions in [0, 1], both through the target's
/// scores (argmax): <see cref="AdversarialAccuracy"/> is the target's accuracy on its own adversarial examples (the thesis'
/// metric, Tables 6.2–6.8 and A.1: lower = stronger attack).
/// </summary>
/// <param name="Target">The target's identity (never a secret).</param>
/// <param name="Attack">The attack's name.</param>
/// <param name="Iterations">The iteration budget of this result (null for a non-iterative attack).</param>
/// <param name="Images">Number of images attacked.</param>
/// <param name="CleanAccuracy">Accuracy on the clean images.</param>
/// <param name="AdversarialAccuracy">Accuracy on the adversarial images.</param>
/// <param name="Queries">Model evaluations the attack spent (<see cref="Attacks.IAttack.Queries"/>) over all images. For a result of
/// <see cref="RobustnessEvaluator.EvaluateAt"/> this is the single run of the longest budget that produced every snapshot.</param>
/// <param name="MeanLInf">Mean over images of ‖x_adv − x‖∞.</param>
/// <param name="MaxLInf">Largest ‖x_adv − x‖∞.</param>
/// <param name="MeanL2">Mean over images of ‖x_adv − x‖₂.</param>
/// <param name="MaxL2">Largest ‖x_adv − x‖₂.</param>
/// <param name="WallSeconds">Seconds the evaluation took when it was computed (the stored time for a cached result).</param>
public sealed record RobustnessResult(string Target, string Attack, int? Iterations, int Images, double CleanAccuracy, double AdversarialAccuracy,
    long Queries, double MeanLInf, double MaxLInf, double MeanL2, double MaxL2, double WallSeconds)
{
    /// <summary>Run id of the stored evaluation.</summary>
    public long RunId { get; init; }

    /// <summary>True when the result came from the run store and nothing was attacked.</summary>
    public bool FromCache { get; init; }

    /// <summary>Set when a stale result (computed by another code version) was reused on request: that version. Null for results of this code.</summary>
    public string? StaleCodeVersion { get; init; }

    /// <summary>True when the numbers were computed by this code version (fresh or cached), false for a reused stale result.</summary>
    public bool IsCurrent => StaleCodeVersion is null;

    /// <summary>Accuracy points lost to the attack: 100·(clean − adversarial).</summary>
    public double DropPoints => 100.0 * (CleanAccuracy - AdversarialAccuracy);
}
