namespace ResearchKit.Pruning;

/// <summary>What a pruning round's optimizer starts from (the thesis, §4.3, does not say).</summary>
public enum RoundOptimizerState
{
    /// <summary>A fresh optimizer each round: moments and averages start at 0, as in a new training. The default.</summary>
    Fresh,

    /// <summary>
    /// The optimizer state at the end of the previous round is loaded into the new round's optimizer (moments,
    /// averages, step counts; the learning rate restarts from its initial value). The training function must pass its
    /// optimizer through <see cref="RoundContext.Prepare"/>; the state is stored with each round checkpoint.
    /// </summary>
    Carried,
}
