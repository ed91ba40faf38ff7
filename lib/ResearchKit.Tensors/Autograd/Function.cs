namespace ResearchKit.Tensors;

/// <summary>
/// A differentiable operation with a user-written backward, like <c>torch.autograd.Function</c>.
/// Quantizers use it for straight-through estimators and clipped gradients.
/// </summary>
/// <example>
/// <code>
/// sealed class RoundSte : Function
/// {
///     protected override Tensor Forward(FunctionContext ctx, Tensor[] x) => x[0].Round();
///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g];
/// }
/// var y = new RoundSte().Apply(x);
/// </code>
/// </example>
public abstract class Function
{
    /// <summary>Computes the output (grad mode is off inside). Save what backward needs with <see cref="FunctionContext.SaveForBackward"/>.</summary>
    protected abstract Tensor Forward(FunctionContext ctx, Tensor[] inputs);

    /// <summary>Returns one gradient per input (null where none), each shaped like its input.</summary>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput);

    /// <summary>Display name in <c>grad_fn</c>; the class name by default.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Runs <see cref="Forward"/> and records the op for autograd when an input requires grad.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var ctx = new FunctionContext(inputs);
        Tensor output;
        using (GradMode.Set(false))
        {
            Memory.StoragePool.Enter();
            try { output = Forward(ctx, inputs); }
            finally { Memory.StoragePool.Exit(); }
        }
        bool record = false;
        if (GradMode.IsEnabled) foreach (var t in inputs) record |= t.RequiresGrad;
        if (!record) return output;
        // The output must be a fresh graph node even if Forward returned an input or a view of one.
        output = output.Alias();
        var node = new FunctionNode(this, ctx, inputs);
        // The versions of what Forward saved, as they are now: an in-place write before backward is then refused.
        node.SaveForBackward([.. ctx.SavedTensors]);
        output.SetGradFn(node, 0);
        return output;
    }

    private sealed class FunctionNode(Function f, FunctionContext ctx, Tensor[] inputs) : Node(inputs)
    {
        private FunctionContext? _ctx = ctx;
        public override string Name => f.Name;
        protected override void OnRelease() => _ctx = null;
        protected internal override Tensor?[] Backward(Tensor?[] gradOutputs) => f.Backward(_ctx!, gradOutputs[0]!);
    }
}

/// <summary>State passed from <see cref="Function"/>'s forward to its backward (PyTorch's <c>ctx</c>).</summary>
public sealed class FunctionContext
{
    private readonly Tensor[] _inputs;
    private Tensor[] _saved = [];

    internal FunctionContext(Tensor[] inputs) { _inputs = inputs; }

    /// <summary>Keeps tensors for backward.</summary>
    public void SaveForBackward(params Tensor[] tensors) => _saved = tensors;

    /// <summary>Tensors kept by <see cref="SaveForBackward"/>.</summary>
    public IReadOnlyList<Tensor> SavedTensors => _saved;

    /// <summary>
    /// Whether input <paramref name="i"/> needs a gradient in the running backward pass (false for an input that
    /// requires grad but does not lead to what <c>Autograd.Grad</c> asked for): skip computing it when false.
    /// </summary>
    public bool NeedsInputGrad(int i) => Engine.Needs(_inputs[i]);

    /// <summary>Free-form non-tensor state (scales, bit-widths...).</summary>
    public Dictionary<string, object> Items { get; } = new();
}
