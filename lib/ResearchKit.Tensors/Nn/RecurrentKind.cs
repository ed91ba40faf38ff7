namespace ResearchKit.Tensors.Nn;

/// <summary>Which fused recurrent kernel a layer runs (the RNN activation is part of the kind).</summary>
internal enum RecurrentKind
{
    /// <summary>LSTM, gates (i, f, g, o).</summary>
    Lstm,

    /// <summary>GRU, gates (r, z, n).</summary>
    Gru,

    /// <summary>Elman RNN with tanh.</summary>
    RnnTanh,

    /// <summary>Elman RNN with ReLU.</summary>
    RnnRelu,
}

/// <summary>Per-kind constants.</summary>
internal static class RecurrentKinds
{
    /// <summary>Gates stacked in the weight rows (LSTM 4, GRU 3, RNN 1).</summary>
    public static int GateCount(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => 4,
        RecurrentKind.Gru => 3,
        _ => 1,
    };

    /// <summary>Op name used in errors and as the autograd node name.</summary>
    public static string OpName(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => "lstm",
        RecurrentKind.Gru => "gru",
        RecurrentKind.RnnTanh => "rnn_tanh",
        _ => "rnn_relu",
    };
}
