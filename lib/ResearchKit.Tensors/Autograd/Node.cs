namespace ResearchKit.Tensors;

/// <summary>
/// A recorded operation in the autograd graph (PyTorch's <c>grad_fn</c>): it knows its inputs and maps the
/// gradients of its outputs to the gradients of its inputs.
/// </summary>
public abstract class Node
{
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

    /// <summary>True when input <paramref name="i"/> needs a gradient (lets backward skip work).</summary>
    protected bool NeedsInputGrad(int i) => Inputs[i].RequiresGrad;

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
    private readonly Func<Tensor, Tensor?[]> _backward;

    public LambdaNode(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward) : base(inputs)
    {
        _name = name;
        _backward = backward;
    }

    public override string Name => _name;

    protected internal override Tensor?[] Backward(Tensor?[] gradOutputs) => _backward(gradOutputs[0]!);
}
