namespace ResearchKit.Pruning;

/// <summary>Where the weights of a <see cref="TicketSearch"/> round came from (before masking).</summary>
public enum RoundStart
{
    /// <summary>The initialization θ⁰ (round 0 of every configuration, and WT).</summary>
    Initialization,

    /// <summary>θ at iteration t_save of round 0 (WT with save).</summary>
    SavedIterate,

    /// <summary>A fresh random initialization (Rand_init).</summary>
    FreshInitialization,

    /// <summary>The trained weights of the previous round (IMP).</summary>
    TrainedWeights,
}
