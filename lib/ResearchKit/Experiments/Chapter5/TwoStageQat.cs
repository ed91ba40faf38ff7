using System.Globalization;
using ResearchKit.Data;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;

namespace ResearchKit.Experiments.Chapter5;

/// <summary>
/// The two-stage QAT procedure of Alg. 5 (§5.2.1, §5.3; protocols §2.4): <b>Training I</b> trains in float with the weights
/// clamped in the forward pass (Eq. 5.2, plus Scaled-Adjust Eq. 5.5 on the layer not followed by batch norm); <b>Training II</b>
/// starts from Training I's weights, converts the model with <see cref="ModelQuantizer.Quantize"/> and
/// <see cref="QuantSpec.DoReFaPact"/> (W-bit DoReFa weights, A-bit PACT activations, 8-bit first conv / last layer / last
/// activation, §5.4.1), and trains again with the same loss and SGD. ΔP (Eq. 5.10) compares the two.
/// </summary>
/// <remarks>
/// <para>The float parameters are the same tensor instances throughout: Training I wraps every conv and linear in a
/// <see cref="SharedQuantConv2d"/> / <see cref="SharedQuantLinear"/> carrying a <see cref="SatWeightClamp"/>;
/// <see cref="RemoveClamp"/> puts the original layers back, and Training II's conversion shares them again.</para>
/// <para>Each stage gets a fresh SGD (Alg. 5 line 16) over all parameters of the network and head (PACT's α included in
/// Training II), with the cosine schedule of <see cref="QatTraining.Cosine"/>. A run is not checkpointed mid-way: an
/// interrupted run trains again from the start.</para>
/// </remarks>
public static class TwoStageQat
{
    /// <summary>Training I's conversion: every conv/linear of the model forwards Clamp(W) (the final linear also Scaled-Adjust when <see cref="QatTraining.ScaledAdjustLast"/>).</summary>
    /// <exception cref="InvalidOperationException">The model is already clamped or quantized.</exception>
    public static void ApplyClamp(QatNetwork net, QatTraining settings)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(settings);
        if (net.Model.Modules().Any(m => m is SharedQuantConv2d or SharedQuantLinear or QuantAct))
            throw new InvalidOperationException("TwoStageQat.ApplyClamp: the model is already clamped or quantized; apply the clamp once, to a float model.");
        var last = net.Classifier;
        net.Model.Replace<Module>(m => m switch
        {
            Conv2d c => new SharedQuantConv2d(c, new SatWeightClamp(settings.Clamp)),
            Linear l => new SharedQuantLinear(l, new SatWeightClamp(settings.Clamp, settings.ScaledAdjustLast && ReferenceEquals(l, last))),
            _ => m,
        }, (_, m) => m is Conv2d or Linear);
    }

    /// <summary>Undoes <see cref="ApplyClamp"/>: the original float layers (same tensors) come back.</summary>
    public static void RemoveClamp(QatNetwork net)
    {
        ArgumentNullException.ThrowIfNull(net);
        net.Model.Replace<Module>(m => m switch
        {
            SharedQuantConv2d c => c.Source,
            SharedQuantLinear l => l.Source,
            _ => m,
        }, (_, m) => m is SharedQuantConv2d { WeightQuant: SatWeightClamp } or SharedQuantLinear { WeightQuant: SatWeightClamp });
    }

    /// <summary>
    /// Training II's quantization spec, by <see cref="QatTraining.Method"/>: <see cref="QatMethod.Sat"/> =
    /// <see cref="QuantSpec.DoReFaPact"/>(W, A) with residuals at A bits (the thesis'); <see cref="QatMethod.Pact"/> = the same
    /// quantizers with 32-bit residuals; <see cref="QatMethod.Lsq"/> = <see cref="QuantSpec.Lsq"/>(W, A) with 32-bit residuals
    /// (Table 5.4's "*"). With DoReFa weights, Scaled-Adjust (Eq. 5.5) goes on the final linear layer's weight when
    /// <see cref="QatTraining.ScaledAdjustLast"/> (Alg. 5 line 11: layers not followed by BN); LSQ learns its step instead.
    /// </summary>
    public static QuantSpec Spec(QatNetwork net, QatTraining settings)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Method == QatMethod.Lsq) return QuantSpec.Lsq(settings.WeightBits, settings.ActivationBits, quantizeResidualAdds: false);
        var spec = QuantSpec.DoReFaPact(settings.WeightBits, settings.ActivationBits);
        if (settings.Method == QatMethod.Pact) spec = spec with { QuantizeResidualAdds = false };
        if (!settings.ScaledAdjustLast) return spec;
        var lastWeight = FloatClassifier(net).Weight;
        return spec with { WeightQuantizer = (b, w) => new DoReFaWeightQuantizer(b, scaledAdjust: ReferenceEquals(w, lastWeight)) };
    }

    /// <summary>Training II's conversion of the (float, unclamped) model in place (§5.4.1 precision exceptions).</summary>
    /// <remarks>The quantizers' own parameters (PACT's α, LSQ's steps) are created where the network's parameters are.</remarks>
    public static IReadOnlyList<QuantSite> Quantize(QatNetwork net, QatTraining settings)
    {
        ArgumentNullException.ThrowIfNull(net);
        var device = net.DeviceOf();
        var sites = ModelQuantizer.Quantize(net.Model, Spec(net, settings));
        if (!device.IsCpu) net.To(device);
        return sites;
    }

    /// <summary>Trains one stage: SGD over all of <paramref name="net"/>'s parameters, cosine LR, the head's loss.</summary>
    /// <param name="net">The network, already clamped (Training I) or quantized (Training II).</param>
    /// <param name="train">Training batches.</param>
    /// <param name="settings">Steps/epochs, lr, momentum, weight decay.</param>
    /// <param name="stage">1 or 2: names the logged metrics ("train1/loss", "train2/loss").</param>
    /// <param name="progress">Progress display.</param>
    /// <param name="context">Where to log the losses, or null.</param>
    /// <returns>The loss of the last step.</returns>
    public static double TrainStage(QatNetwork net, DataLoader train, QatTraining settings, int stage, IProgressSink? progress = null, ExperimentContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(settings);
        var opt = new Sgd(net.Parameters(), lr: settings.Lr, momentum: settings.Momentum, weightDecay: settings.WeightDecay);
        long total = settings.Steps ?? (long)settings.Epochs * train.BatchesPerEpoch;
        if (total < 1) throw new ArgumentException($"TwoStageQat.TrainStage: a stage must train at least one step, got {total}; set QatTraining.Steps or Epochs ≥ 1.", nameof(settings));
        var recorder = new LossRecorder(stage, context);
        var trainer = new Trainer(net, opt, (x, y) => (net.Loss(x, y), null), new TrainerOptions
        {
            MaxSteps = settings.Steps,
            MaxEpochs = settings.Steps is null ? settings.Epochs : null,
            Scheduler = Scheduler(opt, settings, total),
            SchedulerInterval = SchedulerInterval.PerStep,
            EvalAtEnd = false,
            TrackAccuracy = false,
            LogEvery = settings.LogEvery,
            Progress = progress ?? SilentProgressSink.Instance,
            Description = stage == 1 ? $"Training I (float, {net.Head.Kind})" : $"Training II (W{settings.WeightBits}/A{settings.ActivationBits}, {net.Head.Kind})",
            Device = net.DeviceOf(),   // where the caller put the network (net.To(device)); each batch follows
        });
        trainer.Callbacks.Add(recorder);
        trainer.Fit((e, s) => train.Epoch(e, s).Select(b => (b.Images, b.Labels)), train.BatchesPerEpoch);
        context?.Flush();
        return recorder.Last;
    }

    /// <summary>
    /// The learning-rate schedule of <paramref name="settings"/> over <paramref name="totalSteps"/> steps, stepped per step:
    /// ×0.1 at the fractions <see cref="QatTraining.LrDecayAt"/>, else cosine to 0 when <see cref="QatTraining.Cosine"/>, else none.
    /// </summary>
    public static LrScheduler? Scheduler(Optimizer optimizer, QatTraining settings, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.LrDecayAt is { } at ? new MultiStepLR(optimizer, at.Select(f => (int)Math.Round(f * totalSteps)), 0.1)
            : settings.Cosine ? new CosineAnnealingLR(optimizer, (int)Math.Min(totalSteps, int.MaxValue)) : null;
    }

    /// <summary>Checkpoint metadata key naming the stage whose weights a checkpoint holds ("training1", "training2").</summary>
    public const string StageKey = "stage";

    /// <summary>
    /// Training I inside a recipe run: clamp, train (or, when the run was interrupted after saving its weights, load them
    /// instead of training again), evaluate, unclamp, and save the float weights as the run's checkpoint (stage "training1",
    /// with the loss), which every Training II of the same settings loads.
    /// </summary>
    /// <returns>The last training loss and the test accuracy of the clamped network.</returns>
    public static (double Loss, double Accuracy) TrainingIInRun(ExperimentContext ctx, QatNetwork net, DataLoader train, DataLoader test, QatTraining settings, IProgressSink? progress)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(settings);
        double loss;
        if (ctx.LatestCheckpoint() is { } done && done.Metadata.TryGetValue(StageKey, out var st) && st == "training1")
        {
            net.LoadStateDict(done.Tensors);
            loss = double.Parse(done.Metadata["float_loss"], CultureInfo.InvariantCulture);
            ApplyClamp(net, settings);
        }
        else
        {
            ApplyClamp(net, settings);
            loss = TrainStage(net, train, settings, 1, progress, ctx);
        }
        double acc = Evaluate(net, test);
        RemoveClamp(net);
        ctx.SaveCheckpoint(new Runs.Checkpoint(Math.Max(1, settings.Steps ?? settings.Epochs), net.StateDict(), new Dictionary<string, string>
        {
            [StageKey] = "training1",
            ["float_loss"] = loss.ToString("R", CultureInfo.InvariantCulture),
        }));
        return (loss, acc);
    }

    /// <summary>
    /// Training II inside a recipe run: load Training I's float weights into <paramref name="net"/>, convert it to
    /// W/A bits, train the quantized network and evaluate it. The caller saves the checkpoint and its metrics.
    /// </summary>
    /// <returns>The last training loss and the test accuracy of the quantized network.</returns>
    public static (double Loss, double Accuracy) TrainingIIFrom(Runs.Checkpoint trainingI, QatNetwork net, DataLoader train, DataLoader test, QatTraining settings, IProgressSink? progress, ExperimentContext? ctx)
    {
        ArgumentNullException.ThrowIfNull(trainingI);
        ArgumentNullException.ThrowIfNull(net);
        net.LoadStateDict(trainingI.Tensors);
        Quantize(net, settings);
        double loss = TrainStage(net, train, settings, 2, progress, ctx);
        return (loss, Evaluate(net, test));
    }

    /// <summary>Top-1 accuracy (fraction) of <paramref name="net"/>'s <see cref="ClassifierHead.Predict"/> on <paramref name="test"/>, in eval mode.</summary>
    public static double Evaluate(QatNetwork net, DataLoader test) => Evaluate(net, test, batchStatistics: false);

    /// <summary>
    /// As <see cref="Evaluate(QatNetwork, DataLoader)"/>, but every test batch is normalized by its own batch-norm statistics
    /// (training mode, no gradient), as a training-mode forward such as AdaQAT's bit-width probe sees the network. The running
    /// statistics are put back afterwards. The gap to the eval-mode accuracy is what the running statistics cost at deployment.
    /// </summary>
    public static double EvaluateWithBatchStatistics(QatNetwork net, DataLoader test) => Evaluate(net, test, batchStatistics: true);

    private static double Evaluate(QatNetwork net, DataLoader test, bool batchStatistics)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(test);
        bool was = net.Training;
        var device = net.DeviceOf();
        var saved = batchStatistics ? net.NamedBuffers().Select(b => (b.Buffer, Copy: b.Buffer.Clone())).ToList() : null;
        net.Train(batchStatistics);
        long correct = 0, n = 0;
        try
        {
            using (Torch.NoGrad())
                foreach (var b in test.Epoch(0))
                {
                    var pred = net.Head.Predict(net.Features(device.IsCpu ? b.Images : b.Images.To(device))).ToInt64Array();
                    var y = b.Labels.ToInt64Array();
                    for (int i = 0; i < y.Length; i++) if (pred[i] == y[i]) correct++;
                    n += y.Length;
                }
        }
        finally
        {
            if (saved is not null) foreach (var (buffer, copy) in saved) buffer.CopyFrom(copy);
            net.Train(was);
        }
        if (n == 0) throw new ArgumentException("TwoStageQat.Evaluate: the test loader gave no batch; pass a non-empty test set.", nameof(test));
        return (double)correct / n;
    }

    /// <summary>
    /// Alg. 5 end to end on a float network: clamp, Training I, evaluate (Acc^float32), remove the clamp, quantize with
    /// <see cref="Spec"/>, Training II from the same weights, evaluate (Acc^quant). ΔP in <see cref="QatResult.DeltaP"/>.
    /// </summary>
    /// <param name="net">A float network (not yet converted).</param>
    /// <param name="train">Training batches (both stages).</param>
    /// <param name="test">Test batches.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="progress">Progress display.</param>
    /// <param name="context">Where to log "train1/loss", "train2/loss", "eval/float_accuracy", "eval/quant_accuracy", "eval/delta_p".</param>
    public static QatResult Run(QatNetwork net, DataLoader train, DataLoader test, QatTraining settings, IProgressSink? progress = null, ExperimentContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(settings);
        if (net.Head.Kind != settings.Loss)
            throw new ArgumentException($"TwoStageQat.Run: the network's head trains {net.Head.Kind} but the settings say {settings.Loss}; build the QatNetwork with settings.Loss.", nameof(settings));
        ApplyClamp(net, settings);
        double loss1 = TrainStage(net, train, settings, 1, progress, context);
        double acc1 = Evaluate(net, test);
        RemoveClamp(net);
        Quantize(net, settings);
        double loss2 = TrainStage(net, train, settings, 2, progress, context);
        double acc2 = Evaluate(net, test);
        var r = new QatResult(acc1, acc2, loss1, loss2);
        if (context is not null)
        {
            context.LogMetric(0, "eval/float_accuracy", acc1);
            context.LogMetric(0, "eval/quant_accuracy", acc2);
            context.LogMetric(0, "eval/delta_p", r.DeltaP);
            context.Flush();
        }
        return r;
    }

    private static Linear FloatClassifier(QatNetwork net) => net.Classifier switch
    {
        Linear l => l,
        SharedQuantLinear s => s.Source,
        var m => throw new InvalidOperationException($"TwoStageQat: the final layer is a {m.GetType().Name}, not a Linear; build the model with the standard layers."),
    };

    private sealed class LossRecorder(int stage, ExperimentContext? context) : ITrainerCallback
    {
        public double Last { get; private set; } = double.NaN;

        public void OnStepEnd(Trainer trainer, in StepInfo info)
        {
            Last = info.Loss;
            if (context is not null && (info.Step % Math.Max(1, trainer.Options.LogEvery) == 0 || info.Step == 1))
                context.LogMetric(info.Step, $"train{stage}/loss", info.Loss);
        }
    }
}
