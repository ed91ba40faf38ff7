namespace ResearchKit.Tensors.Nn;

/// <summary>
/// One Elman RNN step (<c>nn.RNNCell</c>) built from differentiable tensor ops:
/// <c>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)</c>, act = tanh or ReLU.
/// Parameters <c>weight_ih</c> [H, I], <c>weight_hh</c> [H, H], <c>bias_ih</c>, <c>bias_hh</c> [H].
/// </summary>
public sealed class RnnCell : Module<Tensor, Tensor>
{
    private readonly Generator? _generator;
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
    {
        RecurrentCellOps.CheckSizes(nameof(RnnCell), inputSize, hiddenSize);
        _relu = Rnn.ParseNonlinearity(nonlinearity, nameof(RnnCell)) == RecurrentKind.RnnRelu;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Nonlinearity = nonlinearity;
        _generator = generator;
        WeightIh = RegisterParameter("weight_ih", Tensor.Zeros(hiddenSize, inputSize));
        WeightHh = RegisterParameter("weight_hh", Tensor.Zeros(hiddenSize, hiddenSize));
        if (bias)
        {
            BiasIh = RegisterParameter("bias_ih", Tensor.Zeros(hiddenSize));
            BiasHh = RegisterParameter("bias_hh", Tensor.Zeros(hiddenSize));
        }
        else
        {
            RegisterParameter("bias_ih");
            RegisterParameter("bias_hh");
        }
        ResetParameters();
    }

    /// <summary>Features of the input.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>weight_ih [H, I].</summary>
    public Tensor WeightIh { get; }

    /// <summary>weight_hh [H, H].</summary>
    public Tensor WeightHh { get; }

    /// <summary>bias_ih [H], or null without bias.</summary>
    public Tensor? BiasIh { get; }

    /// <summary>bias_hh [H], or null without bias.</summary>
    public Tensor? BiasHh { get; }

    /// <summary>Re-draws all parameters from U(−1/√hidden_size, 1/√hidden_size).</summary>
    public void ResetParameters() => RecurrentCellOps.Reset(this, HiddenSize, _generator);

    /// <summary>One step from a zero state.</summary>
    /// <exception cref="ArgumentException">The input shape is wrong.</exception>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step: input (batch, input_size) or (input_size); state (batch, hidden_size) or (hidden_size), zeros when null.</summary>
    /// <exception cref="ArgumentException">The input or the state has the wrong shape.</exception>
    public Tensor Forward(Tensor input, Tensor? h)
    {
        const string op = nameof(RnnCell);
        var x = RecurrentCellOps.Input(op, input, InputSize, out bool batched);
        var hPrev = RecurrentCellOps.State(op, "h", h, batched, x.Size(0), HiddenSize);
        var pre = RecurrentCellOps.Affine(x, WeightIh, BiasIh) + RecurrentCellOps.Affine(hPrev, WeightHh, BiasHh);
        var hNext = _relu ? pre.Relu() : pre.Tanh();
        return batched ? hNext : hNext.Squeeze(0);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => RecurrentCellOps.Repr(InputSize, HiddenSize, BiasIh is not null, Nonlinearity);
}
