namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Shared parameters of the single-step cells <see cref="LstmCell"/>, <see cref="GruCell"/> and <see cref="RnnCell"/>
/// (PyTorch's <c>RNNCellBase</c>): <c>weight_ih</c> [G·H, I], <c>weight_hh</c> [G·H, H], <c>bias_ih</c>, <c>bias_hh</c> [G·H],
/// registered in that order with G gate blocks stacked by rows (4 for LSTM, 3 for GRU, 1 for the Elman RNN).
/// </summary>
/// <typeparam name="TOutput">What <c>Forward(input)</c> returns: the next hidden state, or (h, c) for LSTM.</typeparam>
public abstract class RecurrentCellBase<TOutput> : Module<Tensor, TOutput>
{
    private readonly Generator? _generator;

    // Derived constructors that validate more arguments do so before calling this one, so a rejected argument never
    // consumes random numbers from the generator.
    private protected RecurrentCellBase(string op, int inputSize, int hiddenSize, int gates, bool bias, Generator? generator)
    {
        RecurrentCellOps.CheckSizes(op, inputSize, hiddenSize);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        _generator = generator;
        WeightIh = RegisterParameter("weight_ih", Tensor.Zeros(gates * hiddenSize, inputSize));
        WeightHh = RegisterParameter("weight_hh", Tensor.Zeros(gates * hiddenSize, hiddenSize));
        if (bias)
        {
            BiasIh = RegisterParameter("bias_ih", Tensor.Zeros(gates * hiddenSize));
            BiasHh = RegisterParameter("bias_hh", Tensor.Zeros(gates * hiddenSize));
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

    /// <summary>Features of the hidden state (and of the LSTM cell state).</summary>
    public int HiddenSize { get; }

    /// <summary>weight_ih [G·H, I], the G gate blocks stacked by rows in the order the cell's summary gives.</summary>
    public Tensor WeightIh { get; }

    /// <summary>weight_hh [G·H, H], gate blocks in the same order as <see cref="WeightIh"/>.</summary>
    public Tensor WeightHh { get; }

    /// <summary>bias_ih [G·H], or null without bias.</summary>
    public Tensor? BiasIh { get; }

    /// <summary>bias_hh [G·H], or null without bias.</summary>
    public Tensor? BiasHh { get; }

    /// <summary>Re-draws all parameters from U(−1/√hidden_size, 1/√hidden_size).</summary>
    public void ResetParameters() => RecurrentCellOps.Reset(this, HiddenSize, _generator);

    /// <inheritdoc/>
    public override string ExtraRepr() => RecurrentCellOps.Repr(InputSize, HiddenSize, BiasIh is not null);
}
