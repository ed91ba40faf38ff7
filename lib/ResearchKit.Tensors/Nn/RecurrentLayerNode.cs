using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Autograd node of one recurrent layer in one direction, run by the fused sequence kernels
/// (<see cref="LstmKernel"/>, <see cref="GruKernel"/>, <see cref="RnnKernel"/>).
/// Inputs: x [T, B, I] (time-major), optional h0 [1, B, H], optional c0 [1, B, H] (LSTM), w_ih, w_hh, optional b_ih, b_hh.
/// Outputs: y [T, B, H], h_n [1, B, H] and, for an LSTM, c_n [1, B, H].
/// </summary>
/// <remarks>
/// The reverse direction of a bidirectional layer runs the same kernel on a time-reversed copy of x and reverses y
/// (and, in backward, dy and dx) back, so the kernels only ever see forward time.
/// The node owns the workspace its forward filled (so two forwards before one backward stay independent) and returns
/// it to the module's <see cref="RecurrentWorkspacePool"/> after its backward. A second backward through the same
/// graph therefore recomputes the forward from the saved inputs into a pooled workspace first (correct as long as the
/// inputs and weights were not modified in place, the same condition PyTorch enforces with version counters).
/// Double backward (<c>createGraph: true</c>) is not supported by the fused kernels; use the cells for that.
/// </remarks>
internal sealed class RecurrentLayerNode : Node
{
    private readonly RecurrentKind _kind;
    private readonly bool _reverse;
    private readonly RecurrentWorkspacePool _pool;
    private readonly int _seqLen, _batch, _inputSize, _hiddenSize;
    private readonly int _ixH0, _ixC0, _ixWih, _ixWhh, _ixBih, _ixBhh; // -1 when absent; x is input 0
    private float[]? _x; // time-major x, contiguous, already time-reversed for the reverse direction; dropped on release
    private readonly int _xOffset;
    private RecurrentWorkspace? _workspace;

    private RecurrentLayerNode(RecurrentKind kind, bool reverse, RecurrentWorkspacePool pool, Tensor[] inputs,
        int ixH0, int ixC0, int ixBias, float[] x, int xOffset, int seqLen, int batch, int inputSize, int hiddenSize)
        : base(inputs, kind == RecurrentKind.Lstm ? 3 : 2)
    {
        SaveForBackward(inputs); // backward reads x, the initial states and the weights
        _kind = kind;
        _reverse = reverse;
        _pool = pool;
        _ixH0 = ixH0;
        _ixC0 = ixC0;
        _ixWih = ixBias - 2;
        _ixWhh = ixBias - 1;
        _ixBih = inputs.Length > ixBias ? ixBias : -1;
        _ixBhh = inputs.Length > ixBias ? ixBias + 1 : -1;
        _x = x;
        _xOffset = xOffset;
        _seqLen = seqLen;
        _batch = batch;
        _inputSize = inputSize;
        _hiddenSize = hiddenSize;
    }

    /// <inheritdoc/>
    public override string Name => RecurrentKinds.OpName(_kind) + (_reverse ? "_reverse" : "");

    /// <summary>
    /// Runs one layer·direction and, when grad mode is on and an input requires grad, records the node on the outputs.
    /// Shapes must already be validated by the module.
    /// </summary>
    public static (Tensor Y, Tensor HN, Tensor? CN) Apply(RecurrentKind kind, RecurrentWorkspacePool pool, bool reverse,
        Tensor x, Tensor? h0, Tensor? c0, Tensor wIh, Tensor wHh, Tensor? bIh, Tensor? bHh)
    {
        if (x._dev is not null || wIh._dev is not null) return DeviceRecurrent.Apply(kind, reverse, x, h0, c0, wIh, wHh, bIh, bHh);
        int seqLen = x.Size(0), batch = x.Size(1), inputSize = x.Size(2), hidden = wHh.Size(1), state = batch * hidden;
        bool lstm = kind == RecurrentKind.Lstm;
        var (xData, xOffset) = TimeMajor(x, reverse, batch * inputSize);

        var inputs = new List<Tensor>(7) { x };
        int ixH0 = -1, ixC0 = -1;
        if (h0 is not null) { ixH0 = inputs.Count; inputs.Add(h0); }
        if (c0 is not null) { ixC0 = inputs.Count; inputs.Add(c0); }
        inputs.Add(wIh);
        inputs.Add(wHh);
        int ixBias = inputs.Count;
        if (bIh is not null && bHh is not null) { inputs.Add(bIh); inputs.Add(bHh); }
        var inputArray = inputs.ToArray();

        RecurrentLayerNode? node = Tensor.AnyRequiresGrad(inputArray)
            ? new RecurrentLayerNode(kind, reverse, pool, inputArray, ixH0, ixC0, ixBias, xData, xOffset, seqLen, batch, inputSize, hidden)
            : null;

        var yT = Tensor.Empty([seqLen, batch, hidden]);
        var hT = Tensor.ZerosOwned([1, batch, hidden]);
        var cT = lstm ? Tensor.ZerosOwned([1, batch, hidden]) : null;
        float[] y = yT.F, hN = hT.F;
        float[]? cN = cT?.F;
        var ws = pool.Rent(seqLen, batch, inputSize, hidden, node);
        try
        {
            RunForward(kind, ws, xData.AsSpan(xOffset, seqLen * batch * inputSize), Data(h0), Data(c0),
                Data(wIh), Data(wHh), Data(bIh), Data(bHh), reverse ? default : y, hN, cN);
            // Reverse direction: the kernel ran on reversed time, so y_t is the saved state of kernel step T-1-t.
            if (reverse)
                for (int t = 0; t < seqLen; t++)
                    ws.Hidden.AsSpan((seqLen - t) * state, state).CopyTo(y.AsSpan(t * state, state));
        }
        catch
        {
            pool.Return(ws);
            throw;
        }

        if (node is null)
        {
            pool.Return(ws);
            return (yT, hT, cT);
        }
        node._workspace = ws;
        Tensor.RecordMulti(node, cT is null ? [yT, hT] : [yT, hT, cT]);
        return (yT, hT, cT);
    }

    /// <inheritdoc/>
    protected override void OnRelease() => _x = null;

    /// <inheritdoc/>
    protected internal override Tensor?[] Backward(Tensor?[] gradOutputs)
    {
        if (GradMode.IsEnabled)
            throw new NotSupportedException(
                $"{Name}: double backward (createGraph: true) through the fused recurrent kernel is not supported; " +
                "unroll LstmCell/GruCell/RnnCell over time if you need higher-order gradients.");
        int seqLen = _seqLen, batch = _batch, inputSize = _inputSize, hidden = _hiddenSize, state = batch * hidden;
        int gates = RecurrentKinds.GateCount(_kind);
        ReadOnlySpan<float> x = _x!.AsSpan(_xOffset, seqLen * batch * inputSize);
        Tensor wIh = Inputs[_ixWih], wHh = Inputs[_ixWhh];

        var ws = _workspace;
        _workspace = null;
        if (ws is null)
        {
            // Second backward through this graph: the workspace went back to the pool, so recompute the forward.
            ws = _pool.Rent(seqLen, batch, inputSize, hidden, null);
            try
            {
                RunForward(_kind, ws, x, Data(_ixH0 >= 0 ? Inputs[_ixH0] : null), Data(_ixC0 >= 0 ? Inputs[_ixC0] : null),
                    Data(wIh), Data(wHh), Data(_ixBih >= 0 ? Inputs[_ixBih] : null), Data(_ixBhh >= 0 ? Inputs[_ixBhh] : null),
                    default, default, default);
            }
            catch
            {
                _pool.Return(ws);
                throw;
            }
        }

        try
        {
            Tensor? gy = gradOutputs[0], gh = gradOutputs[1], gc = gradOutputs.Length > 2 ? gradOutputs[2] : null;
            ReadOnlySpan<float> dy = default;
            if (gy is not null)
            {
                dy = gy.ReadSpan();
                if (_reverse) dy = ReverseBlocks(dy, seqLen, state);
            }
            // Gradients shaped like their inputs, from the caching allocator; the kernels overwrite them entirely.
            var grads = new Tensor?[Inputs.Length];
            float[]? dx = Alloc(grads, 0);
            float[]? dh0 = _ixH0 >= 0 ? Alloc(grads, _ixH0) : null;
            float[]? dc0 = _ixC0 >= 0 ? Alloc(grads, _ixC0) : null;
            float[]? dWih = Alloc(grads, _ixWih);
            float[]? dWhh = Alloc(grads, _ixWhh);
            float[]? dbIh = _ixBih >= 0 ? Alloc(grads, _ixBih) : null;
            float[]? dbHh = _ixBhh >= 0 ? Alloc(grads, _ixBhh) : null;
            ReadOnlySpan<float> dhN = gh is null ? default : gh.ReadSpan();
            ReadOnlySpan<float> wih = wIh.ReadSpan(), whh = wHh.ReadSpan();

            switch (_kind)
            {
                case RecurrentKind.Lstm:
                    LstmKernel.Backward((LstmWorkspace)ws, x, wih, whh, dy, dhN, gc is null ? default : gc.ReadSpan(),
                        dx, dh0, dc0, dWih, dWhh, dbIh, dbHh);
                    break;
                case RecurrentKind.Gru:
                    GruKernel.Backward((GruWorkspace)ws, x, wih, whh, dy, dhN, dx, dh0, dWih, dWhh, dbIh, dbHh);
                    break;
                default:
                    RnnKernel.Backward((RnnWorkspace)ws, x, wih, whh, dy, dhN, dx, dh0, dWih, dWhh, dbIh, dbHh);
                    break;
            }
            if (_reverse && dx is not null) ReverseBlocksInPlace(dx, seqLen, batch * inputSize);
            return grads;
        }
        finally
        {
            _pool.Return(ws);
        }
    }

    // The gradient tensor of input `input` when it is needed (kept in grads, so its storage stays lent while the
    // kernel writes the returned array), else null.
    private float[]? Alloc(Tensor?[] grads, int input)
    {
        if (!NeedsInputGrad(input)) return null;
        var g = Tensor.Empty(Inputs[input].Shape.ToArray());
        grads[input] = g;
        return g.F;
    }

    private static void RunForward(RecurrentKind kind, RecurrentWorkspace ws, ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bIh, ReadOnlySpan<float> bHh,
        Span<float> y, Span<float> hN, Span<float> cN)
    {
        switch (kind)
        {
            case RecurrentKind.Lstm:
                LstmKernel.Forward((LstmWorkspace)ws, x, h0, c0, wIh, wHh, bIh, bHh, y, hN, cN);
                break;
            case RecurrentKind.Gru:
                GruKernel.Forward((GruWorkspace)ws, x, h0, wIh, wHh, bIh, bHh, y, hN);
                break;
            case RecurrentKind.RnnTanh:
                RnnKernel.Forward((RnnWorkspace)ws, RnnNonlinearity.Tanh, x, h0, wIh, wHh, bIh, bHh, y, hN);
                break;
            default:
                RnnKernel.Forward((RnnWorkspace)ws, RnnNonlinearity.Relu, x, h0, wIh, wHh, bIh, bHh, y, hN);
                break;
        }
    }

    /// <summary>Contiguous elements of an optional tensor without recording anything (empty when absent).</summary>
    private static ReadOnlySpan<float> Data(Tensor? t)
    {
        if (t is null) return default;
        if (t.IsContiguous) return t.F.AsSpan(t._offset, t.Numel);
        return t.ToArray();
    }

    /// <summary>x as a contiguous time-major array (storage, offset), copied and time-reversed for the reverse direction.</summary>
    private static (float[] Data, int Offset) TimeMajor(Tensor x, bool reverse, int block)
    {
        if (!reverse) return x.IsContiguous ? (x.F, x._offset) : (x.ToArray(), 0);
        var data = x.IsContiguous ? x.F.AsSpan(x._offset, x.Numel).ToArray() : x.ToArray();
        ReverseBlocksInPlace(data, x.Size(0), block);
        return (data, 0);
    }

    private static float[] ReverseBlocks(ReadOnlySpan<float> src, int steps, int block)
    {
        var dst = GC.AllocateUninitializedArray<float>(steps * block);
        for (int t = 0; t < steps; t++) src.Slice((steps - 1 - t) * block, block).CopyTo(dst.AsSpan(t * block, block));
        return dst;
    }

    private static void ReverseBlocksInPlace(float[] data, int steps, int block)
    {
        if (steps < 2) return;
        var tmp = new float[block];
        for (int a = 0, b = steps - 1; a < b; a++, b--)
        {
            Span<float> first = data.AsSpan(a * block, block), second = data.AsSpan(b * block, block);
            first.CopyTo(tmp);
            second.CopyTo(first);
            tmp.CopyTo(second);
        }
    }
}
