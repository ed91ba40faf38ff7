namespace ResearchKit.Tensors.Nn;

/// <summary>
/// One LSTM layer·direction on a device: the input projection of every time step as one GEMM, then per step one GEMM for the
/// recurrent projection and one fused point-wise kernel each way (PyTorch's gate order i, f, g, o). Autograd records the
/// GEMMs as ordinary ops and each point-wise step as one node, so backward through time needs nothing else.
/// </summary>
internal static class DeviceRecurrent
{
    /// <summary>As <see cref="RecurrentLayerNode.Apply"/>, for inputs and weights on one device.</summary>
    /// <exception cref="NotSupportedException">A GRU or a plain RNN (no device kernel yet).</exception>
    /// <exception cref="ArgumentException">The inputs, states and weights are not all on one device.</exception>
    public static (Tensor Y, Tensor HN, Tensor? CN) Apply(RecurrentKind kind, bool reverse, Tensor x, Tensor? h0, Tensor? c0,
        Tensor wIh, Tensor wHh, Tensor? bIh, Tensor? bHh)
    {
        string op = RecurrentKinds.OpName(kind);
        foreach (var t in new[] { h0, c0, wIh, wHh, bIh, bHh })
            if (t is not null && t.Device != x.Device) throw Tensor.MixedDevices(op, x, t);
        if (kind != RecurrentKind.Lstm)
            throw new NotSupportedException($"{op} has no kernel on device '{x.Device}' yet (the LSTM has); run it on the CPU (input.Cpu() and module.To(Device.Cpu)).");
        int steps = x.Size(0), batch = x.Size(1), inputSize = x.Size(2), hidden = wHh.Size(1);
        var projected = x.Reshape(steps * batch, inputSize).Matmul(wIh.T);
        if (bIh is not null && bHh is not null) projected += bIh + bHh;
        projected = projected.Reshape(steps, batch, 4 * hidden);
        var h = h0 is null ? Tensor.Zeros([batch, hidden], x.Device) : h0.Reshape(batch, hidden);
        var c = c0 is null ? Tensor.Zeros([batch, hidden], x.Device) : c0.Reshape(batch, hidden);
        var ys = new Tensor[steps];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s;
            (h, c) = Step(projected.Select(0, t) + h.Matmul(wHh.T), c);
            ys[t] = h;
        }
        return (Tensor.Stack(ys, 0), h.Unsqueeze(0), c.Unsqueeze(0));
    }

    // c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c') in one kernel; recorded as one node with two outputs.
    private static (Tensor H, Tensor C) Step(Tensor gates, Tensor c)
    {
        var backend = gates._dev!.Backend;
        gates = gates.Contiguous();
        c = c.Contiguous();
        int batch = c.Size(0), hidden = c.Size(1);
        var hNext = Tensor.EmptyOn(backend, [batch, hidden]);
        var cNext = Tensor.EmptyOn(backend, [batch, hidden]);
        backend.LstmPointwiseForward(batch, hidden, gates._dev!, gates._offset, c._dev!, c._offset, hNext._dev!, cNext._dev!);
        if (Tensor.AnyRequiresGrad(gates, c)) Tensor.RecordMulti(new StepNode(gates, c, cNext, batch, hidden), [hNext, cNext]);
        return (hNext, cNext);
    }

    private sealed class StepNode : Node
    {
        private readonly Tensor _gates, _c, _cNext;
        private readonly int _batch, _hidden;

        public StepNode(Tensor gates, Tensor c, Tensor cNext, int batch, int hidden) : base([gates, c], 2)
        {
            SaveForBackward(gates, c, cNext);
            (_gates, _c, _cNext, _batch, _hidden) = (gates, c, cNext, batch, hidden);
        }

        public override string Name => "lstm_step";

        protected internal override Tensor?[] Backward(Tensor?[] gradOutputs)
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException($"{Name}: double backward (createGraph: true) through the fused LSTM step on device '{_gates.Device}' is not supported; run on the CPU with LstmCell unrolled over time.");
            var backend = _gates._dev!.Backend;
            var gh = (gradOutputs[0] ?? Tensor.ZerosLike(_cNext)).Contiguous();
            var gc = (gradOutputs[1] ?? Tensor.ZerosLike(_cNext)).Contiguous();
            var gradGates = Tensor.EmptyOn(backend, [_batch, 4 * _hidden]);
            var gradC = Tensor.EmptyOn(backend, [_batch, _hidden]);
            backend.LstmPointwiseBackward(_batch, _hidden, _gates._dev!, _gates._offset, _c._dev!, _c._offset, _cNext._dev!,
                gh._dev!, gh._offset, gc._dev!, gc._offset, gradGates._dev!, gradC._dev!);
            return [NeedsInputGrad(0) ? gradGates : null, NeedsInputGrad(1) ? gradC : null];
        }
    }
}
