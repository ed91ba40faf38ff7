using ResearchKit.Data;
using ResearchKit.Experiments;
using ResearchKit.Models;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using ResearchKit.Tensors.Optim;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments;

public class Chapter4RecipeTests
{
    private static readonly RecipeOptions Opts = new() { Progress = SilentProgressSink.Instance };

    private static Dictionary<string, object?> Sub(IReadOnlyDictionary<string, object?> cfg, string key) =>
        Assert.IsType<Dictionary<string, object?>>(cfg[key]);

    [Fact]
    public void PaperPresets_EncodeTheThesisProtocolVerbatim()
    {
        // seq-MNIST without sub-sampling: RMSprop 1e-3, batch 100, CE, per-image standardization, 120k iterations.
        var plain = Recipes.Get("seqmnist-lstm").Config(Preset.Paper, Opts);
        Assert.Equal(120_000L, plain["iterations"]);
        Assert.Equal(100, plain["batch_size"]);
        Assert.Equal("rmsprop", Sub(plain, "optimizer")["name"]);
        Assert.Equal(1e-3, Sub(plain, "optimizer")["lr"]);
        Assert.Equal("cross_entropy", plain["loss"]);
        Assert.StartsWith("per-image standardization", (string)plain["preprocessing"]!);
        Assert.Equal(false, plain["subsampling"]);
        Assert.Equal(128, Sub(plain, "model")["hidden"]);
        Assert.Equal(1, Sub(plain, "model")["layers"]);

        // With sub-sampling: R = (8, 6, 4, 2), S = (3k, 6k, 9k, 12k), 36k iterations, same optimizer and batch.
        var sub = Recipes.Get("seqmnist-lstm-subsampled").Config(Preset.Paper, Opts);
        Assert.Equal(36_000L, sub["iterations"]);
        Assert.Equal(true, sub["subsampling"]);
        Assert.Equal(new[] { 8, 6, 4, 2 }, sub["subsampling_rates"]);
        Assert.Equal(new long[] { 3000, 6000, 9000, 12000 }, sub["subsampling_step_targets"]);
        Assert.Equal(100, sub["batch_size"]);
        Assert.Equal(1e-3, Sub(sub, "optimizer")["lr"]);
        var t = new SeqMnistLstmRecipe(subsampling: true).Training(Preset.Paper, Opts);
        Assert.Equal(36_000, t.Iterations);
        Assert.Equal(new[] { 98, 98, 130, 196, 392, 784, 784 },
            new long[] { 0, 2999, 3000, 6000, 9000, 12000, 35_999 }.Select(s => t.Subsampling!.LengthAt(s, 784)));

        // WikiText-2: Adam 1e-3 + cosine, batch 64, 200 epochs, BPTT 35, p = 0.99, medium tied model with dropout 0.4.
        var lm = Recipes.Get("wikitext2-lstm").Config(Preset.Paper, Opts);
        Assert.Equal("adam", Sub(lm, "optimizer")["name"]);
        Assert.Equal(1e-3, Sub(lm, "optimizer")["lr"]);
        Assert.Equal("cosine", Sub(lm, "scheduler")["name"]);
        Assert.Equal(64, lm["batch_size"]);
        Assert.Equal(200, lm["epochs"]);
        Assert.Null(lm["max_steps"]);
        Assert.Equal(35, lm["bptt"]);
        Assert.Equal(0.99, lm["hidden_carry_p"]);
        var model = Sub(lm, "model");
        Assert.Equal(650, model["embed"]);
        Assert.Equal(650, model["hidden"]);
        Assert.Equal(2, model["layers"]);
        Assert.Equal(0.4, model["dropout"]);
        Assert.Equal(true, model["tied"]);
        var lt = WikiText2LstmRecipe.Training(Preset.Paper, Opts);
        Assert.Equal((200, (long?)null, 64, 35, 1e-3, 0.99), (lt.Epochs!.Value, lt.MaxSteps, lt.BatchSize, lt.Bptt, lt.Lr, lt.KeepProbability));
        Assert.Equal((650, 650, 2, 0.4), WikiText2LstmRecipe.ModelSize(Preset.Paper));
    }

    [Fact]
    public void QuickSchedule_KeepsTheThesisRatesWithScaledTargets()
    {
        var t = new SeqMnistLstmRecipe(subsampling: true).Training(Preset.Quick, Opts);
        var s = t.Subsampling!;
        Assert.Equal(new[] { 8, 6, 4, 2 }, s.Rates);
        Assert.Equal(SubsamplingSchedule.Default().StepTargets.Select(x => x / SeqMnistLstmRecipe.QuickScheduleScale), s.StepTargets);
        // Same place in the run as the thesis: the full length starts after a third of the iterations.
        Assert.Equal(12_000.0 / 36_000, (double)s.StepTargets[^1] / t.Iterations, 6);
        Assert.Null(new SeqMnistLstmRecipe().Training(Preset.Quick, Opts).Subsampling);
        Assert.Equal(t.Iterations, new SeqMnistLstmRecipe().Training(Preset.Quick, Opts).Iterations);
    }

    [Fact]
    public void Configs_DifferByPresetAndVariant()
    {
        var hashes = new[] { "seqmnist-lstm", "seqmnist-lstm-subsampled", "wikitext2-lstm" }
            .SelectMany(n => new[] { Preset.Smoke, Preset.Quick, Preset.Paper }.Select(p => RunConfig.From(Recipes.Get(n).Config(p, Opts)).Hash))
            .ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
    }

    [Theory]
    [InlineData("seqmnist-lstm")]
    [InlineData("seqmnist-lstm-subsampled")]
    [InlineData("wikitext2-lstm")]
    public void SmokeRun_CompletesThroughTheRunStore_AndIsServedFromCacheAfterwards(string name)
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recipe = Recipes.Get(name);
        var r = recipe.Run(store, Preset.Smoke, Opts);
        Assert.False(r.FromCache);
        Assert.NotEmpty(r.FinalMetrics);
        Assert.All(r.FinalMetrics.Values, v => Assert.True(double.IsFinite(v), $"{name}: {string.Join(", ", r.FinalMetrics)}"));
        var loss = r.Series("train/loss");
        Assert.True(loss.Count >= 5, $"{name}: {loss.Count} train/loss points");
        Assert.All(loss, p => Assert.True(double.IsFinite(p.Value)));
        if (name.StartsWith("seqmnist", StringComparison.Ordinal)) Assert.InRange(r.FinalMetrics["accuracy"], 0, 1);
        else Assert.True(r.FinalMetrics["valid_ppl"] > 1 && r.FinalMetrics["test_ppl"] > 1);

        var again = recipe.Run(store, Preset.Smoke, Opts);
        Assert.True(again.FromCache);
        Assert.Equal(r.FinalMetrics, again.FinalMetrics);
    }

    [Fact]
    public void SeqMnistTrainRound_RunsTheHooksAndCallbacks_AndKeepsMaskedWeightsZero()
    {
        var data = Samples.Mnist();
        var (train, test) = (data.Take(40), data.Subset(Enumerable.Range(40, 20).ToArray()));
        var model = new SeqMnistLstm(generator: new Generator(1));
        var settings = new SeqMnistTraining { Iterations = 4, BatchSize = 10, LogEvery = 1, Subsampling = new SubsamplingSchedule([28], [1000]) };
        int hooks = 0;
        var steps = new List<long>();
        var r = SeqMnistLstmRecipe.TrainRound(model, train, test, settings,
            callbacks: [new Recorder(steps)],
            afterStep: m =>
            {
                hooks++;
                using (Torch.NoGrad()) ((Linear)((SeqMnistLstm)m).Fc).Weight.Narrow(0, 0, 1).Zero_(); // a "pruned" row
            });
        Assert.Equal(4, r.Steps);
        Assert.Equal(4, hooks);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, steps);
        Assert.All(((Linear)model.Fc).Weight.Narrow(0, 0, 1).ToArray(), v => Assert.Equal(0f, v));
        Assert.InRange(r.FinalMetrics["accuracy"], 0, 1);
    }

    [Fact]
    public void SeqMnistTrainRound_ReadingRows_LearnsInAFewHundredSteps_SubsamplesRows_AndRefusesMismatchedSettings()
    {
        var data = Samples.Mnist();
        var (train, test) = (data.Take(800), data.Subset(Enumerable.Range(800, 200).ToArray()));
        var settings = new SeqMnistTraining { Iterations = 240, BatchSize = 20, LogEvery = 40, PixelsPerStep = 28 };
        var r = SeqMnistLstmRecipe.TrainRound(new SeqMnistLstm(generator: new Generator(1), pixelsPerStep: 28), train, test, settings);
        Assert.True(r.FinalMetrics["accuracy"] > 0.6, $"row-wise LSTM after 240 steps: accuracy {r.FinalMetrics["accuracy"]:P1} on 200 held-out sample images (chance 10%)");

        var e = Assert.Throws<ArgumentException>(() => SeqMnistLstmRecipe.TrainRound(new SeqMnistLstm(generator: new Generator(1)), train, test, settings));
        Assert.Contains("new SeqMnistLstm(pixelsPerStep: 28)", e.Message);
        // The schedule thins rows as it thins pixels (the quick sub-sampled tickets): rate 2 halves the 28 rows early on.
        var rows = settings with { Iterations = 20, Subsampling = new SubsamplingSchedule([2], [10]) };
        Assert.Equal(20, SeqMnistLstmRecipe.TrainRound(new SeqMnistLstm(generator: new Generator(1), pixelsPerStep: 28), train, test, rows).Steps);
        var tooCoarse = settings with { Iterations = 2, Subsampling = new SubsamplingSchedule([32], [10]) };
        Assert.Contains("shorter than the rate", Assert.Throws<ArgumentException>(() =>
            SeqMnistLstmRecipe.TrainRound(new SeqMnistLstm(generator: new Generator(1), pixelsPerStep: 28), train, test, tooCoarse)).Message);
    }

    [Fact]
    public void LmTrainRound_UsesTheGivenOptimizer_AndReportsPerplexity()
    {
        var corpus = Samples.WikiText2();
        var model = new MediumLstmLm(corpus.Vocab.Count, 8, 8, 1, 0.4, new Generator(2), new Generator(3));
        Optimizer? made = null;
        var settings = new LmTraining { Epochs = null, MaxSteps = 3, BatchSize = 4, Bptt = 10, EvalTokens = 400, EvalEachEpoch = false, LogEvery = 1 };
        var r = WikiText2LstmRecipe.TrainRound(model, corpus, settings, optimizer: ps => made = new Sgd(ps, lr: 0.1));
        Assert.NotNull(made);
        Assert.Equal(3, r.Steps);
        // Cosine annealing over the 3 steps: lr goes 0.1 → 0.075 → 0.025 → 0.
        Assert.Equal(0, made!.ParamGroups[0].Lr, 12);
        var (nll, ppl, tokens) = LmEvaluation.Evaluate(model, corpus.Valid, 10, 35, 400);
        // Same weights and data: equal up to float rounding (the engine's first evaluation inside Trainer.Fit differs from a
        // later one in the 7th significant digit).
        Assert.Equal(r.FinalMetrics["valid_ppl"], ppl, 1e-5 * ppl);
        Assert.Equal(Math.Exp(nll), ppl, 9);
        Assert.Equal(390, tokens); // 400 tokens in 10 streams of 40: 39 predicted tokens each
        var ex = Assert.Throws<ArgumentException>(() => WikiText2LstmRecipe.TrainRound(new MediumLstmLm(10, 4, 4, 1, 0), corpus, settings));
        Assert.Contains("vocabSize", ex.Message);
    }

    [Fact]
    public void LmRun_KilledAfterACheckpoint_ResumesWithTheCarriedHiddenState_AndMatchesAnUninterruptedRun()
    {
        var corpus = Samples.WikiText2();
        var settings = new LmTraining { Epochs = null, MaxSteps = 12, BatchSize = 4, Bptt = 10, KeepProbability = 0.9, EvalTokens = 300, EvalEachEpoch = false, LogEvery = 2, CheckpointEvery = 4, DataSeed = 5 };
        var cfg = RunConfig.From(new Dictionary<string, object?> { ["test"] = "lm-resume" });
        IReadOnlyDictionary<string, double> Train(ExperimentContext ctx, long? failAt)
        {
            var model = new MediumLstmLm(corpus.Vocab.Count, 8, 8, 2, 0.4, new Generator(7), new Generator(8));
            var cbs = failAt is long f ? new ITrainerCallback[] { new FailAt(f) } : [];
            return WikiText2LstmRecipe.TrainRound(model, corpus, settings, callbacks: cbs, context: ctx).FinalMetrics;
        }
        using var d1 = new TempRunsDir();
        using var d2 = new TempRunsDir();
        using var killed = SqliteRunStore.Open(d1.Path);
        using var clean = SqliteRunStore.Open(d2.Path);
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(killed, cfg.Json, cfg.Hash, ctx => Train(ctx, failAt: 10)));
        var resumed = ExperimentRunner.Run(killed, cfg.Json, cfg.Hash, ctx => Train(ctx, null));
        Assert.True(resumed.Resumed);
        var reference = ExperimentRunner.Run(clean, cfg.Json, cfg.Hash, ctx => Train(ctx, null));
        Assert.Equal(reference.FinalMetrics, resumed.FinalMetrics);
        Assert.Equal(reference.Series("train/loss").Select(p => p.Value), resumed.Series("train/loss").Select(p => p.Value));
    }

    private sealed class Recorder(List<long> steps) : ITrainerCallback
    {
        public void OnStepEnd(Trainer trainer, in StepInfo info) => steps.Add(info.Step);
    }

    private sealed class FailAt(long step) : ITrainerCallback
    {
        public void OnStepEnd(Trainer trainer, in StepInfo info)
        {
            if (info.Step == step) throw new InvalidOperationException($"simulated crash at step {step}");
        }
    }
}
