using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Pruning;

/// <summary>
/// The winning-ticket search of the thesis' Algorithm 2: train dense (round 0), then for each objective p ∈ P prune
/// the trained weights to p (monotone masks), reset the surviving weights as the configuration says, and train again.
/// </summary>
/// <remarks>
/// <para>The caller trains and evaluates a round (<c>trainRound</c>), so recipes plug in the <see cref="Training.Trainer"/>
/// with <see cref="RoundContext.Callback"/> attached; the search owns snapshots (θ⁰, θ^t_save), masks and rewinding.
/// The same model instance is trained every round; its state is replaced in place (optimizers must be created
/// inside <c>trainRound</c>, each round; pass them through <see cref="RoundContext.Prepare"/> so that
/// <see cref="TicketConfig.OptimizerState"/> can carry their state from round to round).</para>
/// <para>The four <see cref="TicketConfiguration"/>s run identical code except in <c>Rewind</c>, which picks the
/// starting state: θ⁰ (WT), θ^t_save (WT with save), a fresh initialization (Rand_init) or the trained weights (IMP).
/// <c>createModel</c> is called once per round in every configuration, so all four draw the same random numbers.</para>
/// </remarks>
/// <example>
/// <code>
/// var config = new TicketConfig(TicketConfiguration.WinningTicketWithSave, PruningPlan.Recurrent(probe, 0)) { SaveStep = 1000 };
/// var search = new TicketSearch(config, () =&gt; BuildModel(generator), (model, masks, ctx) =&gt;
/// {
///     var trainer = new Trainer(model, new RmsProp(model.Parameters(), lr: 1e-3), loss, options);
///     trainer.Callbacks.Add(ctx.Callback);        // keeps the masks, snapshots θ^t_save in round 0
///     trainer.Fit(train);
///     return new RoundResult(new Dictionary&lt;string, double&gt; { ["test/accuracy"] = Evaluate(model) });
/// });
/// var result = search.Run();
/// </code>
/// </example>
public sealed class TicketSearch
{
    private readonly Func<Module> _createModel;
    private readonly Func<Module, PruningMasks, RoundContext, RoundResult> _trainRound;

    /// <summary>Creates a search.</summary>
    /// <param name="config">Configuration, plan, objectives, t_save.</param>
    /// <param name="createModel">Builds a freshly initialized model; each call must draw new random weights (do not re-seed inside).</param>
    /// <param name="trainRound">Trains <c>model</c> (masks already applied) keeping the masks via the context, and evaluates it.</param>
    /// <exception cref="ArgumentException">The configuration is invalid (see <see cref="TicketConfig.Validate"/>).</exception>
    public TicketSearch(TicketConfig config, Func<Module> createModel, Func<Module, PruningMasks, RoundContext, RoundResult> trainRound)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(trainRound);
        config.Validate();
        Config = config;
        _createModel = createModel;
        _trainRound = trainRound;
    }

    /// <summary>Creates a search whose training function needs no context (it must keep the masks itself, e.g. with a
    /// <see cref="MaskedOptimizer"/> or <see cref="PruningCallback"/>). Not usable with t_save: nothing could take the snapshot.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid or sets <see cref="TicketConfig.SaveStep"/> or <see cref="TicketConfig.CaptureSteps"/> &gt; 0.</exception>
    public TicketSearch(TicketConfig config, Func<Module> createModel, Func<Module, PruningMasks, RoundResult> trainRound)
        : this(config, createModel, Adapt(config, trainRound)) { }

    private static Func<Module, PruningMasks, RoundContext, RoundResult> Adapt(TicketConfig config, Func<Module, PruningMasks, RoundResult> trainRound)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(trainRound);
        if (config.SnapshotSteps.Count > 0)
            throw new ArgumentException("TicketSearch: t_save needs a snapshot during round 0; use the constructor whose trainRound takes a RoundContext and attach context.Callback to the trainer.");
        return (m, masks, _) => trainRound(m, masks);
    }

    /// <summary>The settings.</summary>
    public TicketConfig Config { get; }

    /// <summary>Called after each round (progress display, run-store logging); on a resumed search also for the rounds read back.</summary>
    public Action<TicketRoundResult>? RoundCompleted { get; set; }

    /// <summary>
    /// Directory of round checkpoints, or null (the default) for none. When set, every completed round is written there
    /// atomically and <see cref="Run"/> continues after the last round found, so an interrupted search loses at most the
    /// round in progress. Round 0 is the same in the four configurations and is stored once
    /// (<c>dense.safetensors</c>, with θ at every step of <see cref="TicketConfig.SnapshotSteps"/>): searches of the same
    /// model, seed and training that share a directory train the dense network once, also when their t_save differ,
    /// provided each lists all of them in <see cref="TicketConfig.CaptureSteps"/>. The directory must not be shared by searches that differ in anything else; a different
    /// initialization θ⁰ or objective list is detected and refused.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>
    /// The random generators the search and its training function draw from (model initialization, dropout, data
    /// order). Their states are stored with every round checkpoint and restored on resume, so a resumed search draws
    /// exactly the numbers of an uninterrupted one.
    /// </summary>
    public IReadOnlyDictionary<string, Generator>? Generators { get; set; }

    /// <summary>Runs round 0 and one round per objective (continuing after the last checkpointed round, if any).</summary>
    /// <exception cref="InvalidOperationException">The training function returned null, round 0 ended before t_save, or the
    /// checkpoint directory holds another search.</exception>
    /// <exception cref="InvalidDataException">A round checkpoint is damaged (the message names the file).</exception>
    public TicketSearchResult Run()
    {
        var model = _createModel() ?? throw new InvalidOperationException("TicketSearch: createModel returned null.");
        var theta0 = Snapshot(model);
        Dictionary<string, Tensor>? thetaSave = Config.SaveStep == 0 ? theta0 : null;
        var masks = new PruningMasks();
        var rounds = new List<TicketRoundResult>(Config.Objectives.Count + 1);
        OptimizerStateDict? optimizerState = null;
        int first = CheckpointDirectory is null ? 0 : Restore(model, theta0, ref thetaSave, ref masks, rounds, ref optimizerState);
        var snapshotSteps = Config.SnapshotSteps;
        for (int r = first; r <= Config.Objectives.Count; r++)
        {
            PruneResult? pruning = null;
            var start = RoundStart.Initialization;
            if (r > 0)
            {
                pruning = Config.PlanForRound(r - 1).Prune(model, masks);
                masks = pruning.Masks;
                start = Rewind(model, theta0, thetaSave);
            }
            masks.Apply(model);

            long? capture = r == 0 && Config.SaveStep is > 0 ? Config.SaveStep : null;
            var ctx = new RoundContext(r, r == 0 ? null : Config.Objectives[r - 1], masks, model, capture, r == 0 ? snapshotSteps : [],
                Config.Masking, Config.OptimizerState, optimizerState);
            var result = _trainRound(model, masks, ctx)
                ?? throw new InvalidOperationException($"TicketSearch: the training function returned null in round {r}; return a RoundResult with the round's metrics.");
            if (Config.OptimizerState == RoundOptimizerState.Carried)
                optimizerState = (ctx.Optimizer ?? throw new InvalidOperationException(
                    $"TicketSearch: OptimizerState is Carried but round {r}'s training function never passed its optimizer through context.Prepare(optimizer); build the optimizer as context.Prepare(new Adam(...)).")).StateDict();
            if (r == 0)
            {
                foreach (var s in snapshotSteps)
                    if (!ctx.Snapshots.ContainsKey(s))
                        throw new InvalidOperationException(
                            $"TicketSearch: round 0 ended before iteration t_save = {s}, so θ^t_save was never saved; attach context.Callback to the trainer (or call context.AfterStep after each step), or lower {(s == Config.SaveStep ? "SaveStep" : "CaptureSteps")}.");
                if (capture is not null) thetaSave = ctx.Snapshot;
            }

            var record = new TicketRoundResult(r, Config.Configuration, ctx.Objective, start, pruning, result, Config.KeepRoundMasks ? masks.Clone() : null);
            if (CheckpointDirectory is string dir)
                TicketCheckpoint.Write(TicketCheckpoint.PathOf(dir, Config.Configuration, r, Config.SaveStep),
                    record, Snapshot(model), masks, r == 0 ? theta0 : null, r == 0 ? ctx.Snapshots : null, Config.SaveStep, Generators, optimizerState);
            rounds.Add(record);
            RoundCompleted?.Invoke(record);
        }
        return new TicketSearchResult(Config.Configuration, rounds, masks);
    }

    /// <summary>
    /// Reads the completed rounds of <see cref="CheckpointDirectory"/> in order, leaves the model, masks and generators
    /// as they were at the end of the last one, and returns the index of the first round still to train.
    /// </summary>
    private int Restore(Module model, Dictionary<string, Tensor> theta0, ref Dictionary<string, Tensor>? thetaSave,
        ref PruningMasks masks, List<TicketRoundResult> rounds, ref OptimizerStateDict? optimizerState)
    {
        string dir = CheckpointDirectory!;
        TicketCheckpoint.Saved? last = null;
        for (int r = 0; r <= Config.Objectives.Count; r++)
        {
            string path = TicketCheckpoint.PathOf(dir, Config.Configuration, r, Config.SaveStep);
            var saved = TicketCheckpoint.TryRead(path);
            if (saved is null) break;
            double? objective = r == 0 ? null : Config.Objectives[r - 1];
            if (r == 0)
            {
                if (saved.Theta0 is null || !SameValues(saved.Theta0, theta0))
                    throw new InvalidOperationException($"TicketSearch: '{path}' was trained from another initialization θ⁰ (other seed or model), so it belongs to another search; give this search its own CheckpointDirectory or delete '{dir}'.");
                if (Config.SaveStep is long ts && ts > 0 && !saved.Snapshots.ContainsKey(ts))
                    throw new InvalidOperationException($"TicketSearch: '{path}' saved θ at t_save = {(saved.Snapshots.Count == 0 ? "none" : string.Join(", ", saved.Snapshots.Keys))}, this search asks t_save = {ts}; " +
                        $"list every t_save of the experiment in TicketConfig.CaptureSteps of all its searches, or use another CheckpointDirectory or delete '{dir}'.");
                thetaSave = Config.SaveStep switch { null => null, 0 => theta0, long ts2 => saved.Snapshots[ts2] };
            }
            else if (saved.Objective != objective)
                throw new InvalidOperationException($"TicketSearch: '{path}' was pruned to P = {saved.Objective}, this search's round {r} asks P = {objective}; the objectives changed, so use another CheckpointDirectory or delete '{dir}'.");

            masks = saved.Masks;
            var pruning = saved.Pruning is null ? null : new PruneResult(masks, saved.Pruning);
            var record = new TicketRoundResult(r, Config.Configuration, objective, saved.Start, pruning, saved.Result, Config.KeepRoundMasks ? masks.Clone() : null);
            rounds.Add(record);
            RoundCompleted?.Invoke(record);
            last = saved;
        }
        if (last is null) return 0;
        model.LoadStateDict(last.Model);
        if (Config.OptimizerState == RoundOptimizerState.Carried)
            optimizerState = last.Optimizer ?? throw new InvalidOperationException(
                $"TicketSearch: OptimizerState is Carried but '{last.Path}' holds no optimizer state (written by a search that reset it each round); use another CheckpointDirectory or delete '{CheckpointDirectory}'.");
        if (Generators is not null)
            foreach (var (name, g) in Generators)
            {
                if (!last.Generators.TryGetValue(name, out var state))
                    throw new InvalidOperationException($"TicketSearch: '{last.Path}' holds no state for generator '{name}' (it holds: {string.Join(", ", last.Generators.Keys)}); pass the same Generators as the interrupted search.");
                g.SetState(state);
            }
        return rounds.Count;
    }

    /// <summary>
    /// Algorithm 2's reset step — the single point where the four configurations differ: loads the starting state of
    /// the next round into <paramref name="model"/> (masks are applied afterwards).
    /// </summary>
    private RoundStart Rewind(Module model, Dictionary<string, Tensor> theta0, Dictionary<string, Tensor>? thetaSave)
    {
        // Drawn in every configuration so all four consume the same random numbers; only Rand_init uses it.
        var fresh = (_createModel() ?? throw new InvalidOperationException("TicketSearch: createModel returned null.")).StateDict();
        switch (Config.Configuration)
        {
            case TicketConfiguration.WinningTicket:
                model.LoadStateDict(theta0);
                return RoundStart.Initialization;
            case TicketConfiguration.WinningTicketWithSave:
                model.LoadStateDict(thetaSave!);
                return RoundStart.SavedIterate;
            case TicketConfiguration.RandomInit:
                if (SameValues(fresh, theta0))
                    throw new InvalidOperationException("TicketSearch: createModel returned θ⁰ again, so Rand_init would equal WT; createModel must draw fresh random weights (don't re-seed inside it).");
                model.LoadStateDict(fresh);
                return RoundStart.FreshInitialization;
            case TicketConfiguration.IterativeMagnitudePruning:
                return RoundStart.TrainedWeights; // continue from the converged weights
            default:
                throw new InvalidOperationException($"TicketSearch: unknown configuration {Config.Configuration}.");
        }
    }

    /// <summary>A deep copy of a model's state dict (parameters and persistent buffers).</summary>
    internal static Dictionary<string, Tensor> Snapshot(Module model)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (Torch.NoGrad())
            foreach (var (k, v) in model.StateDict()) d[k] = v.Detach().Clone();
        return d;
    }

    private static bool SameValues(Dictionary<string, Tensor> a, Dictionary<string, Tensor> b)
    {
        foreach (var (k, t) in a)
        {
            if (t.DType != DType.Float32 || !b.TryGetValue(k, out var u) || t.Numel == 0) continue;
            if (!MaskKernel.Read(t).SequenceEqual(MaskKernel.Read(u))) return false;
        }
        return true;
    }
}
