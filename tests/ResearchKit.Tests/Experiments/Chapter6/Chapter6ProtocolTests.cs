using ResearchKit.Attacks;
using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Experiments.Chapter6;
using ResearchKit.Thesis;
using Xunit;

namespace ResearchKit.Tests.Experiments.Chapter6;

/// <summary>
/// The paper presets of the chapter-6 recipes are the thesis' protocol: each value is compared with the one kept in
/// <c>data/thesis/chapter6.json</c> (with its section), and the settings the thesis leaves open are listed as thesis silent.
/// </summary>
public class Chapter6ProtocolTests
{
    private static readonly ThesisReference Thesis = ThesisReference.Chapter6;
    private static readonly RecipeOptions Opts = new();

    private static void Same(string key, double ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True(v.AsDouble() == ours, $"{key}: ours {ours}, thesis {v.Value.GetRawText()} ({v.Section})");
    }

    // Float32 settings are compared at float32 precision (0.3f != 0.3).
    private static void SameSingle(string key, float ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True((float)v.AsDouble() == ours, $"{key}: ours {ours}, thesis {v.Value.GetRawText()} ({v.Section})");
    }

    [Theory]
    [InlineData(QatLoss.CrossEntropy)]
    [InlineData(QatLoss.Gml)]
    [InlineData(QatLoss.Mmc)]
    public void EhdMember_PaperPreset_IsSection651(QatLoss loss)
    {
        var recipe = new EhdMemberRecipe(loss, memberSeed: 1);
        var t = recipe.Training(Preset.Paper, Opts);
        Same($"lr.{loss}", t.Lr);
        Same($"epochs.{loss}", t.Epochs);
        Assert.Null(t.Steps);
        Assert.Equal("cifar100", t.Dataset);
        Assert.Equal("CIFAR-100", Thesis.Protocol("dataset").AsString());
        Assert.Equal(Thesis.Protocol("preprocessing.standardization").AsBool(), t.Standardize);
        if (loss == QatLoss.Mmc)
        {
            Assert.Equal("step", Thesis.Protocol("schedule.Mmc").AsString());
            Assert.Equal(Thesis.Protocol("lr_milestones.Mmc").AsDoubles(), t.LrDecayAt!.Select(f => f * t.Epochs));
            Assert.False(t.Cosine);
        }
        else
        {
            Assert.Equal("cosine", Thesis.Protocol($"schedule.{loss}").AsString());
            Assert.True(t.Cosine);
            Assert.Null(t.LrDecayAt);
        }
        SameSingle("ch6.gml.alpha", t.GmlAlpha);
        // Settings the thesis does not state are our choices, recorded as such in the run's config.
        foreach (var k in new[] { "optimizer", "momentum", "weight_decay", "batch_size" }) Assert.Equal("not stated", Thesis.Protocol(k).AsString());
        var silent = (IReadOnlyList<string>)recipe.Config(Preset.Paper, Opts)["thesis_silent"]!;
        foreach (var s in new[] { "momentum: 0.9", "weight decay: 5e-4", "batch size: 128", "optimizer: sgd" })
            Assert.Contains(silent, x => x.StartsWith(s, StringComparison.Ordinal));
        Assert.Equal((0.9, 5e-4, 128), (t.Momentum, t.WeightDecay, t.BatchSize));
        string train = DlQatRecipe.InputTransforms(Preset.Paper, t).Train.ToString()!;
        foreach (var step in new[] { "RandomRescale", "RandomCrop", "RandomHorizontalFlip" }) Assert.Contains(step, train, StringComparison.Ordinal);
        Assert.Contains("resnet32-v2 of Pang et al.", (string)recipe.Config(Preset.Paper, Opts)["model"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void EhdMembers_DifferOnlyByTheirInitSeed()
    {
        var a = new EhdMemberRecipe(QatLoss.CrossEntropy, 0).Config(Preset.Paper, Opts);
        var b = new EhdMemberRecipe(QatLoss.CrossEntropy, 1).Config(Preset.Paper, Opts);
        Assert.Equal(["member_seed"], a.Keys.Where(k => !Equals(a[k]?.ToString(), b[k]?.ToString())));
        Assert.Equal(Thesis.Protocol("ehd.k3_losses.members").AsStrings(), new[] { QatLoss.CrossEntropy, QatLoss.Gml, QatLoss.Mmc }.Select(l => l.ToString()));
    }

    [Theory]
    [InlineData(QatLoss.CrossEntropy)]
    [InlineData(QatLoss.Gml)]
    [InlineData(QatLoss.Mmc)]
    public void AppendixA_PaperPreset_IsSectionA2(QatLoss loss)
    {
        int binary = (int)Thesis.Protocol("binary.weight_bits").AsInt64();
        foreach (var setting in Thesis.Protocol("appa.bit_settings").AsStrings())
        {
            var wa = setting.Split('/');
            int w = wa[0] == "binary" ? binary : int.Parse(wa[0], System.Globalization.CultureInfo.InvariantCulture);
            int a = int.Parse(wa[1], System.Globalization.CultureInfo.InvariantCulture);
            var t = new QuantizedRobustnessRecipe(loss, w, a).Training(Preset.Paper, Opts);
            Assert.Equal((w, a), (t.WeightBits, t.ActivationBits));
            Same($"lr.{loss}", t.Lr);
            Same($"epochs.{loss}", t.Epochs);
            Assert.Equal("cifar100", t.Dataset);
            if (loss == QatLoss.Gml) SameSingle("appa.gml.alpha", t.GmlAlpha);
        }
        Assert.Throws<ArgumentException>(() => new QuantizedRobustnessRecipe(QatLoss.Ams, 2, 2));
        Assert.Throws<ArgumentException>(() => new QuantizedRobustnessRecipe(loss, 32, 2));
    }

    [Fact]
    public void AppendixA_Pgd_IsAlgorithm7()
    {
        SameSingle("threat.epsilon", AppendixAPgd.Threat.Epsilon);
        Assert.Equal(AttackNorm.LInf, AppendixAPgd.Threat.Norm);
        Assert.Equal(Thesis.Protocol("threat.targeted").AsBool(), AppendixAPgd.Threat.Targeted);
        Same("pgd.iterations", AppendixAPgd.Iterations);
        SameSingle("pgd.step", AppendixAPgd.StepSize);
        Assert.False(Thesis.Protocol("pgd.random_start").AsBool());
        Assert.False(AppendixAPgd.RandomStart);
    }

    [Fact]
    public void Recipes_AreRegistered()
    {
        Assert.IsType<EhdMemberRecipe>(Recipes.Get("ehd-member"));
        Assert.IsType<QuantizedRobustnessRecipe>(Recipes.Get("appa-dlqat"));
    }

    [Fact]
    public void SpsaGrid_PaperPreset_IsTheThesisGrid()
    {
        var g = SpsaGrid.For(Preset.Paper);
        Assert.Equal(Thesis.Protocol("spsa.iterations").AsDoubles().Select(v => (int)v), g.Iterations);
        Assert.Equal(Thesis.Protocol("spsa.batch_sizes").AsDoubles().Select(v => (int)v), g.BatchSizes);
        Same("spsa.test_images", g.Images);
        SameSingle("spsa.delta", g.Delta);
        SameSingle("threat.epsilon", g.Threat.Epsilon);
        Assert.Equal(AttackNorm.LInf, g.Threat.Norm);
        Assert.False(g.Threat.Targeted);
        var spsa = g.Attack(new ConstantOracle(), 1024);
        Assert.Equal((1024, 100, 0.01f), (spsa.Samples, spsa.Iterations, spsa.Delta));
        // quick and smoke are subsets of the thesis' columns/rows where they can be (quick: every column, rows 10 and 128).
        Assert.Equal(g.Iterations, SpsaGrid.For(Preset.Quick).Iterations);
        Assert.Subset(g.BatchSizes.ToHashSet(), SpsaGrid.For(Preset.Quick).BatchSizes.ToHashSet());
    }

    [Fact]
    public void EhdEnsembles_AreSection65sConfigurations_WithTheirThesisCleanAccuracy()
    {
        var e = EhdEnsemble.Thesis;
        Assert.Equal(Thesis.Protocol("ehd.k").AsDoubles().Select(v => (int)v).Distinct().Order(), e.Select(x => x.K).Distinct().Order());
        Assert.Equal(new[] { "6.3", "6.6", "6.7", "6.8" }, e.Select(x => x.ThesisTable));
        Assert.Equal(Thesis.Protocol("ehd.k3_losses.members").AsStrings(), e.Single(x => x.Id == "ehd3-diverse").Members.Select(m => m.Loss.ToString()));
        Assert.All(e.Where(x => x.Id != "ehd3-diverse"), x => Assert.All(x.Members, m => Assert.Equal(QatLoss.CrossEntropy, m.Loss)));
        Assert.All(e, x => Assert.Equal(x.K, x.Members.Distinct().Count()));
        foreach (var x in e) Assert.InRange(Thesis.Protocol(x.ThesisCleanKey).AsDouble(), 70, 75);
        Assert.Equal(7, EhdEnsemble.AllMembers.Count);
    }

    private sealed class ConstantOracle : IScoreOracle
    {
        public long Queries => 0;
        public ResearchKit.Tensors.Tensor Scores(ResearchKit.Tensors.Tensor inputs) => ResearchKit.Tensors.Tensor.Zeros(inputs.Shape[0], 2);
    }
}
