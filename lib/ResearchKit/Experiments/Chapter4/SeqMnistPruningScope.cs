namespace ResearchKit.Experiments.Chapter4;

/// <summary>Which parameters of the seq-MNIST LSTM the winning-ticket search prunes.</summary>
public enum SeqMnistPruningScope
{
    /// <summary>
    /// Every parameter (LSTM input and recurrent weights, LSTM biases, FC weight and bias) under ONE global threshold
    /// (group "all"). Table 4.4 (§4.5.3) reports per-group sparsities at 80 % total (input weights 52 %, recurrent
    /// 81 %, biases 84 %, FC 48 %) that only a single threshold over all parameters, biases included, produces.
    /// </summary>
    AllParameters,

    /// <summary>
    /// The LSTM weight matrices (group "lstm", one threshold) and the FC weight (group "other"), each pruned to P;
    /// biases are never pruned (<see cref="Pruning.PruningPlan.Recurrent"/>; the notebook's earlier setting).
    /// </summary>
    LstmAndFcWeights,
}
