using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Training;

/// <summary>
/// Captures and restores a complete training state as a <see cref="Checkpoint"/>, so that a resumed run is
/// bit-identical to an uninterrupted one. Layout:
/// tensors <c>model.{name}</c> (state dict, buffers included), <c>optim.state.{i}.{buffer}</c>, <c>extra.{name}</c>;
/// metadata <c>optim.param_groups</c> (JSON), <c>scheduler</c> (JSON), <c>trainer.state</c> (<see cref="TrainerState"/> JSON),
/// <c>rng.{generator}</c> (six hex words per generator), <c>extra.{name}</c>.
/// </summary>
public static class TrainerCheckpoint
{
    /// <summary>Prefix of the model's state-dict tensors.</summary>
    public const string ModelPrefix = "model.";
    /// <summary>Prefix of the optimizer's state tensors.</summary>
    public const string OptimPrefix = "optim.";
    /// <summary>Metadata key of the optimizer's param-groups JSON.</summary>
    public const string OptimGroupsKey = "optim.param_groups";
    /// <summary>Metadata key of the scheduler's state JSON.</summary>
    public const string SchedulerKey = "scheduler";
    /// <summary>Metadata key of the trainer state JSON.</summary>
    public const string TrainerKey = "trainer.state";
    /// <summary>Prefix of generator states in the metadata.</summary>
    public const string RngPrefix = "rng.";
    /// <summary>Prefix of recipe-specific tensors and metadata.</summary>
    public const string ExtraPrefix = "extra.";

    /// <summary>Captures a <see cref="Trainer"/>: model, optimizer, scheduler, trainer state and its generators, at its current step.</summary>
    /// <param name="trainer">The trainer (usually inside <see cref="ITrainerCallback.OnCheckpoint"/>).</param>
    /// <param name="extraMetadata">Recipe strings (stored as <c>extra.{key}</c>).</param>
    /// <param name="extraTensors">Recipe tensors, e.g. a carried hidden state (stored as <c>extra.{key}</c>, copied).</param>
    public static Checkpoint Capture(Trainer trainer, IReadOnlyDictionary<string, string>? extraMetadata = null, IReadOnlyDictionary<string, Tensor>? extraTensors = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return Capture(trainer.State.Step, trainer.Model, trainer.Optimizer, trainer.Scheduler, trainer.CaptureState(), trainer.Generators, extraMetadata, extraTensors);
    }

    /// <summary>Captures the given objects (copies every tensor, so later training does not change the checkpoint).</summary>
    /// <param name="step">Step the checkpoint is taken after.</param>
    /// <param name="model">Model.</param>
    /// <param name="optimizer">Optimizer.</param>
    /// <param name="scheduler">LR scheduler, or null.</param>
    /// <param name="state">Trainer state (its RNG states are ignored: <paramref name="generators"/> are captured now), or null.</param>
    /// <param name="generators">Generators by name, or null.</param>
    /// <param name="extraMetadata">Recipe strings.</param>
    /// <param name="extraTensors">Recipe tensors.</param>
    public static Checkpoint Capture(long step, Module model, Optimizer optimizer, LrScheduler? scheduler, TrainerState? state,
        IReadOnlyDictionary<string, Generator>? generators, IReadOnlyDictionary<string, string>? extraMetadata = null,
        IReadOnlyDictionary<string, Tensor>? extraTensors = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        using (Torch.NoGrad())
        {
            foreach (var (k, t) in model.StateDict()) tensors[ModelPrefix + k] = HostCopy(t);
            var osd = optimizer.StateDict();
            foreach (var (k, t) in osd.State) tensors[OptimPrefix + k] = t.Device.IsCpu ? t : t.Cpu(); // already copies
            meta[OptimGroupsKey] = osd.ParamGroups;
            if (extraTensors is not null)
                foreach (var (k, t) in extraTensors) tensors[ExtraPrefix + k] = HostCopy(t);
        }
        if (scheduler is not null) meta[SchedulerKey] = scheduler.StateDict();
        if (state is not null) meta[TrainerKey] = state.ToJson(includeRng: false);
        if (generators is not null)
            foreach (var (name, g) in generators) meta[RngPrefix + name] = TrainerState.FormatRng(g.GetState());
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) meta[ExtraPrefix + k] = v;
        return new Checkpoint(step, tensors, meta);
    }

    /// <summary>Restores a <see cref="Trainer"/> (model, optimizer, scheduler, state, generators) from <paramref name="checkpoint"/>.
    /// Build the trainer exactly as for a fresh run (same model, optimizer, scheduler, generators), then call this before <see cref="Trainer.Fit"/>.</summary>
    /// <exception cref="ArgumentException">The checkpoint does not match (missing keys, shapes, scheduler or generators).</exception>
    public static void Restore(Trainer trainer, Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var state = Restore(checkpoint, trainer.Model, trainer.Optimizer, trainer.Scheduler, trainer.Generators)
            ?? throw new ArgumentException($"TrainerCheckpoint.Restore: the checkpoint of step {checkpoint.Step} has no '{TrainerKey}' entry; it was not captured from a Trainer.");
        trainer.RestoreState(state);
    }

    /// <summary>Restores the given objects; returns the trainer state (with RNG states) or null when the checkpoint has none.</summary>
    /// <exception cref="ArgumentException">The checkpoint does not match (missing keys, shapes, scheduler or generators).</exception>
    public static TrainerState? Restore(Checkpoint checkpoint, Module model, Optimizer optimizer, LrScheduler? scheduler, IReadOnlyDictionary<string, Generator>? generators)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var meta = checkpoint.Metadata;
        if (!meta.TryGetValue(OptimGroupsKey, out var groups))
            throw new ArgumentException($"TrainerCheckpoint.Restore: the checkpoint of step {checkpoint.Step} has no '{OptimGroupsKey}' metadata; it was not written by TrainerCheckpoint.Capture.");
        bool hasScheduler = meta.TryGetValue(SchedulerKey, out var schedulerJson);
        if (hasScheduler != (scheduler is not null))
            throw new ArgumentException(scheduler is null
                ? "TrainerCheckpoint.Restore: the checkpoint holds a scheduler state but no scheduler was given; create the same scheduler as the saved run."
                : "TrainerCheckpoint.Restore: a scheduler was given but the checkpoint holds no scheduler state; the saved run had none.");
        var rng = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        if (generators is not null)
            foreach (var name in generators.Keys)
                rng[name] = meta.TryGetValue(RngPrefix + name, out var text) ? TrainerState.ParseRng(text, name)
                    : throw new ArgumentException($"TrainerCheckpoint.Restore: no state for generator '{name}' (metadata '{RngPrefix}{name}'); register the same generators as the saved run.");

        var modelState = ModelState(checkpoint);
        var optimState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in checkpoint.Tensors)
            if (k.StartsWith(OptimPrefix, StringComparison.Ordinal)) optimState[k[OptimPrefix.Length..]] = t;
        model.LoadStateDict(modelState, strict: true);
        optimizer.LoadStateDict(optimState, groups);
        if (scheduler is not null) scheduler.LoadStateDict(schedulerJson!);
        if (generators is not null)
            foreach (var (name, g) in generators) g.SetState(rng[name]);

        if (!meta.TryGetValue(TrainerKey, out var stateJson)) return null;
        var state = TrainerState.FromJson(stateJson);
        foreach (var (k, v) in rng) state.RngStates[k] = v;
        return state;
    }

    /// <summary>The model's state dict inside a checkpoint captured by <see cref="Capture(Trainer, IReadOnlyDictionary{string, string}?, IReadOnlyDictionary{string, Tensor}?)"/>
    /// (its "model." tensors, prefix removed), to load trained weights into a freshly built model.</summary>
    public static Dictionary<string, Tensor> ModelState(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in checkpoint.Tensors)
            if (k.StartsWith(ModelPrefix, StringComparison.Ordinal)) state[k[ModelPrefix.Length..]] = t;
        return state;
    }

    /// <summary>A recipe tensor stored with <c>extraTensors</c>, or null.</summary>
    public static Tensor? ExtraTensor(Checkpoint checkpoint, string name) =>
        checkpoint.Tensors.TryGetValue(ExtraPrefix + name, out var t) ? t : null;

    /// <summary>A recipe string stored with <c>extraMetadata</c>, or null.</summary>
    public static string? ExtraMetadata(Checkpoint checkpoint, string name) =>
        checkpoint.Metadata.TryGetValue(ExtraPrefix + name, out var s) ? s : null;

    // Checkpoints hold host copies whatever the model's device: they are written to disk, and restoring copies them into
    // the model's (and the optimizer's) own storage, wherever that is.
    private static Tensor HostCopy(Tensor t) => t.Device.IsCpu ? t.Detach().Clone() : t.Detach().Cpu();
}
