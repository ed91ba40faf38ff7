namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Base class of the loss modules (PyTorch's <c>_Loss</c>): call <c>criterion.Forward(output, target)</c>.
/// </summary>
/// <remarks>
/// A loss is a <see cref="Module{TIn, TOut}"/> of an (input, target) pair, so it composes with generic module code,
/// but the two-argument <see cref="Forward(Tensor, Tensor)"/> is the natural call site. Class weights are registered as
/// buffers named like PyTorch's (<c>weight</c>, <c>pos_weight</c>), so they appear in the state dict.
/// </remarks>
public abstract class Loss : Module<(Tensor Input, Tensor Target), Tensor>
{
    /// <summary>"mean", "sum" or "none" (KLDivLoss also accepts "batchmean").</summary>
    public string Reduction { get; }

    /// <summary>Validates and stores the reduction.</summary>
    /// <exception cref="ArgumentException">Unknown reduction (the allowed ones are listed).</exception>
    protected Loss(string reduction, string[]? allowed = null)
    {
        Functional.CheckReduction(GetType().Name, reduction, allowed);
        Reduction = reduction;
    }

    /// <summary>Computes the loss of <paramref name="input"/> (model output) against <paramref name="target"/>.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <inheritdoc/>
    protected sealed override Tensor ForwardCore((Tensor Input, Tensor Target) pair) => Forward(pair.Input, pair.Target);

    /// <inheritdoc/>
    public override string ExtraRepr() => "";
}
