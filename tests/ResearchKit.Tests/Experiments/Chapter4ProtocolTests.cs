using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter4;
using ResearchKit.Models;
using ResearchKit.Thesis;
using Xunit;

namespace ResearchKit.Tests.Experiments;

/// <summary>
/// The paper preset of every chapter-4 recipe is the thesis' protocol: each value is compared with the one kept in
/// the project (<c>data/thesis/chapter4.json</c>, transcribed with the section that states it), and a mismatch names
/// that section.
/// </summary>
public class Chapter4ProtocolTests
{
    private static readonly ThesisReference Thesis = ThesisReference.Chapter4;
    private static readonly RecipeOptions Opts = new();

    private static void Same(string key, double ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True(v.AsDouble() == ours, $"{key}: ours {ours}, thesis {v.Value.GetRawText()} ({v.Section})");
    }

    private static void Same(string key, string ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True(string.Equals(v.AsString(), ours, StringComparison.OrdinalIgnoreCase), $"{key}: ours '{ours}', thesis {v.Value.GetRawText()} ({v.Section})");
    }

    private static void Same(string key, bool ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True(v.AsBool() == ours, $"{key}: ours {ours}, thesis {v.Value.GetRawText()} ({v.Section})");
    }

    private static void Same(string key, IEnumerable<double> ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True(v.AsDoubles().SequenceEqual(ours), $"{key}: ours ({string.Join(", ", ours)}), thesis {v.Value.GetRawText()} ({v.Section})");
    }

    [Fact]
    public void SeqMnistRecipes_PaperPreset_IsTheThesisProtocol()
    {
        var plain = new SeqMnistLstmRecipe().Training(Preset.Paper, Opts);
        Same("seqmnist.iterations", plain.Iterations);
        Same("seqmnist.batch_size", plain.BatchSize);
        Same("seqmnist.lr", plain.Lr);
        Assert.Null(plain.Subsampling);
        var sub = new SeqMnistLstmRecipe(subsampling: true).Training(Preset.Paper, Opts);
        Same("seqmnist.subsampled.iterations", sub.Iterations);
        Same("seqmnist.subsampling.rates", sub.Subsampling!.Rates.Select(r => (double)r));
        Same("seqmnist.subsampling.step_targets", sub.Subsampling.StepTargets.Select(s => (double)s));
        var config = new SeqMnistLstmRecipe().Config(Preset.Paper, Opts);
        Same("seqmnist.optimizer", (string)((IReadOnlyDictionary<string, object?>)config["optimizer"]!)["name"]!);
        var model = (IReadOnlyDictionary<string, object?>)config["model"]!;
        Same("seqmnist.hidden_size", (int)model["hidden"]!);
        Same("seqmnist.layers", (int)model["layers"]!);
        Same("seqmnist.parameters", (int)model["parameters"]!);
        Same("seqmnist.input_size", SeqMnistLstm.InputSize);
        Assert.Equal(Thesis.Protocol("seqmnist.parameters").AsInt64(), new SeqMnistLstm().Parameters().Sum(t => (long)t.Numel));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SeqMnistTicketRecipes_PaperPreset_IsTheThesisProtocol(bool subsampled)
    {
        var p = new SeqMnistTicketsRecipe(subsampling: subsampled).Protocol(Preset.Paper);
        string exp = subsampled ? "seqmnist.subsampled" : "seqmnist";
        Same(subsampled ? "seqmnist.subsampled.iterations" : "seqmnist.tickets.iterations", p.Iterations);
        Same("seqmnist.batch_size", p.BatchSize);
        Same("seqmnist.iterations_per_epoch", p.IterationsPerEpoch);
        Same("seqmnist.optimizer", p.Optimizer);
        Same("seqmnist.lr", p.Lr);
        Same("tickets.objectives", p.Objectives);
        Same("tickets.epsilon", p.Epsilon);
        Assert.Equal(SeqMnistPruningScope.AllParameters, p.Scope);
        // Every thesis t_save of this experiment is a column, with nothing else.
        var tSave = Thesis.ProtocolValues.Where(v => v.Key.StartsWith($"{exp}.tickets.t_save.", StringComparison.Ordinal))
            .ToDictionary(v => v.Key[$"{exp}.tickets.t_save.".Length..], v => v.AsInt64());
        Assert.Equal(tSave.OrderBy(kv => kv.Key), p.SaveSteps.OrderBy(kv => kv.Key));
        Assert.Contains("Rand_init", p.Columns.Select(c => c.Name));
        Assert.Contains("IMP", p.Columns.Select(c => c.Name));
        foreach (var c in p.Columns)
        {
            // Algorithm 2: a rewound run retrains for T − t_save, the others for T.
            long expected = c.SaveStep is long s && s > 0 ? p.Iterations - s : p.Iterations;
            Assert.Equal(expected, c.RetrainIterations(p.Iterations));
            if (subsampled) Same($"seqmnist.subsampled.tickets.subsample_retraining.{c.Name}", c.SubsampleRetraining);
            else Assert.False(c.SubsampleRetraining);
        }
        if (subsampled)
        {
            Same("seqmnist.subsampling.rates", p.SubsamplingRates.Select(r => (double)r));
            Same("seqmnist.subsampling.step_targets", p.SubsamplingStepTargets.Select(s => (double)s));
        }
    }

    [Fact]
    public void WikiText2Recipes_PaperPreset_IsTheThesisProtocol()
    {
        var dense = WikiText2LstmRecipe.Training(Preset.Paper, Opts);
        Same("wikitext2.epochs", dense.Epochs!.Value);
        Same("wikitext2.batch_size", dense.BatchSize);
        Same("wikitext2.bptt", dense.Bptt);
        Same("wikitext2.lr", dense.Lr);
        Same("wikitext2.keep_probability", dense.KeepProbability);
        var (embed, hidden, layers, dropout) = WikiText2LstmRecipe.ModelSize(Preset.Paper);
        Same("wikitext2.embedding", embed);
        Same("wikitext2.hidden_size", hidden);
        Same("wikitext2.layers", layers);
        Same("wikitext2.dropout", dropout);

        var t = new WikiText2TicketsRecipe().Protocol(Preset.Paper);
        Same("wikitext2.tickets.iterations", t.Iterations);
        Same("wikitext2.epochs", t.Epochs);
        Same("wikitext2.batch_size", t.BatchSize);
        Same("wikitext2.bptt", t.Bptt);
        Same("wikitext2.optimizer", t.Optimizer);
        Same("wikitext2.lr", t.Lr);
        Same("wikitext2.schedule", t.Schedule);
        Same("wikitext2.dropout", t.Dropout);
        Same("wikitext2.keep_probability", t.KeepProbability);
        Same("wikitext2.embedding", t.Embed);
        Same("wikitext2.hidden_size", t.Hidden);
        Same("wikitext2.layers", t.Layers);
        Same("tickets.objectives", t.Objectives);
        Same("tickets.epsilon", t.Epsilon);
        Assert.Equal(2, t.Groups.Count);   // two pruning objectives (§4.6.3): tied embedding/decoder and LSTM weights
        Assert.Equal(Thesis.Protocol("wikitext2.tickets.groups").AsStrings().Length, t.Groups.Count);
        var tSave = Thesis.ProtocolValues.Where(v => v.Key.StartsWith("wikitext2.tickets.t_save.", StringComparison.Ordinal))
            .ToDictionary(v => v.Key["wikitext2.tickets.t_save.".Length..], v => v.AsInt64());
        Assert.Equal(tSave.OrderBy(kv => kv.Key), t.SaveSteps.OrderBy(kv => kv.Key));
        Assert.Equal(["Rand_init", "WT", "WT_1830", "IMP"], t.Columns.Select(c => c.Name));
    }

    [Fact]
    public void WikiText2Tickets_NeverPruneLstmBiases()
    {
        Assert.False(Thesis.Protocol("wikitext2.tickets.prune_lstm_biases").AsBool());
        var model = new MediumLstmLm(50, 8, 8, 2, 0.4);
        var plan = WikiText2TicketsRecipe.Plan(model);
        Assert.DoesNotContain(plan.Groups.SelectMany(g => g.ParameterNames), n => n.Contains("bias", StringComparison.Ordinal) && n.Contains("rnn", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Groups.SelectMany(g => g.ParameterNames), n => n.Contains("bias_ih", StringComparison.Ordinal) || n.Contains("bias_hh", StringComparison.Ordinal));
    }
}
