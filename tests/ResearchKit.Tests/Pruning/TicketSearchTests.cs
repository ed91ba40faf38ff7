using ResearchKit.Pruning;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tests.Training;
using ResearchKit.Training;
using Xunit;
using static ResearchKit.Tests.Pruning.PruningTestUtil;

namespace ResearchKit.Tests.Pruning;

public class TicketSearchTests
{
    private const int Steps = 6;
    private const long SaveStep = 3;
    private static readonly double[] P = [0.3, 0.6, 0.8];

    /// <summary>What the fake training function saw and did in each round.</summary>
    private sealed class Log
    {
        public readonly List<Dictionary<string, float[]>> Starts = new();    // weights at round start (as handed over)
        public readonly List<Dictionary<string, float[]>> Ends = new();      // weights after training
        public readonly List<Dictionary<string, float[]>> Masks = new();
        public Dictionary<string, float[]>? AtSave;                          // weights after step t_save of round 0, taken independently
        public int CreateCalls;
    }

    private static Dictionary<string, float[]> Weights(Module m) => m.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());

    private static Dictionary<string, float[]> MaskArrays(Module m, PruningMasks masks) =>
        m.NamedParameters().ToDictionary(p => p.Name, p => masks[p.Name]?.ToArray() ?? Enumerable.Repeat(1f, p.Parameter.Numel).ToArray());

    /// <summary>
    /// A deterministic stand-in for training: SGD with momentum on gradients that depend only on the step number,
    /// keeping the masks through the context like a recipe does.
    /// </summary>
    private static RoundResult FakeTrain(Module model, PruningMasks masks, RoundContext ctx, Log log)
    {
        Assert.Same(masks, ctx.Masks);
        log.Starts.Add(Weights(model));
        log.Masks.Add(MaskArrays(model, masks));
        var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
        for (int s = 1; s <= Steps; s++)
        {
            var g = new Generator(500 + s);
            foreach (var p in model.Parameters()) p.Grad = Tensor.Randn(p.Shape.ToArray(), g) + 0.5f;
            opt.Step();
            ctx.AfterStep(opt, s);
            if (ctx.Round == 0 && s == SaveStep) log.AtSave = Weights(model);
        }
        log.Ends.Add(Weights(model));
        double sum = model.Parameters().Sum(p => p.ToArray().Sum(v => (double)Math.Abs(v)));
        return new RoundResult(new Dictionary<string, double> { ["l1"] = sum });
    }

    private static (TicketSearchResult Result, Log Log) RunFake(TicketConfiguration config, long? saveStep = SaveStep, int seed = 42)
    {
        var log = new Log();
        var gen = new Generator(seed);
        var probe = new TinyLstm(new Generator(0));
        var cfg = new TicketConfig(config, PruningPlan.Recurrent(probe, 0, 0)) { Objectives = P, SaveStep = saveStep, KeepRoundMasks = true };
        var search = new TicketSearch(cfg, () => { log.CreateCalls++; return new TinyLstm(gen); }, (m, masks, ctx) => FakeTrain(m, masks, ctx, log));
        return (search.Run(), log);
    }

    /// <summary>The initializations createModel hands out, in call order, for the same seed.</summary>
    private static List<Dictionary<string, float[]>> Inits(int count, int seed = 42)
    {
        var gen = new Generator(seed);
        return Enumerable.Range(0, count).Select(_ => Weights(new TinyLstm(gen))).ToList();
    }

    private static void AssertMaskedCopy(Dictionary<string, float[]> source, Dictionary<string, float[]> mask, Dictionary<string, float[]> actual, string what)
    {
        foreach (var (name, src) in source)
        {
            var m = mask[name];
            var a = actual[name];
            for (int i = 0; i < src.Length; i++)
            {
                float expected = m[i] == 0 ? 0f : src[i];
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(a[i]), $"{what}: {name}[{i}] expected {expected}, got {a[i]}");
            }
        }
    }

    [Fact]
    public void WT_RewindsUnprunedWeightsToTheta0BitIdentical_AndPrunedToZero()
    {
        var (result, log) = RunFake(TicketConfiguration.WinningTicket);
        var theta0 = Inits(1)[0];
        Assert.Equal(P.Length + 1, log.Starts.Count);
        AssertMaskedCopy(theta0, log.Masks[0], log.Starts[0], "round 0");
        for (int r = 1; r <= P.Length; r++)
        {
            AssertMaskedCopy(theta0, log.Masks[r], log.Starts[r], $"round {r}");
            Assert.Equal(RoundStart.Initialization, result.Rounds[r].StartedFrom);
        }
    }

    [Fact]
    public void WTSave_RewindsToThetaAtTSave()
    {
        var (result, log) = RunFake(TicketConfiguration.WinningTicketWithSave);
        Assert.NotNull(log.AtSave);
        for (int r = 1; r <= P.Length; r++)
        {
            AssertMaskedCopy(log.AtSave!, log.Masks[r], log.Starts[r], $"round {r}");
            Assert.Equal(RoundStart.SavedIterate, result.Rounds[r].StartedFrom);
        }
        // θ^t_save is a real training iterate, not θ⁰.
        Assert.NotEqual(Inits(1)[0]["rnn.weight_ih_l0"], log.AtSave!["rnn.weight_ih_l0"]);
    }

    [Fact]
    public void RandInit_StartsFromFreshInitEachRound_WithTheSameMasks()
    {
        var (result, log) = RunFake(TicketConfiguration.RandomInit);
        var (wt, wtLog) = RunFake(TicketConfiguration.WinningTicket);
        var inits = Inits(P.Length + 1); // θ⁰ then one fresh draw per pruning round
        for (int r = 1; r <= P.Length; r++)
        {
            AssertMaskedCopy(inits[r], log.Masks[r], log.Starts[r], $"round {r}");
            Assert.Equal(RoundStart.FreshInitialization, result.Rounds[r].StartedFrom);
            Assert.NotEqual(inits[0]["rnn.weight_hh_l0"], inits[r]["rnn.weight_hh_l0"]);
        }
        // Round 1's mask comes from the same dense training, so it is WT's mask exactly.
        foreach (var (name, m) in wtLog.Masks[1]) Assert.Equal(m, log.Masks[1][name]);
        Assert.Equal(wt.Rounds[1].Pruning!.Sparsity, result.Rounds[1].Pruning!.Sparsity);
    }

    [Fact]
    public void IMP_ContinuesFromTrainedWeights()
    {
        var (result, log) = RunFake(TicketConfiguration.IterativeMagnitudePruning);
        for (int r = 1; r <= P.Length; r++)
        {
            AssertMaskedCopy(log.Ends[r - 1], log.Masks[r], log.Starts[r], $"round {r}");
            Assert.Equal(RoundStart.TrainedWeights, result.Rounds[r].StartedFrom);
        }
    }

    [Fact]
    public void FourConfigurations_DifferOnlyInTheRewindStep()
    {
        var runs = Enum.GetValues<TicketConfiguration>().ToDictionary(c => c, c => RunFake(c));
        var inits = Inits(P.Length + 1);
        var wt = runs[TicketConfiguration.WinningTicket];
        foreach (var (config, (result, log)) in runs)
        {
            // Same work everywhere: same number of model constructions and rounds, same round 0, same first pruning.
            Assert.Equal(P.Length + 1, log.CreateCalls);
            Assert.Equal(P.Length + 1, result.Rounds.Count);
            foreach (var (name, w) in wt.Log.Ends[0]) Assert.Equal(w, log.Ends[0][name]);
            Assert.Equal(wt.Result.Rounds[0].Result.Metrics["l1"], result.Rounds[0].Result.Metrics["l1"]);
            foreach (var (name, m) in wt.Log.Masks[1]) Assert.Equal(m, log.Masks[1][name]);
            Assert.Equal(config, result.Configuration);

            // Every round r ≥ 1 starts from exactly the source Algorithm 2 names for the configuration, masked.
            for (int r = 1; r <= P.Length; r++)
            {
                var source = config switch
                {
                    TicketConfiguration.WinningTicket => inits[0],
                    TicketConfiguration.WinningTicketWithSave => log.AtSave!,
                    TicketConfiguration.RandomInit => inits[r],
                    _ => log.Ends[r - 1],
                };
                AssertMaskedCopy(source, log.Masks[r], log.Starts[r], $"{config} round {r}");
                // Everything after the start is the shared code: pruning meets each objective, masks only grow.
                Assert.Equal(P[r - 1], result.Rounds[r].Objective);
                Assert.All(result.Rounds[r].Pruning!.Groups, g => Assert.True(g.Sparsity >= P[r - 1]));
                Assert.True(result.Rounds[r].Masks!.IsMonotoneExtensionOf(result.Rounds[r - 1].Masks!));
            }
        }
    }

    [Fact]
    public void WTSaveAtStepZero_IsExactlyWT()
    {
        // With t_save = 0 the saved iterate is θ⁰, so the only differing step becomes identical and so must everything else.
        var (save0, log0) = RunFake(TicketConfiguration.WinningTicketWithSave, saveStep: 0);
        var (wt, logWt) = RunFake(TicketConfiguration.WinningTicket, saveStep: 0);
        for (int r = 0; r <= P.Length; r++)
        {
            Assert.Equal(wt.Rounds[r].Result.Metrics["l1"], save0.Rounds[r].Result.Metrics["l1"]);
            foreach (var (name, w) in logWt.Ends[r]) Assert.Equal(w, log0.Ends[r][name]);
        }
    }

    [Fact]
    public void Errors_AreClear()
    {
        var probe = new TinyLstm(new Generator(0));
        var plan = PruningPlan.Recurrent(probe, 0);
        Assert.Contains("SaveStep", Assert.Throws<ArgumentException>(() => new TicketSearch(new TicketConfig(TicketConfiguration.WinningTicketWithSave, plan),
            () => new TinyLstm(new Generator(1)), (m, k, c) => new RoundResult(new Dictionary<string, double>()))).Message);
        Assert.Contains("RoundContext", Assert.Throws<ArgumentException>(() => new TicketSearch(new TicketConfig(TicketConfiguration.WinningTicketWithSave, plan) { SaveStep = 5 },
            () => new TinyLstm(new Generator(1)), (m, k) => new RoundResult(new Dictionary<string, double>()))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TicketSearch(new TicketConfig(TicketConfiguration.WinningTicket, plan) { Objectives = [0.5, 1.5] },
            () => new TinyLstm(new Generator(1)), (m, k) => new RoundResult(new Dictionary<string, double>())));

        // Round 0 too short for t_save.
        var gen = new Generator(3);
        var shortRun = new TicketSearch(new TicketConfig(TicketConfiguration.WinningTicketWithSave, plan) { SaveStep = 100, Objectives = [0.5] },
            () => new TinyLstm(gen), (m, k, c) => FakeTrain(m, k, c, new Log()));
        Assert.Contains("t_save = 100", Assert.Throws<InvalidOperationException>(() => shortRun.Run()).Message);

        // Rand_init with a createModel that re-seeds would silently equal WT.
        var reseeded = new TicketSearch(new TicketConfig(TicketConfiguration.RandomInit, plan) { Objectives = [0.5] },
            () => new TinyLstm(new Generator(1)), (m, k, c) => FakeTrain(m, k, c, new Log()));
        Assert.Contains("fresh random weights", Assert.Throws<InvalidOperationException>(() => reseeded.Run()).Message);
    }

    [Fact]
    public void WithTrainer_WTSaveFindsSparseNetworkAndReportsPerRound()
    {
        var task = new SyntheticTask(256, seed: 4);
        var test = new SyntheticTask(200, seed: 4, split: 1);
        var gen = new Generator(10);
        Sequential Mlp(Generator g) => new(new Linear(SyntheticTask.Features, 32, generator: g), new ReLU(), new Linear(32, 2, generator: g));
        var probe = Mlp(new Generator(0));
        var plan = new PruningPlan([PruningGroup.Match(probe, "fc", 0, ["*.weight"])]);
        var config = new TicketConfig(TicketConfiguration.WinningTicketWithSave, plan) { Objectives = [0.5, 0.8], SaveStep = 4 };
        var search = new TicketSearch(config,
            () => Mlp(gen),
            (model, masks, ctx) =>
            {
                var m = (Module<Tensor, Tensor>)model;
                var opt = new RmsProp(model.Parameters(), lr: 1e-2, momentum: 0.5);
                var trainer = new Trainer(m, opt, (o, y) => ResearchKit.Tensors.Nn.Functional.CrossEntropy(o, y),
                    new TrainerOptions { MaxEpochs = 3, EvalAtEnd = true, Evaluate = () => Metrics.Evaluate(m, test.All(100)) });
                trainer.Callbacks.Add(ctx.Callback);
                var r = trainer.Fit((e, s) => task.Epoch(e, s, 32), task.BatchesPerEpoch(32));
                foreach (var (name, p) in model.NamedParameters())
                    if (masks[name] is { } mk)
                        Assert.All(p.ToArray().Where((_, i) => mk.ToArray()[i] == 0), v => Assert.True(IsPositiveZero(v)));
                return new RoundResult(r.FinalMetrics);
            });
        var seen = new List<int>();
        search.RoundCompleted = r => seen.Add(r.Round);
        var result = search.Run();
        Assert.Equal([0, 1, 2], seen);
        Assert.Equal(0, result.Rounds[0].Sparsity);
        Assert.True(result.Rounds[1].GroupSparsity("fc") >= 0.5 && result.Rounds[2].GroupSparsity("fc") >= 0.8);
        Assert.All(result.Rounds, r => Assert.True(r.Metric("accuracy") > 0.8, $"round {r.Round}: {r.Metric("accuracy")}"));
        var table = result.ToTable(["accuracy"], name: "tickets");
        Assert.Equal(3, table.RowCount);
        Assert.Equal(0.8, table.GetNumber(2, "Objective")!.Value, 12);
    }
}
