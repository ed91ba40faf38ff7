using System.Globalization;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Shared implementation of the multi-layer recurrent modules <see cref="Lstm"/>, <see cref="Gru"/> and
/// <see cref="Rnn"/> (PyTorch's <c>RNNBase</c>): parameters, validation, stacking, bidirectionality, dropout between
/// layers and the reuse of the fused kernels' workspaces.
/// </summary>
/// <typeparam name="TOutput">What <c>Forward(input)</c> returns: (output, h_n) or (output, h_n, c_n).</typeparam>
/// <remarks>
/// Each layer and direction is one autograd node running a fused whole-sequence kernel. Parameters are registered in
/// PyTorch's order and names (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>,
/// <c>weight_ih_l0_reverse</c>, …, <c>weight_ih_l1</c>, …), so state dicts move to and from PyTorch unchanged.
/// <para>
/// Memory: the saved activations of a forward live in a workspace per layer·direction (≈400 MB for LSTM(1, 128) on
/// sequential MNIST with batch 100). The module keeps a small pool keyed by (seq_len, batch, input, hidden): the
/// workspace goes back to the pool when the autograd node's backward has run, when the forward recorded nothing
/// (grad mode off or nothing requires grad), or when the node was garbage-collected without a backward. So a training
/// loop allocates it once; at most 2·num_layers·num_directions idle workspaces are kept (e.g. the full and the smaller
/// last batch). Call <see cref="ReleaseWorkspaces"/> to free them after training.
/// </para>
/// </remarks>
public abstract class RecurrentBase<TOutput> : Module<Tensor, TOutput>
{
    private readonly RecurrentKind _kind;
    private readonly Generator? _generator;
    private readonly Tensor[][] _weights; // [layer·D + direction] = { w_ih, w_hh[, b_ih, b_hh] }

    private protected RecurrentBase(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers, bool bias,
        bool batchFirst, double dropout, bool bidirectional, Generator? generator)
    {
        string op = GetType().Name;
        if (inputSize < 1)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{op}: input_size must be at least 1 (features per time step), got {inputSize}.");
        if (hiddenSize < 1)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{op}: hidden_size must be at least 1, got {hiddenSize}.");
        if (numLayers < 1)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{op}: num_layers must be at least 1, got {numLayers}.");
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout,
                $"{op}: dropout must be a probability in [0, 1] (the chance of zeroing an element between layers), got {dropout}.");
        _kind = kind;
        _generator = generator;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;

        int directions = NumDirections, gates = RecurrentKinds.GateCount(kind);
        _weights = new Tensor[numLayers * directions][];
        for (int layer = 0; layer < numLayers; layer++)
        {
            int layerInput = layer == 0 ? inputSize : hiddenSize * directions;
            for (int dir = 0; dir < directions; dir++)
            {
                string suffix = "_l" + layer.ToString(CultureInfo.InvariantCulture) + (dir == 1 ? "_reverse" : "");
                var wIh = RegisterParameter("weight_ih" + suffix, Tensor.Zeros(gates * hiddenSize, layerInput));
                var wHh = RegisterParameter("weight_hh" + suffix, Tensor.Zeros(gates * hiddenSize, hiddenSize));
                _weights[layer * directions + dir] = bias
                    ? [wIh, wHh, RegisterParameter("bias_ih" + suffix, Tensor.Zeros(gates * hiddenSize)),
                        RegisterParameter("bias_hh" + suffix, Tensor.Zeros(gates * hiddenSize))]
                    : [wIh, wHh];
            }
        }
        Func<int, int, int, int, RecurrentWorkspace> create = kind switch
        {
            RecurrentKind.Lstm => static (t, b, i, h) => new LstmWorkspace(t, b, i, h),
            RecurrentKind.Gru => static (t, b, i, h) => new GruWorkspace(t, b, i, h),
            _ => static (t, b, i, h) => new RnnWorkspace(t, b, i, h),
        };
        WorkspacePool = new RecurrentWorkspacePool(create, 2 * numLayers * directions);
        ResetParameters();
    }

    /// <summary>Features per time step of the input (<c>input_size</c>).</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Number of stacked layers (<c>num_layers</c>).</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have <c>bias_ih</c>/<c>bias_hh</c>.</summary>
    public bool Bias { get; }

    /// <summary>Whether input and output are (batch, seq, feature) instead of (seq, batch, feature); states are never batch-first.</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability applied to the outputs of every layer but the last, in training mode only.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs backwards in time (outputs concatenated on the feature dimension).</summary>
    public bool Bidirectional { get; }

    /// <summary>1, or 2 when <see cref="Bidirectional"/>.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    /// <summary>
    /// Parameters per layer·direction in PyTorch's <c>all_weights</c> order: index <c>layer·num_directions + direction</c>,
    /// each { weight_ih, weight_hh, bias_ih, bias_hh } (biases only when <see cref="Bias"/>).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> AllWeights => _weights;

    /// <summary>The module's workspace cache (tests and diagnostics).</summary>
    internal RecurrentWorkspacePool WorkspacePool { get; }

    /// <summary>Re-draws every weight and bias from U(−1/√hidden_size, 1/√hidden_size) (PyTorch's default), in registration order.</summary>
    public void ResetParameters()
    {
        float bound = 1f / MathF.Sqrt(HiddenSize);
        using (Torch.NoGrad())
            foreach (var p in Parameters(recurse: false))
                p.CopyFrom(Tensor.Uniform(p.Shape.ToArray(), -bound, bound, _generator));
    }

    /// <summary>Drops the cached kernel workspaces (saved-activation buffers) so their memory can be collected.</summary>
    public void ReleaseWorkspaces() => WorkspacePool.Clear();

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        var s = InputSize.ToString(CultureInfo.InvariantCulture) + ", " + HiddenSize.ToString(CultureInfo.InvariantCulture);
        if (NumLayers != 1) s += ", num_layers=" + NumLayers.ToString(CultureInfo.InvariantCulture);
        if (!Bias) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0) s += ", dropout=" + PythonFloat(Dropout);
        if (Bidirectional) s += ", bidirectional=True";
        return s;
    }

    /// <summary>
    /// Runs all layers. <paramref name="h0"/>/<paramref name="c0"/> are [num_layers·num_directions, batch, hidden]
    /// ([num_layers·num_directions, hidden] for unbatched input) or null for zeros.
    /// </summary>
    private protected (Tensor Output, Tensor HN, Tensor? CN) Run(Tensor input, Tensor? h0, Tensor? c0)
    {
        string op = GetType().Name;
        ArgumentNullException.ThrowIfNull(input);
        ThrowHelper.RequireFloat(op, input);
        string layout = BatchFirst ? "(batch, seq_len, input_size)" : "(seq_len, batch, input_size)";
        if (input.Dim is not (2 or 3))
            throw new ArgumentException(
                $"{op}: expected a 3-D input {layout}{(BatchFirst ? " (batch_first=True)" : "")} or a 2-D unbatched input (seq_len, input_size), " +
                $"got a {input.Dim}-D tensor of shape {input.Shape}.", nameof(input));
        if (input.Size(-1) != InputSize)
            throw new ArgumentException(
                $"{op}: input.size(-1) must equal input_size={InputSize}, got input of shape {input.Shape} (layout {layout}); " +
                $"reshape the input so its last dimension has {InputSize} features, or build the module with input_size={input.Size(-1)}.", nameof(input));
        bool batched = input.Dim == 3;
        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int seqLen = x.Size(0), batch = x.Size(1);
        if (seqLen == 0 || batch == 0)
            throw new ArgumentException($"{op}: the input of shape {input.Shape} has an empty sequence or batch; need at least one time step and one sample.", nameof(input));

        var h = PrepareState(op, _kind == RecurrentKind.Lstm ? "h0 (state.H0)" : "h0", h0, batched, batch);
        var c = PrepareState(op, "c0 (state.C0)", c0, batched, batch);

        int directions = NumDirections;
        var hs = new Tensor[NumLayers * directions];
        var cs = _kind == RecurrentKind.Lstm ? new Tensor[NumLayers * directions] : null;
        var layerInput = x;
        var outs = new Tensor[directions];
        for (int layer = 0; layer < NumLayers; layer++)
        {
            for (int dir = 0; dir < directions; dir++)
            {
                int k = layer * directions + dir;
                var w = _weights[k];
                var (y, hN, cN) = RecurrentLayerNode.Apply(_kind, WorkspacePool, dir == 1, layerInput,
                    h?.Narrow(0, k, 1), c?.Narrow(0, k, 1), w[0], w[1], Bias ? w[2] : null, Bias ? w[3] : null);
                outs[dir] = y;
                hs[k] = hN;
                if (cs is not null) cs[k] = cN!;
            }
            var layerOutput = directions == 1 ? outs[0] : Tensor.Cat(outs, 2);
            if (Dropout > 0 && Training && layer < NumLayers - 1) layerOutput = ApplyDropout(layerOutput);
            layerInput = layerOutput;
        }

        var output = layerInput;
        var hOut = hs.Length == 1 ? hs[0] : Tensor.Cat(hs, 0);
        var cOut = cs is null ? null : cs.Length == 1 ? cs[0] : Tensor.Cat(cs, 0);
        if (!batched)
        {
            output = output.Squeeze(1);
            hOut = hOut.Squeeze(1);
            cOut = cOut?.Squeeze(1);
        }
        else if (BatchFirst) output = output.Transpose(0, 1);
        return (output, hOut, cOut);
    }

    private Tensor? PrepareState(string op, string name, Tensor? state, bool batched, int batch)
    {
        if (state is null) return null;
        ThrowHelper.RequireFloat(op, state);
        int layers = NumLayers * NumDirections;
        int[] expected = batched ? [layers, batch, HiddenSize] : [layers, HiddenSize];
        if (!ShapeUtil.SameShape(state._shape, expected))
            throw new ArgumentException(
                $"{op}: expected {name} of shape {ShapeUtil.Format(expected)} " +
                (batched ? "(num_layers*num_directions, batch, hidden_size)" : "(num_layers*num_directions, hidden_size) for unbatched 2-D input") +
                $", got {state.Shape}. States are never batch-first.", nameof(state));
        return batched ? state : state.Unsqueeze(1);
    }

    private Tensor ApplyDropout(Tensor t)
    {
        float keep = (float)(1 - Dropout);
        var mask = Tensor.Bernoulli(t.Shape.ToArray(), keep, _generator, t.Device);
        if (keep > 0) mask.Mul_(1f / keep);
        return t * mask;
    }

    /// <summary>Formats like Python's <c>repr(float)</c> (0.5 → "0.5", 1 → "1.0", 1e-05 → "1e-05").</summary>
    private static string PythonFloat(double v)
    {
        string s = v.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E')) return s.Replace("E", "e", StringComparison.Ordinal);
        return s.Contains('.') ? s : s + ".0";
    }
}
