using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Optim;
using ResearchKit.Training;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Training;

/// <summary>
/// An interrupted run resumed from its checkpoint must end bit-identical to an uninterrupted one: Adam moments, the
/// per-step LR schedule, dropout masks from their own generator, per-batch data noise from another generator, the
/// loader position mid-epoch, early-stopping counters and the logging window all have to be restored.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private const string Json = "{\"recipe\":\"resume-test\"}";
    private readonly string _dir = Directory.CreateTempSubdirectory("rk-trainer-").FullName;
    private readonly SyntheticTask _train = new(400, seed: 1);
    private readonly SyntheticTask _test = new(100, seed: 1, split: 1);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Crash(long atStep) : ITrainerCallback
    {
        public void OnStepEnd(Trainer trainer, in StepInfo info)
        {
            if (info.Step == atStep) throw new InvalidOperationException($"simulated kill at step {atStep}");
        }
    }

    /// <summary>The recipe: everything built fresh on every call, as a new process would.</summary>
    private IReadOnlyDictionary<string, double> Recipe(ExperimentContext ctx, long crashAt, List<float[]> weights, bool registerNoise = true)
    {
        var dropout = new Generator(21);
        var noise = new Generator(22);
        var model = SyntheticTask.Mlp(11, dropout, p: 0.3f);
        var opt = new Adam(model.Parameters(), lr: 0.02);
        var sched = new StepLR(opt, stepSize: 25, gamma: 0.5);
        var gens = new Dictionary<string, Generator> { ["dropout"] = dropout };
        if (registerNoise) gens["noise"] = noise;
        var trainer = new Trainer(model, opt, (o, y) => F.CrossEntropy(o, y), new TrainerOptions
        {
            MaxSteps = 60,
            Scheduler = sched,
            SchedulerInterval = SchedulerInterval.PerStep,
            ClipGradNorm = 2.0,
            EvalEvery = 20,
            Evaluate = () => Metrics.Evaluate(model, _test.All(50)),
            EarlyStopping = new EarlyStopping("loss", Patience: 10, Maximize: false),
            CheckpointEvery = 10,
            LogEvery = 4, // windows straddle the checkpoint at step 30
            Generators = gens,
        });
        bool restored = ctx.Attach(trainer);
        Assert.Equal(ctx.Resumed, restored);
        if (crashAt > 0) trainer.Callbacks.Add(new Crash(crashAt));
        var result = trainer.Fit((e, s) => _train.Epoch(e, s, 32, noise: noise), _train.BatchesPerEpoch(32));
        weights.Clear();
        foreach (var p in model.Parameters()) weights.Add(p.ToArray());
        return result.FinalMetrics;
    }

    private static void AssertBitIdentical(List<float[]> expected, List<float[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i].Select(BitConverter.SingleToInt32Bits), actual[i].Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void KilledAndResumedRun_EqualsUninterruptedRun_BitForBit()
    {
        // 400 samples / 32 = 12 batches per epoch: the checkpoint at step 30 is mid-epoch (epoch 2, batch 6).
        using var straight = new InMemoryRunStore(Path.Combine(_dir));
        var wA = new List<float[]>();
        var a = ExperimentRunner.Run(straight, Json, "h", ctx => Recipe(ctx, 0, wA));
        Assert.False(a.Resumed);
        Assert.True(a.FinalMetrics["accuracy"] > 0.9, $"accuracy {a.FinalMetrics["accuracy"]}");

        var dirB = Directory.CreateDirectory(Path.Combine(_dir, "b")).FullName;
        using var killed = new InMemoryRunStore(dirB);
        var wB = new List<float[]>();
        var ex = Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(killed, Json, "h", ctx => Recipe(ctx, 37, wB)));
        Assert.Contains("simulated kill at step 37", ex.Message);
        Assert.Equal(RunStatus.Failed, killed.Find("h")!.Status);
        Assert.Equal(30, killed.LatestCheckpoint(1)!.Step);
        Assert.Contains(killed.Metrics(1), p => p.Step > 30); // points logged after the checkpoint exist until the resume

        var b = ExperimentRunner.Run(killed, Json, "h", ctx => Recipe(ctx, 0, wB));
        Assert.True(b.Resumed);
        AssertBitIdentical(wA, wB);
        Assert.Equal(a.FinalMetrics, b.FinalMetrics);
        Assert.Equal(a.Metrics, b.Metrics); // same points, same steps, same values, nothing duplicated
        Assert.Contains(b.Metrics, p => p.Name == "train/loss" && p.Step == 32); // the window open at the checkpoint
        Assert.Contains(b.Metrics, p => p.Name == "eval/accuracy" && p.Step == 40);
        Assert.Equal(new[] { 0.02, 0.02, 0.01, 0.005 }, b.Series("train/lr").Where(p => p.Step is 4 or 24 or 28 or 52).Select(p => p.Value).ToArray());
    }

    [Fact]
    public void ResumeWithoutRestoringTheNoiseGenerator_Diverges()
    {
        // Control: the noise generator's state is what makes the remaining batches identical.
        using var straight = new InMemoryRunStore();
        var wA = new List<float[]>();
        ExperimentRunner.Run(straight, Json, "h", ctx => Recipe(ctx, 0, wA, registerNoise: false));
        using var killed = new InMemoryRunStore();
        var wB = new List<float[]>();
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(killed, Json, "h", ctx => Recipe(ctx, 31, wB, registerNoise: false)));
        ExperimentRunner.Run(killed, Json, "h", ctx => Recipe(ctx, 0, wB, registerNoise: false));
        Assert.NotEqual(wA[0], wB[0]);
    }

    [Fact]
    public void Checkpoint_HoldsDocumentedEntries_AndRestoreValidates()
    {
        var dropout = new Generator(3);
        var model = SyntheticTask.Mlp(4, dropout);
        var opt = new Adam(model.Parameters(), lr: 0.01);
        var sched = new StepLR(opt, 5);
        var trainer = new Trainer(model, opt, (o, y) => F.CrossEntropy(o, y), new TrainerOptions
        {
            MaxSteps = 5, Scheduler = sched, SchedulerInterval = SchedulerInterval.PerStep, Generators = new Dictionary<string, Generator> { ["dropout"] = dropout },
        });
        trainer.Fit((e, s) => _train.Epoch(e, s, 32), _train.BatchesPerEpoch(32));
        var c = TrainerCheckpoint.Capture(trainer, new Dictionary<string, string> { ["note"] = "hi" }, new Dictionary<string, Tensor> { ["h"] = Tensor.Zeros(2) });
        Assert.Equal(5, c.Step);
        Assert.Contains("model.0.weight", c.Tensors.Keys);
        Assert.Contains("optim.state.0.exp_avg_sq", c.Tensors.Keys);
        Assert.Contains("optim.state.0.step", c.Tensors.Keys);
        Assert.Equal("hi", TrainerCheckpoint.ExtraMetadata(c, "note"));
        Assert.NotNull(TrainerCheckpoint.ExtraTensor(c, "h"));
        Assert.Equal(TrainerState.FormatRng(dropout.GetState()), c.Metadata["rng.dropout"]);
        Assert.Equal(5, TrainerState.FromJson(c.Metadata["trainer.state"]).Step);
        Assert.Contains("\"last_epoch\":5", c.Metadata["scheduler"]);
        Assert.False(ReferenceEquals(c.Tensors["model.0.weight"], model.StateDict()["0.weight"])); // a copy

        // Fresh objects: same numbers after restore.
        var dropout2 = new Generator(99);
        var model2 = SyntheticTask.Mlp(77, dropout2);
        var opt2 = new Adam(model2.Parameters(), lr: 0.01);
        var t2 = new Trainer(model2, opt2, (o, y) => F.CrossEntropy(o, y), new TrainerOptions
        {
            MaxSteps = 5, Scheduler = new StepLR(opt2, 5), Generators = new Dictionary<string, Generator> { ["dropout"] = dropout2 },
        });
        TrainerCheckpoint.Restore(t2, c);
        Assert.Equal(model.StateDict()["0.weight"].ToArray(), model2.StateDict()["0.weight"].ToArray());
        Assert.Equal(dropout.GetState(), dropout2.GetState());
        Assert.Equal(opt.ParamGroups[0].Lr, opt2.ParamGroups[0].Lr);
        Assert.Equal(5, t2.State.Step);

        var noSched = new Trainer(model2, opt2, (o, y) => F.CrossEntropy(o, y), new TrainerOptions { MaxSteps = 5, Generators = new Dictionary<string, Generator> { ["dropout"] = dropout2 } });
        Assert.Contains("no scheduler was given", Assert.Throws<ArgumentException>(() => TrainerCheckpoint.Restore(noSched, c)).Message);
        var extraGen = new Trainer(model2, opt2, (o, y) => F.CrossEntropy(o, y), new TrainerOptions
        {
            MaxSteps = 5, Scheduler = new StepLR(opt2, 5), Generators = new Dictionary<string, Generator> { ["dropout"] = dropout2, ["aug"] = new Generator(1) },
        });
        Assert.Contains("no state for generator 'aug'", Assert.Throws<ArgumentException>(() => TrainerCheckpoint.Restore(extraGen, c)).Message);
        var wrongModel = SyntheticTask.Mlp(1);
        Assert.Throws<ArgumentException>(() => TrainerCheckpoint.Restore(c, new ResearchKit.Tensors.Nn.Linear(3, 3), opt2, null, null));
    }
}
