namespace ResearchKit.Experiments.Chapter4;

/// <summary>
/// The learning-rate schedule of a retraining that rewinds to θ at t_save (WikiText-2's cosine annealing; the thesis,
/// §4.6.3, states only "cosine annealing").
/// </summary>
public enum RewindSchedule
{
    /// <summary>The cosine restarts at the initial learning rate and spans the retraining's own T − t_save steps. The default.</summary>
    RestartOverRound,

    /// <summary>
    /// The cosine of the dense training resumes at step t_save and ends at T, as rewinding the schedule with the
    /// weights (Frankle et al., 2020) does. Differs from <see cref="RestartOverRound"/> by less than 0.03 % of the
    /// learning rate when t_save is 1 % of T (WT_1830).
    /// </summary>
    ResumeAtSaveStep,
}
