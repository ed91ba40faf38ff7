namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Multi-layer long short-term memory network (<c>nn.LSTM</c>), PyTorch-exact: gate order (i, f, g, o),
/// <c>c' = f⊙c + i⊙g</c>, <c>h' = o⊙tanh(c')</c>, parameters <c>weight_ih_l{k}</c> [4H, in], <c>weight_hh_l{k}</c> [4H, H],
/// <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> [4H] (plus <c>_reverse</c> for the backward direction).
/// </summary>
/// <remarks>
/// Input (seq_len, batch, input_size), or (batch, seq_len, input_size) with <c>batchFirst</c>, or unbatched
/// (seq_len, input_size). Output (seq_len, batch, num_directions·hidden_size) in the same layout; h_n and c_n are
/// (num_layers·num_directions, batch, hidden_size) (without the batch dimension for unbatched input).
/// See <see cref="RecurrentBase{TOutput}"/> for workspace reuse.
/// </remarks>
public sealed class Lstm : RecurrentBase<(Tensor Output, Tensor HN, Tensor CN)>
{
    /// <summary>Creates the module and initializes all parameters from U(−1/√hidden_size, 1/√hidden_size).</summary>
    /// <param name="inputSize">Features per time step of the input.</param>
    /// <param name="hiddenSize">Features of the hidden and cell state.</param>
    /// <param name="numLayers">Number of stacked layers; layer k+1 reads layer k's output.</param>
    /// <param name="bias">Whether to use <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="batchFirst">Input and output are (batch, seq, feature).</param>
    /// <param name="dropout">Dropout probability on every layer's output except the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="generator">Random source for initialization and dropout (default: <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or dropout is outside [0, 1].</exception>
    public Lstm(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null)
        : base(RecurrentKind.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator)
    {
    }

    /// <summary>Runs the LSTM from zero initial states.</summary>
    /// <exception cref="ArgumentException">The input rank or feature size is wrong.</exception>
    protected override (Tensor Output, Tensor HN, Tensor CN) ForwardCore(Tensor input) => Forward(input, null);

    /// <summary>Runs the LSTM from the given initial states (each (num_layers·num_directions, batch, hidden_size)), or zeros when null.</summary>
    /// <exception cref="ArgumentException">The input rank or feature size, or a state shape, is wrong.</exception>
    public (Tensor Output, Tensor HN, Tensor CN) Forward(Tensor input, (Tensor H0, Tensor C0)? state)
    {
        var (y, h, c) = Run(input, state?.H0, state?.C0);
        return (y, h, c!);
    }
}
