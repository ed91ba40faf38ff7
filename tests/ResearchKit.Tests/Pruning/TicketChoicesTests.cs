using ResearchKit.Pruning;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tests.Training;
using ResearchKit.Training;
using Xunit;
using static ResearchKit.Tests.Pruning.PruningTestUtil;

namespace ResearchKit.Tests.Pruning;

/// <summary>The settings of a ticket search where the thesis is silent: optimizer state between rounds and mask enforcement.</summary>
public sealed class TicketChoicesTests : IDisposable
{
    private static readonly double[] P = [0.3, 0.6];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rk-choices-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private sealed class Crash : Exception;

    /// <summary>A search whose rounds run 4 SGD-with-momentum steps on generator-drawn gradients; records the momentum of the first parameter at each round's start and end.</summary>
    private sealed class Harness
    {
        public readonly Generator Init = new(7), Noise = new(8);
        public readonly List<float[]?> StartMomentum = new(), EndMomentum = new();
        public readonly List<double> StartLr = new();
        public int CrashAtRound = -1;
        public bool SkipPrepare;
        public readonly TicketSearch Search;

        public Harness(RoundOptimizerState state, string? dir = null)
        {
            var probe = new TinyLstm(new Generator(0));
            var config = new TicketConfig(TicketConfiguration.WinningTicket, PruningPlan.Recurrent(probe, 0, 0)) { Objectives = P, OptimizerState = state };
            Search = new TicketSearch(config, () => new TinyLstm(Init), Train)
            {
                CheckpointDirectory = dir,
                Generators = new Dictionary<string, Generator> { ["init"] = Init, ["noise"] = Noise },
            };
        }

        private RoundResult Train(Module model, PruningMasks masks, RoundContext ctx)
        {
            if (ctx.Round == CrashAtRound) throw new Crash();
            var sgd = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
            var opt = SkipPrepare ? sgd : ctx.Prepare(sgd);
            var first = model.Parameters().First();
            StartMomentum.Add(opt.GetState(first)?.Buffers.Single().Value.ToArray());
            StartLr.Add(opt.ParamGroups[0].Lr);
            for (int s = 1; s <= 4; s++)
            {
                foreach (var p in model.Parameters()) p.Grad = Tensor.Randn(p.Shape.ToArray(), Noise);
                masks.MaskGradients(model);
                opt.Step();
                ctx.AfterStep(opt, s);
                opt.ParamGroups[0].Lr *= 0.5; // a schedule: the next round must restart from 0.05
            }
            EndMomentum.Add(opt.GetState(first)!.Buffers.Single().Value.ToArray());
            double l1 = model.Parameters().Sum(p => p.ToArray().Sum(v => (double)Math.Abs(v)));
            return new RoundResult(new Dictionary<string, double> { ["l1"] = l1 });
        }
    }

    [Fact]
    public void FreshState_StartsEveryRoundWithoutMoments()
    {
        var h = new Harness(RoundOptimizerState.Fresh);
        h.Search.Run();
        Assert.Equal(P.Length + 1, h.StartMomentum.Count);
        Assert.All(h.StartMomentum, Assert.Null);
    }

    [Fact]
    public void CarriedState_StartsEachRoundFromThePreviousRoundsMoments_AtTheInitialLearningRate()
    {
        var h = new Harness(RoundOptimizerState.Carried);
        h.Search.Run();
        Assert.Null(h.StartMomentum[0]);
        for (int r = 1; r <= P.Length; r++) Assert.Equal(h.EndMomentum[r - 1], h.StartMomentum[r]);
        Assert.All(h.StartLr, lr => Assert.Equal(0.05, lr));
        // The carried moments change the result: the same search with fresh state ends elsewhere.
        var fresh = new Harness(RoundOptimizerState.Fresh);
        fresh.Search.Run();
        Assert.NotEqual(fresh.EndMomentum[^1], h.EndMomentum[^1]);
    }

    [Fact]
    public void CarriedState_IsStoredWithTheRoundCheckpoints_SoAnInterruptedSearchResumesExactly()
    {
        var reference = new Harness(RoundOptimizerState.Carried).Search.Run();
        var first = new Harness(RoundOptimizerState.Carried, _dir) { CrashAtRound = 2 };
        Assert.Throws<Crash>(() => first.Search.Run());
        var resumed = new Harness(RoundOptimizerState.Carried, _dir);
        var result = resumed.Search.Run();
        Assert.Equal(first.EndMomentum[1], resumed.StartMomentum.Single()); // round 2 starts from round 1's moments, read back from disk
        Assert.Equal(reference.Rounds.Select(r => r.Result.Metrics["l1"]), result.Rounds.Select(r => r.Result.Metrics["l1"]));
    }

    [Fact]
    public void CarriedState_WithoutPrepare_OrFromAFreshSearchsCheckpoints_IsAClearError()
    {
        var h = new Harness(RoundOptimizerState.Carried) { SkipPrepare = true };
        Assert.Contains("context.Prepare", Assert.Throws<InvalidOperationException>(() => h.Search.Run()).Message);

        var fresh = new Harness(RoundOptimizerState.Fresh, _dir) { CrashAtRound = 2 };
        Assert.Throws<Crash>(() => fresh.Search.Run());
        var carried = new Harness(RoundOptimizerState.Carried, _dir);
        Assert.Contains("holds no optimizer state", Assert.Throws<InvalidOperationException>(() => carried.Search.Run()).Message);
    }

    /// <summary>
    /// Trains one masked MLP for 6 steps of batch 32 on the synthetic task with <paramref name="masking"/>, returns the
    /// weights of its first layer.
    /// </summary>
    private static float[] TrainMasked(MaskEnforcement masking, double? clip)
    {
        var task = new SyntheticTask(192, seed: 3);
        var model = new Sequential(new Linear(SyntheticTask.Features, 16, generator: new Generator(5)), new ReLU(), new Linear(16, 2, generator: new Generator(6)));
        var g = new Generator(9);
        var w = model.NamedParameters().First(p => p.Name == "0.weight").Parameter;
        var mask = Tensor.Rand(w.Shape.ToArray(), g).Gt(0.5f).Float();
        var masks = new PruningMasks(new Dictionary<string, Tensor> { ["0.weight"] = mask });
        masks.Apply(model);
        var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 0.05), (o, y) => ResearchKit.Tensors.Nn.Functional.CrossEntropy(o, y),
            new TrainerOptions { MaxEpochs = 1, ClipGradNorm = clip });
        trainer.Callbacks.Add(new PruningCallback(masks, masking: masking));
        trainer.Fit((e, s) => task.Epoch(e, s, 32), task.BatchesPerEpoch(32));
        var values = w.ToArray();
        var m = mask.ToArray();
        for (int i = 0; i < values.Length; i++) if (m[i] == 0) Assert.True(IsPositiveZero(values[i]), $"pruned weight {i} = {values[i]} under {masking}");
        return values;
    }

    [Fact]
    public void MaskEnforcement_DiffersOnlyThroughTheClippingNorm()
    {
        // Without clipping, zeroing after the step equals masking the gradient (element-wise Adam) bit for bit.
        Assert.Equal(TrainMasked(MaskEnforcement.GradientsAndWeights, null), TrainMasked(MaskEnforcement.WeightsAfterStep, null));
        // With a clipping norm small enough to bind, the pruned gradients inflate the norm only when they are not masked first.
        Assert.NotEqual(TrainMasked(MaskEnforcement.GradientsAndWeights, 0.01), TrainMasked(MaskEnforcement.WeightsAfterStep, 0.01));
    }

    [Fact]
    public void UnknownSettings_AreRefusedWithTheValidOnes()
    {
        var probe = new TinyLstm(new Generator(0));
        var bad = new TicketConfig(TicketConfiguration.WinningTicket, PruningPlan.Recurrent(probe, 0, 0)) { OptimizerState = (RoundOptimizerState)7 };
        Assert.Contains("Fresh or Carried", Assert.Throws<ArgumentException>(() => bad.Validate()).Message);
        Assert.Contains("GradientsAndWeights or WeightsAfterStep",
            Assert.Throws<ArgumentException>(() => new PruningCallback(new PruningMasks(), masking: (MaskEnforcement)3)).Message);
    }
}
