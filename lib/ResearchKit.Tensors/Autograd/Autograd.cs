namespace ResearchKit.Tensors;

/// <summary>Functional autograd entry points, like <c>torch.autograd</c>.</summary>
public static class Autograd
{
    /// <summary>
    /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/> (<c>torch.autograd.grad</c>),
    /// without touching any <see cref="Tensor.Grad"/>. Attacks use this to get ∂loss/∂x.
    /// </summary>
    /// <param name="outputs">Differentiated tensors; scalars unless <paramref name="gradOutputs"/> is given.</param>
    /// <param name="inputs">Tensors (leaves or intermediate) that require grad.</param>
    /// <param name="gradOutputs">Vector in the vector-Jacobian product, one per output (default: ones for scalars).</param>
    /// <param name="createGraph">Record the backward pass so the result can be differentiated again.</param>
    /// <param name="allowUnused">Return zeros for inputs the outputs do not depend on instead of throwing.</param>
    /// <param name="retainGraph">Keep the saved tensors so the graph can be differentiated again; defaults to <paramref name="createGraph"/>.</param>
    /// <returns>One gradient per input, shaped like it.</returns>
    /// <remarks>
    /// Only the part of the graph that leads to <paramref name="inputs"/> runs: an attack's ∂loss/∂x never computes the
    /// weight gradients, and no <see cref="Tensor.Grad"/> (of a leaf or of a <see cref="Tensor.RetainGrad"/> tensor) changes.
    /// </remarks>
    /// <exception cref="ArgumentException">An output does not require grad, an input does not, or shapes mismatch.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is unused and <paramref name="allowUnused"/> is false; a saved tensor was modified in place; or the graph
    /// was already freed by an earlier backward without <paramref name="retainGraph"/>.
    /// </exception>
    public static Tensor[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor[]? gradOutputs = null, bool createGraph = false, bool allowUnused = false, bool? retainGraph = null)
    {
        var seeds = Seeds(outputs, gradOutputs, "Autograd.Grad");
        var r = Engine.Run(outputs, seeds, inputs, createGraph, retainGraph ?? createGraph)!;
        var result = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (r[i] is { } g) { result[i] = g; continue; }
            if (!allowUnused)
                throw new InvalidOperationException($"Autograd.Grad: input {i} (shape {inputs[i].Shape}) was not used to compute the outputs; pass allowUnused: true to get zeros.");
            result[i] = Tensor.Zeros(inputs[i].Shape.ToArray());
        }
        return result;
    }

    /// <summary>Gradient of one output with respect to one input.</summary>
    public static Tensor Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool createGraph = false, bool? retainGraph = null) =>
        Grad([output], [input], gradOutput is null ? null : [gradOutput], createGraph, retainGraph: retainGraph)[0];

    internal static Tensor[] Seeds(Tensor[] outputs, Tensor[]? gradOutputs, string op)
    {
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"{op}: got {gradOutputs.Length} gradOutputs for {outputs.Length} outputs.");
        var seeds = new Tensor[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            var o = outputs[i];
            if (!o.RequiresGrad)
                throw new ArgumentException($"{op}: output {i} (shape {o.Shape}) does not require grad: none of its inputs had RequiresGrad = true, or it was computed under NoGrad or from a Detach()ed tensor.");
            if (gradOutputs?[i] is { } g)
            {
                if (!ShapeUtil.SameShape(g._shape, o._shape))
                    throw new ArgumentException($"{op}: gradient of shape {g.Shape} does not match output {i} of shape {o.Shape}.");
                seeds[i] = g;
            }
            else
            {
                if (o.Numel != 1)
                    throw new ArgumentException($"{op}: a gradient can be implied only for scalar outputs, output {i} has shape {o.Shape}; pass a gradient of that shape (e.g. Tensor.OnesLike(output)).");
                seeds[i] = Tensor.OnesLike(o);
            }
        }
        return seeds;
    }
}
