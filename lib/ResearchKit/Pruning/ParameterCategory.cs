namespace ResearchKit.Pruning;

/// <summary>The parameter groups of the thesis' Table 4.4 (per-layer sparsity), in table order.</summary>
public enum ParameterCategory
{
    /// <summary>Embedding weights (language model).</summary>
    Embedding,

    /// <summary>Input-to-hidden LSTM weights <c>weight_ih_*</c>.</summary>
    LstmInputWeights,

    /// <summary>Hidden-to-hidden (recurrent) LSTM weights <c>weight_hh_*</c>.</summary>
    LstmRecurrentWeights,

    /// <summary>LSTM biases <c>bias_ih_*</c>, <c>bias_hh_*</c> (never pruned in the thesis).</summary>
    LstmBiases,

    /// <summary>Fully connected layers (the classifier, or the decoder of the language model): weights and biases.</summary>
    FullyConnected,

    /// <summary>Anything else (normalization, convolution, …).</summary>
    Other,
}

/// <summary>Display names of <see cref="ParameterCategory"/> as in the thesis' tables.</summary>
public static class ParameterCategoryNames
{
    /// <summary>"Embedding", "LSTM input weights", "LSTM recurrent weights", "LSTM biases", "FC" or "Other".</summary>
    public static string DisplayName(this ParameterCategory category) => category switch
    {
        ParameterCategory.Embedding => "Embedding",
        ParameterCategory.LstmInputWeights => "LSTM input weights",
        ParameterCategory.LstmRecurrentWeights => "LSTM recurrent weights",
        ParameterCategory.LstmBiases => "LSTM biases",
        ParameterCategory.FullyConnected => "FC",
        _ => "Other",
    };
}
