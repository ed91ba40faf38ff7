namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Multi-layer gated recurrent unit network (<c>nn.GRU</c>), PyTorch-exact: gate order (r, z, n),
/// <c>n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))</c>, <c>h' = (1−z)⊙n + z⊙h</c>, parameters <c>weight_ih_l{k}</c>
/// [3H, in], <c>weight_hh_l{k}</c> [3H, H], <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> [3H] (plus <c>_reverse</c>).
/// </summary>
/// <remarks>
/// Input (seq_len, batch, input_size), or (batch, seq_len, input_size) with <c>batchFirst</c>, or unbatched
/// (seq_len, input_size). Output (seq_len, batch, num_directions·hidden_size) in the same layout; h_n is
/// (num_layers·num_directions, batch, hidden_size). See <see cref="RecurrentBase{TOutput}"/> for workspace reuse.
/// </remarks>
public sealed class Gru : RecurrentBase<(Tensor Output, Tensor HN)>
{
    /// <summary>Creates the module and initializes all parameters from U(−1/√hidden_size, 1/√hidden_size).</summary>
    /// <param name="inputSize">Features per time step of the input.</param>
    /// <param name="hiddenSize">Features of the hidden state.</param>
    /// <param name="numLayers">Number of stacked layers; layer k+1 reads layer k's output.</param>
    /// <param name="bias">Whether to use <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="batchFirst">Input and output are (batch, seq, feature).</param>
    /// <param name="dropout">Dropout probability on every layer's output except the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="generator">Random source for initialization and dropout (default: <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or dropout is outside [0, 1].</exception>
    public Gru(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null)
        : base(RecurrentKind.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator)
    {
    }

    /// <summary>Runs the GRU from a zero initial state.</summary>
    /// <exception cref="ArgumentException">The input rank or feature size is wrong.</exception>
    protected override (Tensor Output, Tensor HN) ForwardCore(Tensor input) => Forward(input, null);

    /// <summary>Runs the GRU from <paramref name="h0"/> ((num_layers·num_directions, batch, hidden_size)), or zeros when null.</summary>
    /// <exception cref="ArgumentException">The input rank or feature size, or the state shape, is wrong.</exception>
    public (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? h0)
    {
        var (y, h, _) = Run(input, h0, null);
        return (y, h);
    }
}
