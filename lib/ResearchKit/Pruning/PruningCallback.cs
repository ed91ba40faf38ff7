using ResearchKit.Tensors.Nn;
using ResearchKit.Training;

namespace ResearchKit.Pruning;

/// <summary>
/// Keeps pruning masks through <see cref="Trainer"/> steps: after every optimizer step it sets pruned weights to +0
/// and zeroes the optimizer's state buffers there (<see cref="PruningMasks.ApplyAfterStep"/>).
/// </summary>
/// <remarks>
/// For the element-wise optimizers (SGD with momentum/Nesterov, Adam, AdamW, RMSprop) this is bit-identical to masking
/// the gradients before the step: a pruned entry's state and weight end where a zero gradient would leave them (0).
/// The one difference is <see cref="TrainerOptions.ClipGradNorm"/>: the trainer computes the clipping norm before
/// any hook runs, so gradients at pruned positions still count in that norm (the trainer has no pre-step hook).
/// Apply the masks to the model before <see cref="Trainer.Fit"/> (<see cref="TicketSearch"/> does).
/// </remarks>
public sealed class PruningCallback : ITrainerCallback
{
    private readonly Action<long>? _afterStep;

    /// <summary>Keeps <paramref name="masks"/> on <paramref name="model"/> (null: the trainer's model).</summary>
    /// <param name="masks">Masks to keep.</param>
    /// <param name="model">The module the mask names refer to, when the trainer trains a wrapper around it.</param>
    /// <param name="afterStep">Called with the step number after masking (e.g. to snapshot weights at t_save).</param>
    /// <param name="masking">Whether gradients are also masked before the step (default) or only weights and state after it.</param>
    public PruningCallback(PruningMasks masks, Module? model = null, Action<long>? afterStep = null, MaskEnforcement masking = MaskEnforcement.GradientsAndWeights)
    {
        if (!Enum.IsDefined(masking)) throw new ArgumentException($"PruningCallback: unknown masking {masking}; use GradientsAndWeights or WeightsAfterStep.", nameof(masking));
        Masking = masking;
        ArgumentNullException.ThrowIfNull(masks);
        Masks = masks;
        Model = model;
        _afterStep = afterStep;
    }

    /// <summary>The masks kept.</summary>
    public PruningMasks Masks { get; }

    /// <summary>The masked module, or null for the trainer's model.</summary>
    public Module? Model { get; }

    /// <summary>Whether gradients are masked before the step, or only weights and optimizer state after it.</summary>
    public MaskEnforcement Masking { get; }

    /// <summary>Masks the gradients before clipping, so pruned positions do not count in the gradient norm
    /// (<see cref="MaskEnforcement.GradientsAndWeights"/> only).</summary>
    public void OnBeforeStep(Trainer trainer)
    {
        if (Masking == MaskEnforcement.GradientsAndWeights) Masks.MaskGradients(Model ?? trainer.Model);
    }

    /// <summary>Re-applies the masks to the weights and the optimizer state after the step.</summary>
    public void OnStepEnd(Trainer trainer, in StepInfo info)
    {
        Masks.ApplyAfterStep(Model ?? trainer.Model, trainer.Optimizer);
        _afterStep?.Invoke(info.Step);
    }
}
