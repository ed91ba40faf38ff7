namespace ResearchKit.Tensors;

/// <summary>
/// A recorded operation in the autograd graph (PyTorch's <c>grad_fn</c>): it knows its inputs and maps the
/// gradients of its outputs to the gradients of its inputs.
/// </summary>
public abstract class Node
{
    private Tensor[] _saved = [];
    private int[] _savedVersions = [];

    /// <summary>Creates a node over the op's inputs; only inputs that require grad receive gradients.</summary>
    protected Node(Tensor[] inputs, int numOutputs = 1)
    {
        Inputs = inputs;
        NumOutputs = numOutputs;
    }

    /// <summary>Operation name shown in <c>grad_fn=&lt;...&gt;</c> and in errors.</summary>
    public abstract string Name { get; }

    /// <summary>Inputs of the op, in order.</summary>
    internal Tensor[] Inputs { get; }

    /// <summary>Number of differentiable outputs.</summary>
    internal int NumOutputs { get; }

    /// <summary>Non-leaf outputs whose gradient should be kept in <see cref="Tensor.Grad"/> (set by RetainGrad).</summary>
    internal Tensor?[]? Retained { get; set; }

    /// <summary>Set by the engine for the duration of <see cref="Backward"/>: which inputs lead to a requested gradient.</summary>
    internal bool[]? NeededInputs { get; set; }

    /// <summary>True once <see cref="Release"/> has freed what backward needs.</summary>
    internal bool Released { get; private set; }

    /// <summary>
    /// True when input <paramref name="i"/> needs a gradient in the running backward pass: it requires grad and, in
    /// <c>Autograd.Grad</c>, lies on a path to a requested input.
    /// </summary>
    protected bool NeedsInputGrad(int i) => Inputs[i].RequiresGrad && (NeededInputs is null || NeededInputs[i]);

    /// <summary>
    /// Remembers tensors that backward will read, with their current <see cref="Tensor.Version"/>; backward refuses to
    /// run if any was modified in place since (PyTorch's saved-variable check).
    /// </summary>
    protected internal void SaveForBackward(params Tensor[] tensors)
    {
        _saved = tensors;
        _savedVersions = new int[tensors.Length];
        for (int i = 0; i < tensors.Length; i++) _savedVersions[i] = tensors[i].VersionCounter.Value;
    }

    /// <summary>Whether this node holds saved tensors (nodes without any, like add, can run backward again).</summary>
    internal bool HasSaved => _saved.Length > 0;

    /// <summary>Throws when a saved tensor was modified in place after it was saved, or when the graph was freed.</summary>
    internal void CheckSaved()
    {
        if (Released)
            throw new InvalidOperationException(
                $"Trying to backward through the graph a second time (through '{Name}'): its saved tensors were freed by the first " +
                "Backward()/Autograd.Grad(). Pass retainGraph: true to the first call if you need to backward through the graph again.");
        for (int i = 0; i < _saved.Length; i++)
        {
            var t = _saved[i];
            int now = t.Version;
            if (now != _savedVersions[i])
                throw new InvalidOperationException(
                    $"One of the tensors needed for the gradient of '{Name}' has been modified by an inplace operation: " +
                    $"{Describe(t)} is at version {now}; expected version {_savedVersions[i]} instead. " +
                    "Change the in-place op (e.g. Mul_, Add_, CopyFrom, a write through AsSpan) into its out-of-place form, " +
                    "or do it after Backward()/Autograd.Grad(), or Clone() the tensor before using it in the graph.");
        }
    }

    private static string Describe(Tensor t)
    {
        string who = t.Name is { } n ? $"'{n}' " : "";
        return $"the tensor {who}of shape {t.Shape}{(t.GradFn is { } f ? $" (output of '{f.Name}')" : "")}";
    }

    /// <summary>
    /// After backward (unless the graph is retained): frees the saved tensors, so a second pass fails loudly, and swaps
    /// each non-leaf input for a data-less stand-in, so a graph the user still references (a <c>loss</c> kept for
    /// logging, the previous step's graph until the variable is reassigned) no longer holds the activations.
    /// </summary>
    internal void Release()
    {
        var inputs = Inputs;
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i].GradFn is not null && !inputs[i].IsStub) inputs[i] = inputs[i].Stub();
        if (_saved.Length == 0) return;
        _saved = [];
        _savedVersions = [];
        Released = true;
        OnRelease();
    }

    /// <summary>Drops the references backward would have used (closures, workspaces).</summary>
    protected virtual void OnRelease() { }

    /// <summary>
    /// Given one gradient per output (null where an output did not influence the loss), returns one gradient per input
    /// (null where not needed). Each gradient must have its input's shape.
    /// </summary>
    protected internal abstract Tensor?[] Backward(Tensor?[] gradOutputs);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A single-output node whose backward rule is a delegate: the engine's "one-line derivative" form.</summary>
internal sealed class LambdaNode : Node
{
    private readonly string _name;
    private Func<Tensor, Tensor?[]>? _backward;

    /// <param name="name">Op name.</param>
    /// <param name="inputs">Op inputs.</param>
    /// <param name="backward">The rule; it may capture tensors, which must then be listed in <paramref name="saved"/>.</param>
    /// <param name="saved">Tensors the rule reads (checked against in-place writes); null means all inputs.</param>
    public LambdaNode(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[]? saved) : base(inputs)
    {
        _name = name;
        _backward = backward;
        SaveForBackward(saved ?? inputs);
    }

    public override string Name => _name;

    protected override void OnRelease() => _backward = null;

    protected internal override Tensor?[] Backward(Tensor?[] gradOutputs) => _backward!(gradOutputs[0]!);
}
