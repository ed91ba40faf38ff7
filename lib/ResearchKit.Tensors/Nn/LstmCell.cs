namespace ResearchKit.Tensors.Nn;

/// <summary>
/// One LSTM step (<c>nn.LSTMCell</c>) built from differentiable tensor ops: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh
/// split into (i, f, g, o), <c>c' = σ(f)⊙c + σ(i)⊙tanh(g)</c>, <c>h' = σ(o)⊙tanh(c')</c>.
/// Parameters <c>weight_ih</c> [4H, I], <c>weight_hh</c> [4H, H], <c>bias_ih</c>, <c>bias_hh</c> [4H].
/// </summary>
/// <remarks>
/// Unrolling the cell over time gives the same result as <see cref="Lstm"/> (which runs a fused kernel); the cell
/// supports everything the tensor ops do, including higher-order gradients.
/// </remarks>
public sealed class LstmCell : RecurrentCellBase<(Tensor H, Tensor C)>
{
    /// <summary>Creates the cell and initializes all parameters from U(−1/√hidden_size, 1/√hidden_size).</summary>
    /// <param name="inputSize">Features of the input.</param>
    /// <param name="hiddenSize">Features of the hidden and cell state.</param>
    /// <param name="bias">Whether to use <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="generator">Random source for initialization (default: <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public LstmCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
        : base(nameof(LstmCell), inputSize, hiddenSize, gates: 4, bias, generator)
    {
    }

    /// <summary>One step from zero states.</summary>
    /// <exception cref="ArgumentException">The input shape is wrong.</exception>
    protected override (Tensor H, Tensor C) ForwardCore(Tensor input) => Forward(input, null);

    /// <summary>One step: input (batch, input_size) or (input_size); states (batch, hidden_size) or (hidden_size), zeros when null.</summary>
    /// <exception cref="ArgumentException">The input or a state has the wrong shape.</exception>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? state)
    {
        const string op = nameof(LstmCell);
        var x = RecurrentCellOps.Input(op, input, InputSize, out bool batched);
        int batch = x.Size(0);
        var h = RecurrentCellOps.State(op, "h (state.H)", state?.H, batched, batch, HiddenSize, x.Device);
        var c = RecurrentCellOps.State(op, "c (state.C)", state?.C, batched, batch, HiddenSize, x.Device);
        var gates = RecurrentCellOps.Affine(x, WeightIh, BiasIh) + RecurrentCellOps.Affine(h, WeightHh, BiasHh);
        var g = gates.Chunk(4, 1);
        var cNext = g[1].Sigmoid() * c + g[0].Sigmoid() * g[2].Tanh();
        var hNext = g[3].Sigmoid() * cNext.Tanh();
        return batched ? (hNext, cNext) : (hNext.Squeeze(0), cNext.Squeeze(0));
    }
}
