using ResearchKit.Pruning;

namespace ResearchKit.Experiments.Chapter4;

/// <summary>
/// The choices the ticket recipes make where the thesis (Chapter 4, §4.3–4.6) is silent, in one place so a notebook can
/// list them. The first three are settings (pass <c>new TicketProtocolChoices { … }</c> to a recipe); the others
/// describe fixed readings. All are recorded with every run (<see cref="ToConfig"/>), so changing one never reuses a
/// stored result.
/// </summary>
public sealed record TicketProtocolChoices
{
    /// <summary>The choices of the ticket recipes.</summary>
    public static TicketProtocolChoices Default { get; } = new();

    /// <summary>
    /// How masks are kept during a retraining (not stated, §4.3, Algorithm 2). Default: gradients masked before each
    /// step, pruned weights and their optimizer state zeroed after it. Without gradient clipping (seq-MNIST) the
    /// alternative gives the same numbers; with clipping (WikiText-2) it changes the clipping norm.
    /// </summary>
    public MaskEnforcement Masking { get; init; } = MaskEnforcement.GradientsAndWeights;

    /// <summary>Optimizer state between rounds (not stated, §4.3). Default: a fresh optimizer each round, as each round is a new training in Algorithm 2.</summary>
    public RoundOptimizerState OptimizerState { get; init; } = RoundOptimizerState.Fresh;

    /// <summary>Learning-rate schedule of a retraining that rewinds to t_save (WikiText-2; not stated, §4.6.3). Default: restart over the round.</summary>
    public RewindSchedule Rewind { get; init; } = RewindSchedule.RestartOverRound;

    /// <summary>The experiment trains at a constant learning rate (seq-MNIST: §4.5.3 names RMSprop and no schedule), so <see cref="Rewind"/> does not apply.</summary>
    public bool ConstantLearningRate { get; init; }

    /// <summary>Input preprocessing, as a description (seq-MNIST's is the recipe's <see cref="Data.MnistStandardization"/> setting).</summary>
    public string Preprocessing { get; init; } = "per-image standardization, row-major pixel sequences";

    /// <summary>Clock of the sub-sampling schedule in a retraining (implied by §4.5.4): each retraining restarts it from its own iteration 0.</summary>
    public string SubsamplingClock { get; init; } = "each retraining's own iteration counter (restarts at 0)";

    /// <summary>
    /// Reading of Algorithm 3 (fixed): it prints θ ≥ threshold without an absolute value, which cannot reach p = 0.3
    /// (about half the weights are negative and go at threshold 0), so the threshold rises by ε over the magnitudes |θ|.
    /// </summary>
    public string MagnitudeRule => "Algorithm 3 on |theta|: threshold raised by epsilon until the objective is met";

    /// <summary>Which score is reported for objective p_k (fixed; not stated, §4.5.3, §4.6.3): the round trained with mask m_k, at its end, without early stopping.</summary>
    public string Evaluation => "score of objective p_k = the round trained with mask m_k, evaluated at its end";

    /// <summary><see cref="Masking"/> in words.</summary>
    public string MaskingText => Masking switch
    {
        MaskEnforcement.GradientsAndWeights => "gradients masked before each step; pruned weights re-zeroed and their optimizer state zeroed after each step",
        MaskEnforcement.WeightsAfterStep => "pruned weights re-zeroed and their optimizer state zeroed after each step; gradients not masked (they count in the clipping norm)",
        _ => Masking.ToString(),
    };

    /// <summary><see cref="OptimizerState"/> in words.</summary>
    public string OptimizerStateText => OptimizerState switch
    {
        RoundOptimizerState.Fresh => "fresh optimizer each round (state reset)",
        RoundOptimizerState.Carried => "optimizer state carried from the previous round (learning rate restarts)",
        _ => OptimizerState.ToString(),
    };

    /// <summary>The learning-rate schedule of a retraining, in words.</summary>
    public string LearningRateSchedule => ConstantLearningRate ? "none: constant learning rate" : Rewind switch
    {
        RewindSchedule.RestartOverRound => "cosine annealing restarted each round over the round's own length, per iteration, to 0",
        RewindSchedule.ResumeAtSaveStep => "cosine annealing over T, a rewound round resuming it at t_save, per iteration, to 0",
        _ => Rewind.ToString(),
    };

    /// <summary>The choices as a config entry (recorded with every ticket run).</summary>
    public Dictionary<string, object?> ToConfig() => new()
    {
        ["mask_enforcement"] = Masking.ToString(),
        ["optimizer_state"] = OptimizerState.ToString(),
        ["lr_schedule"] = ConstantLearningRate ? "constant" : Rewind.ToString(),
        ["preprocessing"] = Preprocessing,
        ["magnitude_rule"] = MagnitudeRule,
        ["evaluation"] = Evaluation,
        ["subsampling_clock"] = SubsamplingClock,
    };

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">An undefined enum value.</exception>
    internal TicketProtocolChoices Validated()
    {
        if (!Enum.IsDefined(Masking)) throw new ArgumentException($"TicketProtocolChoices: unknown Masking {Masking}; use GradientsAndWeights or WeightsAfterStep.");
        if (!Enum.IsDefined(OptimizerState)) throw new ArgumentException($"TicketProtocolChoices: unknown OptimizerState {OptimizerState}; use Fresh or Carried.");
        if (!Enum.IsDefined(Rewind)) throw new ArgumentException($"TicketProtocolChoices: unknown Rewind {Rewind}; use RestartOverRound or ResumeAtSaveStep.");
        return this;
    }
}
