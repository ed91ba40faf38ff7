namespace ResearchKit.Tensors.Nn;

/// <summary>
/// One GRU step (<c>nn.GRUCell</c>) built from differentiable tensor ops, gate order (r, z, n):
/// <c>r = σ(W_ir x + b_ir + W_hr h + b_hr)</c>, <c>z = σ(…)</c>, <c>n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))</c>,
/// <c>h' = (1−z)⊙n + z⊙h</c>. Parameters <c>weight_ih</c> [3H, I], <c>weight_hh</c> [3H, H], <c>bias_ih</c>, <c>bias_hh</c> [3H].
/// </summary>
public sealed class GruCell : RecurrentCellBase<Tensor>
{
    /// <summary>Creates the cell and initializes all parameters from U(−1/√hidden_size, 1/√hidden_size).</summary>
    /// <param name="inputSize">Features of the input.</param>
    /// <param name="hiddenSize">Features of the hidden state.</param>
    /// <param name="bias">Whether to use <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="generator">Random source for initialization (default: <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public GruCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null)
        : base(nameof(GruCell), inputSize, hiddenSize, gates: 3, bias, generator)
    {
    }

    /// <summary>One step from a zero state.</summary>
    /// <exception cref="ArgumentException">The input shape is wrong.</exception>
    protected override Tensor ForwardCore(Tensor input) => Forward(input, null);

    /// <summary>One step: input (batch, input_size) or (input_size); state (batch, hidden_size) or (hidden_size), zeros when null.</summary>
    /// <exception cref="ArgumentException">The input or the state has the wrong shape.</exception>
    public Tensor Forward(Tensor input, Tensor? h)
    {
        const string op = nameof(GruCell);
        var x = RecurrentCellOps.Input(op, input, InputSize, out bool batched);
        var hPrev = RecurrentCellOps.State(op, "h", h, batched, x.Size(0), HiddenSize, x.Device);
        var gi = RecurrentCellOps.Affine(x, WeightIh, BiasIh).Chunk(3, 1);
        var gh = RecurrentCellOps.Affine(hPrev, WeightHh, BiasHh).Chunk(3, 1);
        var r = (gi[0] + gh[0]).Sigmoid();
        var z = (gi[1] + gh[1]).Sigmoid();
        var n = (gi[2] + r * gh[2]).Tanh();
        var hNext = (1f - z) * n + z * hPrev;
        return batched ? hNext : hNext.Squeeze(0);
    }
}
