using System.Diagnostics;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Devices;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Training;

/// <summary>
/// A supervised training loop: forward, loss, backward, gradient clipping, optimizer step, LR schedule per step or
/// epoch, periodic evaluation, early stopping, checkpoints through callbacks, progress display. Its position lives in
/// <see cref="State"/>; together with the model, optimizer and scheduler states (see <see cref="TrainerCheckpoint"/>)
/// a run restored mid-epoch continues bit-identically.
/// </summary>
/// <remarks>
/// Per step: zero grads → forward/loss → backward → <c>OnBeforeStep</c> → clip → optimizer step → (per-step) scheduler → <c>OnStepEnd</c>
/// → at epoch end: (per-epoch) scheduler, <c>OnEpochEnd</c> → evaluation, early stop → checkpoint. The model is in
/// train mode during steps and in eval mode under <see cref="Torch.NoGrad"/> during evaluation; its mode before
/// <see cref="Fit"/> is restored at the end.
/// </remarks>
public sealed class Trainer
{
    private readonly ForwardLoss _forward;
    private bool _stopRequested;

    /// <summary>Trains <paramref name="model"/> on <c>loss(model(x), y)</c>.</summary>
    /// <param name="model">Model mapping a batch of inputs to outputs (logits).</param>
    /// <param name="optimizer">Optimizer over the model's parameters.</param>
    /// <param name="loss">Loss of (outputs, targets), a scalar, e.g. <c>(o, y) =&gt; Functional.CrossEntropy(o, y)</c>.</param>
    /// <param name="options">Loop settings.</param>
    /// <exception cref="ArgumentException">The options are inconsistent (see <see cref="TrainerOptions"/>).</exception>
    public Trainer(Module<Tensor, Tensor> model, Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss, TrainerOptions options)
        : this(model, optimizer, ForwardOf(model, loss), options) { }

    /// <summary>Trains with a custom forward pass (e.g. a recurrent model carrying state between batches).</summary>
    /// <param name="model">The module whose parameters are trained (mode switching, clipping).</param>
    /// <param name="optimizer">Optimizer over the model's parameters.</param>
    /// <param name="forward">Computes the loss (and optionally logits) of a batch.</param>
    /// <param name="options">Loop settings.</param>
    /// <exception cref="ArgumentException">The options are inconsistent (see <see cref="TrainerOptions"/>).</exception>
    public Trainer(Module model, Optimizer optimizer, ForwardLoss forward, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxSteps is null && options.MaxEpochs is null)
            throw new ArgumentException("Trainer: set TrainerOptions.MaxSteps or MaxEpochs (or both); otherwise training never ends.");
        if (options.MaxSteps is < 0) throw new ArgumentException($"Trainer: MaxSteps must be ≥ 0, got {options.MaxSteps}.");
        if (options.MaxEpochs is < 0) throw new ArgumentException($"Trainer: MaxEpochs must be ≥ 0, got {options.MaxEpochs}.");
        if (options.EvalEvery < 0 || options.CheckpointEvery < 0 || options.LogEvery < 1)
            throw new ArgumentException($"Trainer: EvalEvery ({options.EvalEvery}) and CheckpointEvery ({options.CheckpointEvery}) must be ≥ 0 and LogEvery ({options.LogEvery}) ≥ 1.");
        if (options.PrefetchToDevice < 0) throw new ArgumentException($"Trainer: PrefetchToDevice must be ≥ 0 (batches uploaded ahead; 0 = none), got {options.PrefetchToDevice}.");
        if (options.ClipGradNorm is double n && !(n >= 0)) throw new ArgumentException($"Trainer: ClipGradNorm must be ≥ 0, got {n}.");
        if (options.ClipGradValue is double v && !(v >= 0)) throw new ArgumentException($"Trainer: ClipGradValue must be ≥ 0, got {v}.");
        if (options.Scheduler is { } s && !ReferenceEquals(s.Optimizer, optimizer))
            throw new ArgumentException("Trainer: the scheduler is attached to a different optimizer than the trainer's; create it with the trainer's optimizer.");
        if (options.EarlyStopping is { } es)
        {
            if (options.Evaluate is null) throw new ArgumentException($"Trainer: early stopping on '{es.Metric}' needs TrainerOptions.Evaluate (and EvalEvery or EvalEachEpoch).");
            if (es.Patience < 1) throw new ArgumentException($"Trainer: early-stopping patience must be ≥ 1, got {es.Patience}.");
            if (options.EvalEvery == 0 && !options.EvalEachEpoch) throw new ArgumentException("Trainer: early stopping needs periodic evaluation; set EvalEvery or EvalEachEpoch.");
        }
        // In place (PyTorch's model.to(device)): the optimizer built on these parameters keeps them.
        if (!options.Device.IsCpu) model.To(options.Device);
        Model = model;
        Optimizer = optimizer;
        Options = options;
        _forward = forward;
        Generators = options.Generators ?? new Dictionary<string, Generator>();
    }

    /// <summary>The trained module.</summary>
    public Module Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The LR scheduler, if any.</summary>
    public LrScheduler? Scheduler => Options.Scheduler;

    /// <summary>Loop settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Generators whose state is captured with the trainer state.</summary>
    public IReadOnlyDictionary<string, Generator> Generators { get; }

    /// <summary>Loop position and bookkeeping (RNG states are filled by <see cref="CaptureState"/>).</summary>
    public TrainerState State { get; private set; } = new();

    /// <summary>Callbacks, called in order.</summary>
    public List<ITrainerCallback> Callbacks { get; } = new();

    /// <summary>Asks the loop to stop after the current step (e.g. from a callback on a time budget).</summary>
    public void RequestStop() => _stopRequested = true;

    /// <summary>A copy of <see cref="State"/> with the current generator states.</summary>
    public TrainerState CaptureState()
    {
        var s = State.Clone();
        s.RngStates.Clear();
        foreach (var (name, g) in Generators) s.RngStates[name] = g.GetState();
        return s;
    }

    /// <summary>Replaces <see cref="State"/> with a copy of <paramref name="state"/> and restores the generators.</summary>
    /// <exception cref="ArgumentException">A registered generator has no state in <paramref name="state"/>.</exception>
    public void RestoreState(TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var name in Generators.Keys)
            if (!state.RngStates.ContainsKey(name))
                throw new ArgumentException($"Trainer.RestoreState: no state for generator '{name}' (the state has: {string.Join(", ", state.RngStates.Keys)}); register the same generators as the run that saved it.");
        foreach (var (name, g) in Generators) g.SetState(state.RngStates[name]);
        State = state.Clone();
        State.RngStates.Clear();
    }

    /// <summary>The step at which training ends for <paramref name="batchesPerEpoch"/> batches per epoch.</summary>
    public long TotalSteps(int batchesPerEpoch)
    {
        long total = long.MaxValue;
        if (Options.MaxSteps is long ms) total = ms;
        if (Options.MaxEpochs is int me) total = Math.Min(total, (long)me * batchesPerEpoch);
        return total;
    }

    /// <summary>
    /// Trains from the current <see cref="State"/> (step 0, or a restored checkpoint) until the step/epoch limit,
    /// early stopping or <see cref="RequestStop"/>.
    /// </summary>
    /// <param name="batches">Batches of epoch <c>e</c> starting at batch index <c>s</c>, e.g.
    /// <c>(e, s) =&gt; loader.Epoch(e, s).Select(b =&gt; (b.Images, b.Labels))</c>; must be deterministic in (e, s) for exact resume.</param>
    /// <param name="batchesPerEpoch">Batches in a full epoch (the loader's <c>BatchesPerEpoch</c>).</param>
    /// <returns>Steps, epochs, final evaluation metrics, best metric.</returns>
    /// <exception cref="ArgumentException"><paramref name="batchesPerEpoch"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The source yields fewer batches than announced, or the loss is not finite (with <see cref="TrainerOptions.FailOnNonFiniteLoss"/>).</exception>
    public TrainingResult Fit(Func<int, int, IEnumerable<(Tensor X, Tensor Y)>> batches, int batchesPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batchesPerEpoch < 1) throw new ArgumentException($"Trainer.Fit: batchesPerEpoch must be ≥ 1, got {batchesPerEpoch}.");
        if (State.BatchInEpoch >= batchesPerEpoch)
            throw new ArgumentException($"Trainer.Fit: the restored state points at batch {State.BatchInEpoch} of epoch {State.Epoch}, but an epoch has {batchesPerEpoch} batches; the loader differs from the run that saved it.");
        _stopRequested = false;
        long total = TotalSteps(batchesPerEpoch);
        long startStep = State.Step;
        var progress = Options.Progress ?? SilentProgressSink.Instance;
        var sw = Stopwatch.StartNew();
        bool wasTraining = Model.Training;
        progress.Start(Options.Description, total, startStep);
        try
        {
            Model.Train();
            while (!Finished(total))
            {
                int epoch = State.Epoch;
                bool epochClosed = false;
                var epochBatches = batches(epoch, State.BatchInEpoch);
                if (!Options.Device.IsCpu && Options.PrefetchToDevice > 0)
                    epochBatches = DevicePrefetcher.Prefetch(epochBatches, Options.Device, Options.PrefetchToDevice);
                foreach (var (x, y) in epochBatches)
                {
                    TrainStep(x, y, total, progress);
                    if (State.BatchInEpoch == batchesPerEpoch)
                    {
                        EndEpoch();
                        epochClosed = true;
                    }
                    if ((Options.EvalEvery > 0 && State.Step % Options.EvalEvery == 0) || (epochClosed && Options.EvalEachEpoch))
                        Evaluate(progress);
                    if (!Finished(total) && ((Options.CheckpointEvery > 0 && State.Step % Options.CheckpointEvery == 0) || (epochClosed && Options.CheckpointEachEpoch)))
                        foreach (var cb in Callbacks) cb.OnCheckpoint(this, State.Step);
                    if (epochClosed || Finished(total)) break;
                }
                if (!epochClosed && !Finished(total))
                    throw new InvalidOperationException($"Trainer.Fit: the batch source yielded only {State.BatchInEpoch} batches for epoch {epoch}, but batchesPerEpoch is {batchesPerEpoch}; pass the loader's BatchesPerEpoch.");
            }
            if (State.EarlyStopped) progress.Message($"early stop at step {State.Step}: '{Options.EarlyStopping!.Metric}' did not improve for {Options.EarlyStopping.Patience} evaluations (best {State.BestMetric} at step {State.BestStep})");
            if (Options.Evaluate is not null && Options.EvalAtEnd && State.LastEvalStep != State.Step) Evaluate(progress);
            var result = new TrainingResult(State.Step, State.Epoch, State.EarlyStopped,
                new Dictionary<string, double>(State.LastEvalMetrics, StringComparer.Ordinal),
                State.BestMetric, State.BestStep, State.Step - startStep, sw.Elapsed);
            foreach (var cb in Callbacks) cb.OnEnd(this, result);
            return result;
        }
        finally
        {
            Model.Train(wasTraining);
            progress.Finish(State.Step);
        }
    }

    private bool Finished(long total) => State.Step >= total || State.EarlyStopped || _stopRequested;

    private void TrainStep(Tensor x, Tensor y, long total, IProgressSink progress)
    {
        Optimizer.ZeroGrad();
        (x, y) = (x.To(Options.Device), y.To(Options.Device));   // no copy when already there (the CPU by default)
        var (loss, logits) = _forward(x, y);
        if (loss.Numel != 1) throw new InvalidOperationException($"Trainer: the loss must be a single value, got shape {loss.Shape}; use reduction \"mean\" or \"sum\".");
        // Checked before the update, so a diverged batch does not write NaN into the weights.
        double lossValue = loss.Item();
        if (Options.FailOnNonFiniteLoss && !double.IsFinite(lossValue))
            throw new TrainingDivergedException(lossValue, State.Step + 1, $"Trainer: the loss became {lossValue} at step {State.Step + 1} (epoch {State.Epoch}, batch {State.BatchInEpoch}); lower the learning rate or clip gradients (TrainerOptions.ClipGradNorm), or set FailOnNonFiniteLoss = false.");
        loss.Backward();
        foreach (var cb in Callbacks) cb.OnBeforeStep(this);
        double? gradNorm = null;
        if (Options.ClipGradNorm is double maxNorm) gradNorm = ClipGrad.ClipGradNorm_(Model.Parameters(), maxNorm, Options.ClipNormType).Item();
        if (Options.ClipGradValue is double clip) ClipGrad.ClipGradValue_(Model.Parameters(), clip);
        double lr = Optimizer.ParamGroups[0].Lr;
        Optimizer.Step();

        long? correct = null;
        int samples = 0;
        if (Options.TrackAccuracy && logits is { Dim: 2, DType: DType.Float32 } l && y is { Dim: 1, DType: DType.Int64 } && y.Size(0) == l.Size(0))
            correct = Metrics.TopKCorrectValid(l.Detach(), y, 1, out samples);

        int batchIndex = State.BatchInEpoch;
        State.Step++;
        State.BatchInEpoch++;
        if (Scheduler is not null && Options.SchedulerInterval == SchedulerInterval.PerStep) Scheduler.Step();

        State.LastLoss = lossValue;
        State.WindowLossSum += lossValue;
        State.WindowSteps++;
        if (correct is long c) { State.WindowCorrect += c; State.WindowSamples += samples; }
        double? windowLoss = null, windowAcc = null;
        if (State.Step % Options.LogEvery == 0)
        {
            windowLoss = State.WindowLossSum / State.WindowSteps;
            if (State.WindowSamples > 0) windowAcc = (double)State.WindowCorrect / State.WindowSamples;
            State.WindowLossSum = 0; State.WindowSteps = 0; State.WindowCorrect = 0; State.WindowSamples = 0;
        }
        double? acc = correct is long cc && samples > 0 ? (double)cc / samples : null;
        var info = new StepInfo(State.Step, State.Epoch, batchIndex, lossValue, acc, lr, gradNorm, windowLoss, windowAcc);
        foreach (var cb in Callbacks) cb.OnStepEnd(this, info);
        progress.Step(new ProgressUpdate(State.Step, total, State.Epoch, lossValue, acc, lr));
    }

    private void EndEpoch()
    {
        int finished = State.Epoch;
        State.Epoch++;
        State.BatchInEpoch = 0;
        if (Scheduler is not null && Options.SchedulerInterval == SchedulerInterval.PerEpoch) Scheduler.Step();
        foreach (var cb in Callbacks) cb.OnEpochEnd(this, finished);
    }

    private void Evaluate(IProgressSink progress)
    {
        IReadOnlyDictionary<string, double> metrics;
        bool wasTraining = Model.Training;
        Model.Eval();
        try
        {
            using (Torch.NoGrad()) metrics = Options.Evaluate!();
        }
        finally { Model.Train(wasTraining); }
        State.LastEvalStep = State.Step;
        State.LastEvalMetrics = new Dictionary<string, double>(metrics, StringComparer.Ordinal);
        if (Options.EarlyStopping is { } es)
        {
            if (!metrics.TryGetValue(es.Metric, out double value))
                throw new InvalidOperationException($"Trainer: early stopping monitors '{es.Metric}', but the evaluation returned only: {string.Join(", ", metrics.Keys)}.");
            if (es.Improves(value, State.BestMetric))
            {
                State.BestMetric = value;
                State.BestStep = State.Step;
                State.EvalsWithoutImprovement = 0;
            }
            else if (++State.EvalsWithoutImprovement >= es.Patience) State.EarlyStopped = true;
        }
        foreach (var cb in Callbacks) cb.OnEvaluate(this, State.Step, metrics);
        progress.Evaluated(State.Step, metrics);
    }

    private static ForwardLoss ForwardOf(Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        return (x, y) =>
        {
            var output = model.Forward(x);
            return (loss(output, y), output);
        };
    }
}
