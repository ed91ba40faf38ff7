using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Pruning;

/// <summary>
/// Wraps an optimizer for hand-written training loops so pruned weights stay exactly +0 and get no update:
/// <see cref="Step"/> masks the gradients, steps, then masks the weights and the optimizer's state buffers.
/// With <see cref="Training.Trainer"/>, use <see cref="PruningCallback"/> instead (the trainer owns the step).
/// </summary>
public sealed class MaskedOptimizer
{
    /// <summary>Wraps <paramref name="inner"/>, which must optimize <paramref name="model"/>'s parameters.</summary>
    /// <param name="inner">The optimizer (SGD, Adam, RMSprop, …).</param>
    /// <param name="model">The model the masks refer to (by parameter name).</param>
    /// <param name="masks">Masks to keep.</param>
    /// <exception cref="ArgumentException">A masked parameter is missing from the model or has another shape.</exception>
    public MaskedOptimizer(Optimizer inner, Module model, PruningMasks masks)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(masks);
        Inner = inner;
        Model = model;
        Masks = masks;
        masks.Apply(model); // fail early on a mismatch, and start from masked weights
    }

    /// <summary>The wrapped optimizer (schedulers attach to it).</summary>
    public Optimizer Inner { get; }

    /// <summary>The model whose parameters are masked.</summary>
    public Module Model { get; }

    /// <summary>The masks kept.</summary>
    public PruningMasks Masks { get; }

    /// <summary>Clears gradients (<see cref="Optimizer.ZeroGrad"/>).</summary>
    public void ZeroGrad(bool setToNone = true) => Inner.ZeroGrad(setToNone);

    /// <summary>grad ← grad ⊙ m; optimizer step; θ ← θ ⊙ m; state buffers ← buffers ⊙ m.</summary>
    public void Step()
    {
        Masks.MaskGradients(Model);
        Inner.Step();
        Masks.ApplyAfterStep(Model, Inner);
    }
}
