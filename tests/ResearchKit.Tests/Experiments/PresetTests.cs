using ResearchKit.Experiments;
using Xunit;

namespace ResearchKit.Tests.Experiments;

public class PresetTests
{
    [Theory]
    [InlineData("smoke", Preset.Smoke)] [InlineData("Quick", Preset.Quick)] [InlineData(" paper ", Preset.Paper)]
    public void Parse_AcceptsNames(string s, Preset p) => Assert.Equal(p, Presets.Parse(s));

    [Fact]
    public void Parse_RejectsUnknown_ListingAllowed()
    {
        var ex = Assert.Throws<ArgumentException>(() => Presets.Parse("fast"));
        Assert.Contains("smoke, quick or paper", ex.Message);
    }

    [Fact]
    public void UnknownRecipe_ListsKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Recipes.Get("resnet-9000"));
        Assert.Contains("mnist-cnn", ex.Message);
    }

    [Fact]
    public void MnistCnn_ConfigsDifferByPreset_AndPaperFollowsTheProtocol()
    {
        var r = Recipes.Get("mnist-cnn");
        var smoke = ResearchKit.Runs.RunConfig.From(r.Config(Preset.Smoke, new RecipeOptions()));
        var quick = ResearchKit.Runs.RunConfig.From(r.Config(Preset.Quick, new RecipeOptions()));
        Assert.NotEqual(smoke.Hash, quick.Hash);
        var paper = r.Config(Preset.Paper, new RecipeOptions());
        Assert.Equal(14, paper["epochs"]);
        Assert.Equal(64, paper["batch_size"]);
        Assert.Equal(1_199_882, MnistCnn.Model(new ResearchKit.Tensors.Generator(0), new ResearchKit.Tensors.Generator(1)).ParameterCount()); // as PyTorch examples/mnist
    }
}
