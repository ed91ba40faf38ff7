namespace ResearchKit.Tensors.Kernels;

/// <summary>
/// Geometry and saved state of one recurrent layer (one direction) for a fixed
/// sequence length, batch, input and hidden size. A kernel's <c>Forward</c> fills it and its <c>Backward</c> reads it.
/// </summary>
/// <remarks>
/// Buffers are allocated once in the constructor (backward buffers on first backward) and reused by every call,
/// so a training loop that keeps one workspace per layer does not allocate per step.
/// <c>Backward</c> never overwrites forward state, so it may be called several times after one forward
/// (like <c>retain_graph=True</c>). A workspace is not thread-safe: use one per concurrent call.
/// </remarks>
public abstract class RecurrentWorkspace
{
    private readonly string _kernel;

    /// <summary>Hidden states [T+1, B, H]; row block 0 is h0, block t+1 is h_t (so blocks 0..T-1 are the previous states).</summary>
    internal readonly float[] Hidden;

    /// <summary>Per-step gate buffer [T, B, G·H]: pre-activations during forward, saved activations afterwards.</summary>
    internal readonly float[] Gates;

    /// <summary>Combined bias row [G·H] added in the per-step pointwise pass (cell-specific folding).</summary>
    internal readonly float[] BiasRow;

    /// <summary>Backward scratch [G·H] for one step's column sums (bias gradients).</summary>
    internal float[]? ColumnPartial;

    /// <summary>Gradient wrt the step's hidden state [B, H] during backward (ping-pong pair).</summary>
    internal float[]? GradHidden, GradHiddenNext;

    /// <summary>Gradient wrt the gate pre-activations [T, B, G·H], allocated on the first backward.</summary>
    internal float[]? GradGates;

    private protected RecurrentWorkspace(string kernel, int gateCount, int seqLen, int batch, int inputSize, int hiddenSize)
    {
        _kernel = kernel;
        if (seqLen < 1 || batch < 1 || inputSize < 1 || hiddenSize < 1)
            throw new ArgumentOutOfRangeException(nameof(seqLen),
                $"{kernel}: workspace sizes must all be at least 1, got seqLen={seqLen}, batch={batch}, inputSize={inputSize}, hiddenSize={hiddenSize}.");
        long gateElems = (long)seqLen * batch * gateCount * hiddenSize;
        long inputElems = (long)seqLen * batch * inputSize;
        long hiddenElems = (long)(seqLen + 1) * batch * hiddenSize;
        long weightElems = (long)gateCount * hiddenSize * Math.Max(inputSize, hiddenSize);
        long largest = Math.Max(Math.Max(gateElems, inputElems), Math.Max(hiddenElems, weightElems));
        if (largest > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(seqLen),
                $"{kernel}: seqLen={seqLen}, batch={batch}, inputSize={inputSize}, hiddenSize={hiddenSize} needs a buffer of {largest} floats, " +
                $"more than one array can hold ({Array.MaxLength}). Split the sequence into shorter chunks.");
        GateCount = gateCount;
        SeqLen = seqLen;
        Batch = batch;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Hidden = new float[hiddenElems];
        Gates = new float[gateElems];
        BiasRow = new float[gateCount * hiddenSize];
    }

    /// <summary>Number of gates G stacked in the weight rows (LSTM 4, GRU 3, RNN 1).</summary>
    public int GateCount { get; }

    /// <summary>Sequence length T.</summary>
    public int SeqLen { get; }

    /// <summary>Batch size B.</summary>
    public int Batch { get; }

    /// <summary>Input feature count I.</summary>
    public int InputSize { get; }

    /// <summary>Hidden size H.</summary>
    public int HiddenSize { get; }

    /// <summary>True after a successful forward; backward requires it.</summary>
    public bool HasForward { get; internal set; }

    /// <summary>True when this workspace can be reused for a call with the given geometry.</summary>
    public bool Matches(int seqLen, int batch, int inputSize, int hiddenSize) =>
        seqLen == SeqLen && batch == Batch && inputSize == InputSize && hiddenSize == HiddenSize;

    /// <summary>G·H, the width of one gate row.</summary>
    internal int GateWidth => GateCount * HiddenSize;

    /// <summary>T·B, the number of (time, batch) rows.</summary>
    internal int Rows => SeqLen * Batch;

    /// <summary>B·H, the size of one state.</summary>
    internal int StateSize => Batch * HiddenSize;

    internal static float[] Ensure(ref float[]? buffer, int length) => buffer ??= new float[length];

    /// <summary>Validates the spans shared by every cell's forward; returns whether a bias is used.</summary>
    internal bool CheckForward(string op, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> wIh,
        ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh, Span<float> y, Span<float> hN)
    {
        CheckInputsAndWeights(op, x, wIh, wHh);
        CheckOptional(op, "h0", h0.Length, StateSize, "[batch, hiddenSize]", "start from zeros");
        bool hasBias = bIh.Length != 0 || bHh.Length != 0;
        if (hasBias)
        {
            if (bIh.Length == 0 || bHh.Length == 0)
                throw new ArgumentException(
                    $"{op}: b_ih has {bIh.Length} elements and b_hh has {bHh.Length}; pass both biases (each [{GateCount}·hiddenSize] = {GateWidth}) or neither (bias=False).");
            CheckExact(op, "b_ih", bIh.Length, GateWidth, "[gates·hiddenSize]");
            CheckExact(op, "b_hh", bHh.Length, GateWidth, "[gates·hiddenSize]");
        }
        CheckOptional(op, "y", y.Length, (long)Rows * HiddenSize, "[seqLen, batch, hiddenSize]", "skip the per-step outputs");
        CheckOptional(op, "h_n", hN.Length, StateSize, "[batch, hiddenSize]", "skip the final hidden state");
        return hasBias;
    }

    /// <summary>Validates the spans shared by every cell's backward.</summary>
    internal void CheckBackward(string op, ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhN, Span<float> dx, Span<float> dh0,
        Span<float> dWih, Span<float> dWhh, Span<float> dbIh, Span<float> dbHh)
    {
        if (!HasForward)
            throw new InvalidOperationException($"{op}: the workspace holds no forward pass; call {_kernel}.Forward with it first (and let it complete).");
        CheckInputsAndWeights(op, x, wIh, wHh);
        CheckOptional(op, "dy", dy.Length, (long)Rows * HiddenSize, "[seqLen, batch, hiddenSize]", "treat the upstream gradient of y as zeros");
        CheckOptional(op, "dh_n", dhN.Length, StateSize, "[batch, hiddenSize]", "treat the upstream gradient of h_n as zeros");
        CheckOptional(op, "dx", dx.Length, (long)Rows * InputSize, "[seqLen, batch, inputSize]", "skip the input gradient");
        CheckOptional(op, "dh0", dh0.Length, StateSize, "[batch, hiddenSize]", "skip the initial-state gradient");
        CheckOptional(op, "dW_ih", dWih.Length, (long)GateWidth * InputSize, "[gates·hiddenSize, inputSize]", "skip this weight gradient");
        CheckOptional(op, "dW_hh", dWhh.Length, (long)GateWidth * HiddenSize, "[gates·hiddenSize, hiddenSize]", "skip this weight gradient");
        CheckOptional(op, "db_ih", dbIh.Length, GateWidth, "[gates·hiddenSize]", "skip this bias gradient");
        CheckOptional(op, "db_hh", dbHh.Length, GateWidth, "[gates·hiddenSize]", "skip this bias gradient");
    }

    private void CheckInputsAndWeights(string op, ReadOnlySpan<float> x, ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh)
    {
        CheckExact(op, "x", x.Length, (long)Rows * InputSize, "time-major [seqLen, batch, inputSize], contiguous");
        CheckExact(op, "W_ih", wIh.Length, (long)GateWidth * InputSize, "[gates·hiddenSize, inputSize]");
        CheckExact(op, "W_hh", wHh.Length, (long)GateWidth * HiddenSize, "[gates·hiddenSize, hiddenSize]");
    }

    /// <summary>Throws unless <paramref name="length"/> equals <paramref name="expected"/>.</summary>
    internal void CheckExact(string op, string name, int length, long expected, string layout)
    {
        if (length != expected)
            throw new ArgumentException($"{op}: {name} has {length} elements but needs {expected} for layout {layout} with {Geometry()}. " +
                "Pass a span of exactly that size, or use a workspace built for this geometry.", name);
    }

    /// <summary>Like <see cref="CheckExact"/> but an empty span is allowed; returns whether the span is present.</summary>
    internal bool CheckOptional(string op, string name, int length, long expected, string layout, string emptyMeaning)
    {
        if (length == 0) return false;
        if (length != expected)
            throw new ArgumentException($"{op}: {name} has {length} elements but needs {expected} for layout {layout} with {Geometry()}. " +
                $"Pass a span of exactly that size, or an empty span to {emptyMeaning}.", name);
        return true;
    }

    private string Geometry() =>
        $"seqLen={SeqLen}, batch={Batch}, inputSize={InputSize}, hiddenSize={HiddenSize}, gates={GateCount}";
}
