using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter4;
using ResearchKit.Models;
using ResearchKit.Pruning;
using ResearchKit.Runs;
using ResearchKit.Tensors;
using ResearchKit.Tests.Runs;
using ResearchKit.Training;
using Xunit;

namespace ResearchKit.Tests.Experiments;

/// <summary>The Chapter 4 winning-ticket recipes: thesis protocols, T − t_save, sub-sampling per column, pruning scope, smoke runs.</summary>
public class TicketRecipeTests
{
    /// <summary>Records the description of every training the recipes start (one per round trained).</summary>
    private sealed class StartRecorder : IProgressSink
    {
        public readonly List<(string Description, long Total)> Started = new();
        public void Start(string description, long totalSteps, long startStep) { lock (Started) Started.Add((description, totalSteps)); }
        public void Step(in ProgressUpdate update) { }
        public void Evaluated(long step, IReadOnlyDictionary<string, double> metrics) { }
        public void Message(string text) { }
        public void Finish(long step) { }
    }

    private static readonly RecipeOptions Opts = new() { Progress = SilentProgressSink.Instance };

    [Fact]
    public void RecipesAll_ListsTheTicketRecipes()
    {
        Assert.IsType<SeqMnistTicketsRecipe>(Recipes.Get("seqmnist-lstm-tickets"));
        Assert.True(((SeqMnistTicketsRecipe)Recipes.Get("seqmnist-lstm-subsampled-tickets")).Subsampling);
        Assert.IsType<WikiText2TicketsRecipe>(Recipes.Get("wikitext2-lstm-tickets"));
        Assert.All(Recipes.All.OfType<SeqMnistTicketsRecipe>(), r => Assert.Equal(SeqMnistPruningScope.AllParameters, r.Scope));
    }

    [Fact]
    public void RoundTraining_RetrainsForTMinusTSave_AndSubsamplesAsTheColumnSays()
    {
        var p = new SeqMnistTicketsRecipe(subsampling: true).Protocol(Preset.Paper);
        foreach (var c in p.Columns)
        {
            var dense = p.RoundTraining(c, 0, 0);
            Assert.Equal(36_000, dense.Iterations);
            Assert.NotNull(dense.Subsampling); // round 0 sub-samples in the sub-sampled experiment
            var retrain = p.RoundTraining(c, 3, 0);
            Assert.Equal(c.Name == "WT_13.2k" ? 36_000 - 13_200 : 36_000, retrain.Iterations);
            Assert.Equal(c.SubsampleRetraining, retrain.Subsampling is not null);
        }
        var lm = new WikiText2TicketsRecipe().Protocol(Preset.Paper);
        Assert.Equal(183_000 - 1_830, lm.RoundTraining(lm.Column("WT_1830"), 1, 0).MaxSteps);
        Assert.Equal(183_000, lm.RoundTraining(lm.Column("WT"), 1, 0).MaxSteps);
        Assert.Null(lm.RoundTraining(lm.Column("WT"), 1, 0).Epochs); // the cosine spans the round's own length

        // Smaller presets keep t_save / T and never collapse WT with save onto WT.
        var quick = new SeqMnistTicketsRecipe().Protocol(Preset.Quick);
        Assert.Equal((10L, 250L), (quick.SaveSteps["WT_1200"], quick.SaveSteps["WT_30k"]));
        Assert.All(new SeqMnistTicketsRecipe().Protocol(Preset.Smoke).SaveSteps.Where(kv => kv.Key != "WT"), kv => Assert.True(kv.Value >= 1));
        Assert.Throws<ArgumentException>(() => new TicketColumn("WT_x", TicketConfiguration.WinningTicketWithSave, 10).RetrainIterations(10));
    }

    [Fact]
    public void Scope_AllParametersPrunesBiasesAndFcUnderOneThreshold_WeightsOnlyKeepsBiases()
    {
        var model = new SeqMnistLstm(generator: new Generator(3));
        using (Torch.NoGrad())
        {
            // Distinct magnitude scales per category, as after training, so one global threshold spreads unevenly.
            model.Lstm.NamedParameters().First(p => p.Name.StartsWith("weight_hh", StringComparison.Ordinal)).Parameter.Mul_(0.3f);
            ((Tensors.Nn.Linear)model.Fc).Weight.Mul_(3f);
        }
        var all = SeqMnistTicketsRecipe.Plan(model, SeqMnistPruningScope.AllParameters).WithObjective(0.8).Prune(model);
        var report = SparsityReport.Of(model, all.Masks);
        Assert.InRange(report.Total.Sparsity, 0.8, 0.82); // Algorithm 3 stops at the first ε step reaching p
        Assert.True(report[ParameterCategory.LstmBiases]!.Pruned > 0);
        Assert.True(SparsityReport.Of(model, all.Masks).Layers.Single(l => l.Name == "fc.bias").Pruned > 0);
        double input = report[ParameterCategory.LstmInputWeights]!.Sparsity, recurrent = report[ParameterCategory.LstmRecurrentWeights]!.Sparsity,
            fc = report[ParameterCategory.FullyConnected]!.Sparsity;
        Assert.True(recurrent > input + 0.05 && input > fc + 0.05, $"recurrent {recurrent:P1}, input {input:P1}, FC {fc:P1}");

        var weights = SeqMnistTicketsRecipe.Plan(model, SeqMnistPruningScope.LstmAndFcWeights).WithObjective(0.8).Prune(model);
        var r2 = SparsityReport.Of(model, weights.Masks);
        Assert.Equal(0, r2[ParameterCategory.LstmBiases]!.Pruned);
        Assert.Equal(0, r2.Layers.Single(l => l.Name == "fc.bias").Pruned);
        Assert.Equal(["lstm", "other"], weights.Groups.Select(g => g.Name));
    }

    [Theory]
    [InlineData("seqmnist-lstm-tickets")]
    [InlineData("seqmnist-lstm-subsampled-tickets")]
    [InlineData("wikitext2-lstm-tickets")]
    public void SmokeRun_TrainsRoundZeroOnce_RetrainsTMinusTSave_AndIsCachedPerColumn(string name)
    {
        using var dir = new TempRunsDir();
        using var store = SqliteRunStore.Open(dir.Path);
        var recorder = new StartRecorder();
        var options = Opts with { Progress = recorder };
        var recipe = Recipes.Get(name);
        var summary = recipe.Run(store, Preset.Smoke, options);
        Assert.False(summary.FromCache);

        var (columns, t, score) = recipe switch
        {
            SeqMnistTicketsRecipe s => (s.Columns(Preset.Smoke), s.Protocol(Preset.Smoke).Iterations, "accuracy"),
            WikiText2TicketsRecipe w => (w.Columns(Preset.Smoke), w.Protocol(Preset.Smoke).Iterations, "test_ppl"),
            _ => throw new InvalidOperationException(name),
        };
        // One dense training for all columns (and all t_save), then one retraining per column and objective.
        Assert.Single(recorder.Started, s => s.Description.EndsWith("round 0", StringComparison.Ordinal));
        Assert.Equal(1 + columns.Count * 2, recorder.Started.Count);

        var runs = recipe switch
        {
            SeqMnistTicketsRecipe s => s.RunColumns(store, Preset.Smoke, options),
            WikiText2TicketsRecipe w => w.RunColumns(store, Preset.Smoke, options),
            _ => throw new InvalidOperationException(name),
        };
        Assert.Equal(columns.Select(c => c.Name), runs.Keys);
        foreach (var c in columns)
        {
            var run = runs[c.Name];
            Assert.True(run.FromCache);
            Assert.Equal(new[] { t, c.RetrainIterations(t), c.RetrainIterations(t) }.Select(v => (double)v), run.Series("iterations").Select(p => p.Value));
            Assert.Equal([0.0, 0.5, 0.8], run.Series("objective").Select(p => p.Value));
            Assert.All(run.Series(score), p => Assert.True(double.IsFinite(p.Value)));
            Assert.NotEmpty(run.Series("layer/Total/pruned"));
            Assert.InRange(run.Series("sparsity")[^1].Value, 0.79, 0.81);
            if (recipe is SeqMnistTicketsRecipe { Subsampling: true })
                Assert.Equal([1.0, c.SubsampleRetraining ? 1 : 0, c.SubsampleRetraining ? 1 : 0], run.Series("subsampled").Select(p => p.Value));
            Assert.True(summary.FinalMetrics.ContainsKey($"{c.Name}/{score}"));
        }
        if (recipe is WikiText2TicketsRecipe)
            Assert.All(runs.Values, r => Assert.Equal(0.0, r.Series("layer/LSTM biases/pruned")[^1].Value));
        Assert.True(recipe.Run(store, Preset.Smoke, options).FromCache);
        Assert.Equal(1 + columns.Count * 2, recorder.Started.Count);
    }
}
