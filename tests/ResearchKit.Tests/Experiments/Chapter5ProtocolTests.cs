using ResearchKit.Experiments;
using ResearchKit.Experiments.Chapter5;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Thesis;
using Xunit;

namespace ResearchKit.Tests.Experiments;

/// <summary>
/// The paper preset of the DL-QAT recipe (chapter 5) is the thesis' protocol: each value is compared with the one kept in
/// the project (<c>data/thesis/chapter5.json</c>, transcribed with the section that states it), and a mismatch names that
/// section. The paper preset is CIFAR-10 (the ImageNet values of §5.4.1 have no recipe).
/// </summary>
public class Chapter5ProtocolTests
{
    private static readonly ThesisReference Thesis = ThesisReference.Chapter5;
    private static readonly RecipeOptions Opts = new();

    private static void Same(string key, double ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True(v.AsDouble() == ours, $"{key}: ours {ours}, thesis {v.Value.GetRawText()} ({v.Section})");
    }

    // The recipe keeps the loss hyper-parameters as float32: compare at that precision (0.35f != 0.35).
    private static void SameSingle(string key, float ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True((float)v.AsDouble() == ours, $"{key}: ours {ours}, thesis {v.Value.GetRawText()} ({v.Section})");
    }

    private static void Same(string key, string ours)
    {
        var v = Thesis.Protocol(key);
        Assert.True(string.Equals(v.AsString(), ours, StringComparison.OrdinalIgnoreCase), $"{key}: ours '{ours}', thesis {v.Value.GetRawText()} ({v.Section})");
    }

    [Theory]
    [InlineData(QatLoss.CrossEntropy)]
    [InlineData(QatLoss.Ams)]
    [InlineData(QatLoss.Gml)]
    public void DlQatRecipe_PaperPreset_IsTheThesisProtocol(QatLoss loss)
    {
        var recipe = new DlQatRecipe(loss, 2, 2);
        var t = recipe.Training(Preset.Paper, Opts);
        Same($"cifar.lr.{loss}", QatTraining.PaperLr(loss));
        Same($"cifar.lr.{loss}", t.Lr);
        Same("cifar.batch_size", t.BatchSize);
        Same("epochs", t.Epochs);
        Assert.Null(t.Steps);                       // the paper preset trains epochs, not a step budget
        SameSingle("ams.s", t.AmsScale);
        SameSingle("ams.m", t.AmsMargin);
        SameSingle("cifar.gml.alpha", t.GmlAlpha);

        var config = recipe.Config(Preset.Paper, Opts);
        Same("optimizer", (string)((IReadOnlyDictionary<string, object?>)config["optimizer"]!)["name"]!);
        Same("first_conv.weight_bits", (int)config["first_last_bits"]!);
        Same("last_layer.weight_bits", (int)config["first_last_bits"]!);
        Same("last_layer.input_activation_bits", (int)config["first_last_bits"]!);
        Assert.Equal(loss, Enum.Parse<QatLoss>((string)config["loss"]!));
        Assert.Equal(t.AmsScale, (float)config["ams_s"]!);
        Assert.Equal(t.AmsMargin, (float)config["ams_m"]!);
        Assert.Equal(t.GmlAlpha, (float)config["gml_alpha"]!);
        Assert.Equal(t.BatchSize, (int)config["batch_size"]!);
        Assert.Equal(t.Epochs, (int)config["epochs_per_stage"]!);
    }

    [Fact]
    public void DlQatRecipe_PaperNetwork_KeepsTheThesisPrecisionExceptions()
    {
        var t = new DlQatRecipe(QatLoss.CrossEntropy, 2, 2).Training(Preset.Paper, Opts);
        var net = DlQatRecipe.Network(Preset.Paper, t, 0);
        Assert.IsType<ResNet18Cifar>(net.Model);
        var spec = TwoStageQat.Spec(net, t);
        Same("first_conv.weight_bits", spec.FirstLastBits);
        Assert.True(spec.QuantizeResidualAdds == Thesis.Protocol("residual.at_activation_bits").AsBool(), "residual.at_activation_bits (§5.4.2)");

        var sites = TwoStageQat.Quantize(net, t);
        var convs = sites.Where(s => s.Kind == QuantSiteKind.Conv).ToList();
        var linears = sites.Where(s => s.Kind == QuantSiteKind.Linear).ToList();
        var acts = sites.Where(s => s.Kind == QuantSiteKind.Activation).ToList();
        Same("first_conv.weight_bits", convs[0].WeightBits!.Value);
        Assert.Equal("conv1", convs[0].Path);
        Assert.All(convs.Skip(1), s => Assert.Equal(t.WeightBits, s.WeightBits));
        Same("last_layer.weight_bits", Assert.Single(linears).WeightBits!.Value);
        Same("last_layer.input_activation_bits", acts[^1].ActivationBits!.Value);
        Assert.All(acts.Take(acts.Count - 1), s => Assert.Equal(t.ActivationBits, s.ActivationBits));
        // Batch norms and the linear bias stay float: no site quantizes them (sites are convs, linears and ReLUs only).
        Assert.False(Thesis.Protocol("batchnorm.quantized").AsBool());
        Assert.DoesNotContain(sites, s => s.Path.Contains("bn", StringComparison.Ordinal));
    }

    [Fact]
    public void DlQatRecipe_Ams_HasNoLinearBias()
    {
        Assert.False(Thesis.Protocol("ams.linear_bias").AsBool());
        var net = DlQatRecipe.Network(Preset.Paper, new DlQatRecipe(QatLoss.Ams).Training(Preset.Paper, Opts), 0);
        Assert.DoesNotContain(net.Model.NamedParameters(), p => p.Name == "fc.bias");
    }

    [Fact]
    public void DlQatRecipe_RunsEveryCifar10BitSetting()
    {
        // Table 5.3's CIFAR-10 settings; "binary" weights are 1 bit (Eq. 5.4 with b = 1).
        int binary = (int)Thesis.Protocol("binary.weight_bits").AsInt64();
        foreach (var setting in Thesis.Protocol("cifar10.bit_settings").AsStrings())
        {
            var wa = setting.Split('/');
            int w = wa[0] == "binary" ? binary : int.Parse(wa[0], System.Globalization.CultureInfo.InvariantCulture);
            int a = int.Parse(wa[1], System.Globalization.CultureInfo.InvariantCulture);
            var t = new DlQatRecipe(QatLoss.Gml, w, a).Training(Preset.Paper, Opts);
            Assert.Equal((w, a), (t.WeightBits, t.ActivationBits));
        }
    }

    [Fact]
    public void DlQatRecipe_Preprocessing_IsSection541()
    {
        Assert.True(Thesis.Protocol("preprocessing.divide_by_255").AsBool());
        Assert.Equal(Thesis.Protocol("preprocessing.standardization").AsBool(), new DlQatRecipe().Training(Preset.Paper, Opts).Standardize);
        foreach (var p in new[] { Preset.Smoke, Preset.Quick, Preset.Paper })
        {
            var (train, test) = DlQatRecipe.InputTransforms(p, new DlQatRecipe().Training(p, Opts));
            Assert.DoesNotContain("Normalize", train.ToString(), StringComparison.Ordinal);
            Assert.EndsWith("ToFloat())", train.ToString(), StringComparison.Ordinal);   // x / 255 last
            Assert.Equal("Compose(ToFloat())", test.ToString());
        }
        // §5.4.1: "augmented with random rescaling, cropping and flipping" (parameters not stated).
        Assert.Contains("rescaling, cropping and flipping", Thesis.Protocol("augmentation").AsString()!, StringComparison.Ordinal);
        string paper = DlQatRecipe.InputTransforms(Preset.Paper, new DlQatRecipe().Training(Preset.Paper, Opts)).Train.ToString()!;
        foreach (var step in new[] { "RandomRescale", "RandomCrop", "RandomHorizontalFlip" }) Assert.Contains(step, paper, StringComparison.Ordinal);
    }

    [Fact]
    public void PaperPipeline_RunsOnRealCifar10Images_IntoThePaperNetwork()
    {
        // The committed sample holds 1,000 real CIFAR-10 test images: the paper preset's augmentation and /255 run on them,
        // and the §5.4.1 network takes the batch.
        var t = new DlQatRecipe(QatLoss.Gml, 2, 2).Training(Preset.Paper, Opts);
        var (train, _) = DlQatRecipe.InputTransforms(Preset.Paper, t);
        using var loader = new ResearchKit.Data.DataLoader(ResearchKit.Data.Samples.Cifar10(), 8, shuffle: true, seed: 0, train, dropLast: true);
        var batch = loader.Epoch(0).First();
        Assert.Equal([8, 3, 32, 32], batch.Images.Shape.ToArray());
        Assert.All(batch.Images.ToArray(), v => Assert.InRange(v, 0f, 1f));
        var net = DlQatRecipe.Network(Preset.Paper, t, 0);
        net.Eval();
        using (ResearchKit.Tensors.Torch.NoGrad())
            Assert.Equal([8, 512], net.Features(batch.Images).Shape.ToArray());
    }
}
