using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Training;

public class TrainerTests
{
    private static readonly Func<Tensor, Tensor, Tensor> Ce = (o, y) => F.CrossEntropy(o, y);

    /// <summary>Records every hook call, in order.</summary>
    private sealed class Recorder : ITrainerCallback
    {
        public readonly List<string> Events = new();
        public readonly List<StepInfo> Steps = new();
        public readonly List<(long Step, IReadOnlyDictionary<string, double> Metrics)> Evals = new();
        public Action<Trainer, StepInfo>? OnStep;
        public TrainingResult? Result;

        public void OnStepEnd(Trainer trainer, in StepInfo info) { Events.Add($"step{info.Step}"); Steps.Add(info); OnStep?.Invoke(trainer, info); }
        public void OnEvaluate(Trainer trainer, long step, IReadOnlyDictionary<string, double> metrics) { Events.Add($"eval{step}"); Evals.Add((step, metrics)); }
        public void OnEpochEnd(Trainer trainer, int epoch) => Events.Add($"epoch{epoch}");
        public void OnCheckpoint(Trainer trainer, long step) => Events.Add($"ckpt{step}");
        public void OnEnd(Trainer trainer, TrainingResult result) { Events.Add("end"); Result = result; }
    }

    [Fact]
    public void Fit_LearnsSeparableProblem_AndEvaluatesInEvalModeWithoutGrad()
    {
        var task = new SyntheticTask(400, seed: 1);
        var model = SyntheticTask.Mlp(11);
        var opt = new Adam(model.Parameters(), lr: 0.01);
        bool? evalTraining = null, evalGrad = null;
        var trainer = new Trainer(model, opt, Ce, new TrainerOptions
        {
            MaxEpochs = 8,
            Evaluate = () =>
            {
                evalTraining = model.Training;
                evalGrad = GradMode.IsEnabled;
                return Metrics.Evaluate(model, task.All(100));
            },
        });
        var result = trainer.Fit((e, s) => task.Epoch(e, s, 32), task.BatchesPerEpoch(32));

        Assert.Equal(8 * 12, result.Steps);
        Assert.Equal(8, result.Epochs);
        Assert.True(result.FinalMetrics["accuracy"] > 0.95, $"accuracy {result.FinalMetrics["accuracy"]}");
        Assert.Equal(1.0, result.FinalMetrics["top5"]); // 2 classes: the label is always in the top 5
        Assert.False(evalTraining);
        Assert.False(evalGrad);
        Assert.True(model.Training); // mode before Fit restored
        Assert.Equal(96, trainer.State.Step);
        Assert.Equal(0, trainer.State.BatchInEpoch);
    }

    [Fact]
    public void Fit_RestoresEvalModeOfCaller()
    {
        var task = new SyntheticTask(64, seed: 2);
        var model = SyntheticTask.Mlp(3);
        model.Eval();
        bool trainedInTrainMode = true;
        var rec = new Recorder { OnStep = (t, _) => trainedInTrainMode &= t.Model.Training };
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Ce, new TrainerOptions { MaxSteps = 3 });
        trainer.Callbacks.Add(rec);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        Assert.True(trainedInTrainMode);
        Assert.False(model.Training);
    }

    [Fact]
    public void Scheduler_PerStep_SetsLrOfEveryStep()
    {
        var task = new SyntheticTask(64, seed: 3);
        var model = SyntheticTask.Mlp(4);
        var opt = new Sgd(model.Parameters(), lr: 0.1);
        var sched = new StepLR(opt, stepSize: 3, gamma: 0.5);
        var rec = new Recorder();
        var trainer = new Trainer(model, opt, Ce, new TrainerOptions { MaxSteps = 10, Scheduler = sched, SchedulerInterval = SchedulerInterval.PerStep });
        trainer.Callbacks.Add(rec);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        // Step k (1-based) runs with lr = 0.1 * 0.5^floor((k-1)/3).
        var expected = Enumerable.Range(0, 10).Select(k => 0.1 * Math.Pow(0.5, k / 3)).ToArray();
        Assert.Equal(expected, rec.Steps.Select(s => s.Lr).ToArray());
        Assert.Equal(10, sched.LastEpoch);
    }

    [Fact]
    public void Scheduler_PerEpoch_ChangesLrOnlyAtEpochBoundaries()
    {
        var task = new SyntheticTask(64, seed: 3);
        var model = SyntheticTask.Mlp(4);
        var opt = new Sgd(model.Parameters(), lr: 0.1);
        var rec = new Recorder();
        var trainer = new Trainer(model, opt, Ce, new TrainerOptions { MaxEpochs = 3, Scheduler = new StepLR(opt, 1, 0.1) });
        trainer.Callbacks.Add(rec);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        var lrs = rec.Steps.Select(s => s.Lr).ToArray();
        Assert.Equal(12, lrs.Length);
        for (int k = 0; k < 12; k++) Assert.Equal(0.1 * Math.Pow(0.1, k / 4), lrs[k], 15);
        Assert.Equal(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, rec.Steps.Select(s => s.Epoch).ToArray());
        Assert.Equal(new[] { 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3 }, rec.Steps.Select(s => s.BatchInEpoch).ToArray());
    }

    [Fact]
    public void ClipGradNorm_BoundsTheNormSeenByTheOptimizer()
    {
        var task = new SyntheticTask(64, seed: 5);
        var model = SyntheticTask.Mlp(6);
        const double max = 0.05;
        var norms = new List<(double Before, double After)>();
        var rec = new Recorder { OnStep = (t, info) => norms.Add((info.GradNorm!.Value, TotalNorm(t.Model))) };
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.5), Ce, new TrainerOptions { MaxSteps = 8, ClipGradNorm = max });
        trainer.Callbacks.Add(rec);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        Assert.Equal(8, norms.Count);
        Assert.Contains(norms, n => n.Before > max); // clipping actually happened
        foreach (var (before, after) in norms)
        {
            Assert.True(after <= max * (1 + 1e-5), $"norm after clipping {after} > {max}");
            if (before <= max) Assert.Equal(before, after, 5); // untouched below the bound
        }
    }

    [Fact]
    public void ClipGradValue_BoundsEveryElement()
    {
        var task = new SyntheticTask(64, seed: 5);
        var model = SyntheticTask.Mlp(6);
        double maxAbs = 0;
        var rec = new Recorder { OnStep = (t, _) => { foreach (var p in t.Model.Parameters()) foreach (var g in p.Grad!.ToArray()) maxAbs = Math.Max(maxAbs, Math.Abs(g)); } };
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.5), Ce, new TrainerOptions { MaxSteps = 4, ClipGradValue = 1e-3 });
        trainer.Callbacks.Add(rec);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        Assert.Equal(1e-3, maxAbs, 6); // reached (gradients are larger) and never exceeded
    }

    private static double TotalNorm(Module m)
    {
        double s = 0;
        foreach (var p in m.Parameters()) foreach (var g in p.Grad!.ToArray()) s += (double)g * g;
        return Math.Sqrt(s);
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatienceEvaluationsWithoutImprovement()
    {
        var task = new SyntheticTask(64, seed: 7);
        var model = SyntheticTask.Mlp(8);
        // Scripted metric: improves for 3 evaluations, then stalls.
        var script = new[] { 0.5, 0.6, 0.7, 0.7, 0.69, 0.71 };
        int calls = 0;
        var rec = new Recorder();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.01), Ce, new TrainerOptions
        {
            MaxSteps = 1000,
            EvalEvery = 5,
            Evaluate = () => new Dictionary<string, double> { ["accuracy"] = script[calls++] },
            EarlyStopping = new EarlyStopping("accuracy", Patience: 2, Maximize: true),
        });
        trainer.Callbacks.Add(rec);
        var result = trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        Assert.True(result.EarlyStopped);
        Assert.Equal(25, result.Steps); // evals at 5..25; 0.7 at 15 is best, 20 and 25 do not improve
        Assert.Equal(0.7, result.BestMetric);
        Assert.Equal(15, result.BestStep);
        Assert.Equal(5, calls); // no extra final evaluation: the last one was at the final step
        Assert.Equal(0.69, result.FinalMetrics["accuracy"]);
        Assert.Equal("end", rec.Events[^1]);
    }

    [Fact]
    public void Callbacks_FollowDocumentedOrder_AndCheckpointsSkipTheFinalStep()
    {
        var task = new SyntheticTask(64, seed: 9);
        var model = SyntheticTask.Mlp(10);
        var rec = new Recorder();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.01), Ce, new TrainerOptions
        {
            MaxSteps = 8,
            EvalEvery = 4,
            CheckpointEvery = 2,
            Evaluate = () => new Dictionary<string, double> { ["x"] = 1 },
        });
        trainer.Callbacks.Add(rec);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        Assert.Equal(new[]
        {
            "step1", "step2", "ckpt2", "step3", "step4", "epoch0", "eval4", "ckpt4", "step5", "step6", "ckpt6", "step7", "step8", "epoch1", "eval8", "end",
        }, rec.Events);
    }

    [Fact]
    public void WindowLoss_IsMeanOfLastLogEverySteps()
    {
        var task = new SyntheticTask(64, seed: 9);
        var model = SyntheticTask.Mlp(10);
        var rec = new Recorder();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.01), Ce, new TrainerOptions { MaxSteps = 6, LogEvery = 3 });
        trainer.Callbacks.Add(rec);
        trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        var s = rec.Steps;
        Assert.Null(s[0].WindowLoss);
        Assert.Null(s[1].WindowLoss);
        Assert.Equal((s[0].Loss + s[1].Loss + s[2].Loss) / 3, s[2].WindowLoss!.Value, 12);
        Assert.Equal((s[3].Loss + s[4].Loss + s[5].Loss) / 3, s[5].WindowLoss!.Value, 12);
        double acc = (s[3].Accuracy!.Value + s[4].Accuracy!.Value + s[5].Accuracy!.Value) / 3; // equal batch sizes
        Assert.Equal(acc, s[5].WindowAccuracy!.Value, 12);
    }

    [Fact]
    public void CustomForward_AndRequestStop()
    {
        var task = new SyntheticTask(64, seed: 9);
        var model = SyntheticTask.Mlp(10);
        var rec = new Recorder { OnStep = (t, i) => { if (i.Step == 3) t.RequestStop(); } };
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.01), (x, y) => (F.CrossEntropy(model.Forward(x), y), null), new TrainerOptions { MaxSteps = 100 });
        trainer.Callbacks.Add(rec);
        var r = trainer.Fit((e, s) => task.Epoch(e, s, 16), 4);
        Assert.Equal(3, r.Steps);
        Assert.All(rec.Steps, s => Assert.Null(s.Accuracy)); // no logits returned: no accuracy
    }

    [Fact]
    public void Errors_AreClear()
    {
        var task = new SyntheticTask(64, seed: 9);
        var model = SyntheticTask.Mlp(10);
        var opt = new Sgd(model.Parameters(), lr: 0.01);
        Assert.Contains("MaxSteps or MaxEpochs", Assert.Throws<ArgumentException>(() => new Trainer(model, opt, Ce, new TrainerOptions())).Message);
        Assert.Contains("needs TrainerOptions.Evaluate", Assert.Throws<ArgumentException>(() => new Trainer(model, opt, Ce,
            new TrainerOptions { MaxSteps = 1, EarlyStopping = new EarlyStopping("loss", 1, false) })).Message);
        var other = new Sgd(SyntheticTask.Mlp(1).Parameters(), lr: 0.1);
        Assert.Contains("different optimizer", Assert.Throws<ArgumentException>(() => new Trainer(model, opt, Ce,
            new TrainerOptions { MaxSteps = 1, Scheduler = new StepLR(other, 1) })).Message);

        var t = new Trainer(model, opt, Ce, new TrainerOptions { MaxSteps = 100 });
        var ex = Assert.Throws<InvalidOperationException>(() => t.Fit((e, s) => task.Epoch(e, s, 16).Take(2), 4));
        Assert.Contains("yielded only 2 batches for epoch 0, but batchesPerEpoch is 4", ex.Message);

        var nan = new Trainer(model, opt, (o, y) => F.CrossEntropy(o, y) * float.NaN, new TrainerOptions { MaxSteps = 3 });
        Assert.Contains("loss became NaN at step 1", Assert.Throws<TrainingDivergedException>(() => nan.Fit((e, s) => task.Epoch(e, s, 16), 4)).Message);

        var es = new Trainer(model, opt, Ce, new TrainerOptions
        {
            MaxSteps = 3, EvalEvery = 1, Evaluate = () => new Dictionary<string, double> { ["acc"] = 1 },
            EarlyStopping = new EarlyStopping("accuracy", 1, true),
        });
        Assert.Contains("returned only: acc", Assert.Throws<InvalidOperationException>(() => es.Fit((e, s) => task.Epoch(e, s, 16), 4)).Message);
        Assert.True(model.Training);
    }

    [Fact]
    public void A_run_resumed_after_its_last_step_reports_the_loss_its_checkpoint_kept()
    {
        var task = new SyntheticTask(64, seed: 3);
        Trainer NewTrainer(out LastLossCallback last)
        {
            var model = SyntheticTask.Mlp(5);
            var t = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Ce, new TrainerOptions { MaxSteps = 6 });
            last = new LastLossCallback();
            t.Callbacks.Add(last);
            return t;
        }
        var first = NewTrainer(out var lastFirst);
        first.Fit((e, s) => task.Epoch(e, s, 16), task.BatchesPerEpoch(16));
        Assert.False(double.IsNaN(lastFirst.Value));
        Assert.Equal(lastFirst.Value, first.State.LastLoss);

        // The process died after the final checkpoint, before the run was marked complete: the resumed Fit takes no step.
        var ckpt = TrainerCheckpoint.Capture(first);
        var resumed = NewTrainer(out var lastResumed);
        TrainerCheckpoint.Restore(resumed, ckpt);
        var r = resumed.Fit((e, s) => task.Epoch(e, s, 16), task.BatchesPerEpoch(16));
        Assert.Equal(0, r.StepsThisRun);
        Assert.Equal(lastFirst.Value, lastResumed.Value);
    }

    [Fact]
    public void TrainerState_JsonRoundTripsExactly()
    {
        var s = new TrainerState
        {
            Step = 123, Epoch = 4, BatchInEpoch = 7, BestMetric = 0.1 + 0.2, BestStep = 100, EvalsWithoutImprovement = 2,
            EarlyStopped = true, WindowLossSum = Math.PI, WindowSteps = 3, WindowCorrect = 90, WindowSamples = 96, LastEvalStep = 120,
            LastLoss = 1.0 / 7,
        };
        s.LastEvalMetrics["loss"] = double.NaN;
        s.LastEvalMetrics["accuracy"] = 1.0 / 3;
        s.RngStates["dropout"] = new Generator(5).GetState();
        var r = TrainerState.FromJson(s.ToJson());
        Assert.Equal(s.ToJson(), r.ToJson());
        Assert.Equal(0.1 + 0.2, r.BestMetric);
        Assert.Equal(Math.PI, r.WindowLossSum);
        Assert.Equal(1.0 / 7, r.LastLoss);
        // A checkpoint written before the last loss was kept reads back without it.
        var old = System.Text.Json.Nodes.JsonNode.Parse(s.ToJson())!.AsObject();
        Assert.True(old.Remove("last_loss"));
        Assert.True(double.IsNaN(TrainerState.FromJson(old.ToJsonString()).LastLoss));
        Assert.True(double.IsNaN(r.LastEvalMetrics["loss"]));
        Assert.Equal(s.RngStates["dropout"], r.RngStates["dropout"]);
        Assert.DoesNotContain("rng", s.ToJson(includeRng: false));
        Assert.Throws<ArgumentException>(() => TrainerState.FromJson("{\"step\":1}"));
        Assert.Throws<ArgumentException>(() => TrainerState.ParseRng("01-02", "g"));
    }
}
