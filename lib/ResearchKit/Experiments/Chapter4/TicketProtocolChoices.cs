namespace ResearchKit.Experiments.Chapter4;

/// <summary>
/// The choices the ticket recipes make where the thesis (Chapter 4, §4.5–4.6) is silent, in one place so a notebook
/// can list them. Each is recorded with every run (<see cref="ToConfig"/>); the values describe what the recipes do.
/// </summary>
public sealed record TicketProtocolChoices
{
    /// <summary>The choices of the ticket recipes.</summary>
    public static TicketProtocolChoices Default { get; } = new();

    /// <summary>
    /// How masks are kept during a retraining. Not stated in the thesis (§4.3, Algorithm 2). The recipes attach
    /// <see cref="Pruning.RoundContext.Callback"/> (a <see cref="Pruning.PruningCallback"/>): gradients are masked before
    /// each optimizer step and, after it, the pruned weights are set to +0 and their optimizer state zeroed.
    /// </summary>
    public string MaskEnforcement { get; init; } = "gradients masked before each step; pruned weights re-zeroed and their optimizer state zeroed after each step";

    /// <summary>
    /// Optimizer state between rounds. Not stated in the thesis (§4.3): every round builds a fresh optimizer (RMSprop or
    /// Adam moments start at zero), as each round is a new training in Algorithm 2.
    /// </summary>
    public string OptimizerState { get; init; } = "fresh optimizer each round (state reset)";

    /// <summary>
    /// Learning-rate schedule of a retraining (WikiText-2). Not stated in the thesis (§4.6.3 states cosine annealing
    /// only): the cosine restarts at every round and spans that round's own length (T, or T − t_save for WT with save),
    /// stepped per iteration down to 0.
    /// </summary>
    public string LearningRateSchedule { get; init; } = "cosine annealing restarted each round over the round's own length, per iteration, to 0";

    /// <summary>
    /// Input preprocessing (seq-MNIST). Not stated in the thesis beyond the seqmnist-lstm recipe's protocol (§4.5.2):
    /// per-image standardization (mean 0, standard deviation 1 per image), pixels read row-major.
    /// </summary>
    public string Preprocessing { get; init; } = "per-image standardization, row-major pixel sequences";

    /// <summary>
    /// Reading of Algorithm 3. Not stated as such in the thesis (§4.3, Algorithm 3 prints θ ≥ threshold without an
    /// absolute value, which cannot reach p = 0.3: about half the weights are negative and go at threshold 0):
    /// the threshold rises by ε over the magnitudes |θ|.
    /// </summary>
    public string MagnitudeRule { get; init; } = "Algorithm 3 on |theta|: threshold raised by epsilon until the objective is met";

    /// <summary>
    /// Which score is reported for objective p_k. Not stated in the thesis (§4.5.3, §4.6.3): the score of the round
    /// trained with mask m_k, measured once at the end of that round (test accuracy; validation and test perplexity),
    /// without early stopping or best-checkpoint selection.
    /// </summary>
    public string Evaluation { get; init; } = "score of objective p_k = the round trained with mask m_k, evaluated at its end";

    /// <summary>
    /// Clock of the sub-sampling schedule in a retraining (seq-MNIST, §4.5.4). Implied, not stated in the thesis: each
    /// retraining that sub-samples restarts the schedule from its own iteration 0.
    /// </summary>
    public string SubsamplingClock { get; init; } = "each retraining's own iteration counter (restarts at 0)";

    /// <summary>The choices as a config entry (recorded with every ticket run).</summary>
    public Dictionary<string, object?> ToConfig() => new()
    {
        ["mask_enforcement"] = MaskEnforcement,
        ["optimizer_state"] = OptimizerState,
        ["lr_schedule"] = LearningRateSchedule,
        ["preprocessing"] = Preprocessing,
        ["magnitude_rule"] = MagnitudeRule,
        ["evaluation"] = Evaluation,
        ["subsampling_clock"] = SubsamplingClock,
    };
}
