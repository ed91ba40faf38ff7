namespace ResearchKit.Tensors.Nn;

/// <summary>
/// One Elman RNN step (<c>nn.RNNCell</c>) built from differentiable tensor ops:
/// <c>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)</c>, act = tanh or ReLU.
/// Parameters <c>weight_ih</c> [H, I], <c>weight_hh</c> [H, H], <c>bias_ih</c>, <c>bias_hh</c> [H].
/// </summary>
public sealed class RnnCell : RecurrentCellBase<Tensor>
{
    private readonly bool _relu;

    /// <summary>Creates the cell and initializes all parameters from U(−1/√hidden_size, 1/√hidden_size).</summary>
    /// <param name="inputSize">Features of the input.</param>
    /// <param name="hiddenSize">Features of the hidden state.</param>
    /// <param name="bias">Whether to use <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="nonlinearity">"tanh" (default) or "relu".</param>
    /// <param name="generator">Random source for initialization (default: <see cref="Generator.Default"/>).</param>
    /// <exception cref="ArgumentException">The nonlinearity is not "tanh" or "relu".</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public RnnCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null)
        : this(inputSize, hiddenSize, bias, nonlinearity, IsRelu(inputSize, hiddenSize, nonlinearity), generator)
    {
    }

    private RnnCell(int inputSize, int hiddenSize, bool bias, string nonlinearity, bool relu, Generator? generator)
        : base(nameof(RnnCell), inputSize, hiddenSize, gates: 1, bias, generator)
    {
        _relu = relu;
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>One step from a zero state.</summary>
    /// <exception cref="ArgumentException">The input shape is wrong.</exception>
    protected override Tensor ForwardCore(Tensor input) => Forward(input, null);

    /// <summary>One step: input (batch, input_size) or (input_size); state (batch, hidden_size) or (hidden_size), zeros when null.</summary>
    /// <exception cref="ArgumentException">The input or the state has the wrong shape.</exception>
    public Tensor Forward(Tensor input, Tensor? h)
    {
        const string op = nameof(RnnCell);
        var x = RecurrentCellOps.Input(op, input, InputSize, out bool batched);
        var hPrev = RecurrentCellOps.State(op, "h", h, batched, x.Size(0), HiddenSize, x.Device);
        var pre = RecurrentCellOps.Affine(x, WeightIh, BiasIh) + RecurrentCellOps.Affine(hPrev, WeightHh, BiasHh);
        var hNext = _relu ? pre.Relu() : pre.Tanh();
        return batched ? hNext : hNext.Squeeze(0);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => RecurrentCellOps.Repr(InputSize, HiddenSize, BiasIh is not null, Nonlinearity);

    // Runs before the base constructor draws the initial weights; sizes are checked first, as the base would.
    private static bool IsRelu(int inputSize, int hiddenSize, string nonlinearity)
    {
        RecurrentCellOps.CheckSizes(nameof(RnnCell), inputSize, hiddenSize);
        return Rnn.ParseNonlinearity(nonlinearity, nameof(RnnCell)) == RecurrentKind.RnnRelu;
    }
}
