using ResearchKit.Quantization.AdaQat;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Quantization.AdaQat;

/// <summary>The checkpointed AdaQAT state: a restore into a fresh model reproduces every width's value, counters and freeze flag.</summary>
public class AdaQatStateTests
{
    private static AdaQatCallback Fresh(AdaQatOptions options)
    {
        var net = AdaQatTestNets.Mlp(1);
        return new AdaQatCallback(AdaQatModel.Convert(net, options), net, (o, y) => F.MseLoss(o, y));
    }

    [Fact]
    public void CaptureThenRestore_GivesTheSameWidthsCountersAndExtraForwards()
    {
        // Per layer, a large bit lr and a low freeze limit: widths move, rise and some freeze within the run.
        var options = new AdaQatOptions(Lambda: 0.05, BitLearningRate: 3, Granularity: BitWidthGranularity.PerLayer, FreezeAfterIncreases: 1);
        var trained = AdaQatTestNets.Run(options, steps: 25);
        Assert.Contains(trained.Model.BitWidths, w => w.Increases.Count > 0);
        Assert.Contains(trained.Model.BitWidths, w => w.Value != options.InitialWeightBits);
        var restored = Fresh(options);
        AdaQatState.Restore(restored, AdaQatState.Capture(trained));
        Assert.Equal(trained.ExtraForwardPasses, restored.ExtraForwardPasses);
        foreach (var (a, b) in trained.Model.BitWidths.Zip(restored.Model.BitWidths))
        {
            Assert.Equal(a.Name, b.Name);
            Assert.Equal(a.Value, b.Value); // bit-exact: written with round-trip precision
            Assert.Equal(a.Frozen, b.Frozen);
            Assert.Equal(a.Increases.OrderBy(e => e.Key), b.Increases.OrderBy(e => e.Key));
        }
        Assert.Equal(AdaQatState.Capture(trained), AdaQatState.Capture(restored));
    }

    [Fact]
    public void Restore_RefusesTheStateOfAnotherModel()
    {
        var perNetwork = AdaQatTestNets.Run(new AdaQatOptions(), steps: 2);
        var perLayer = Fresh(new AdaQatOptions(Granularity: BitWidthGranularity.PerLayer));
        var e = Assert.Throws<ArgumentException>(() => AdaQatState.Restore(perLayer, AdaQatState.Capture(perNetwork)));
        Assert.Contains("convert the model with the options of the saved run", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => AdaQatState.Restore(perLayer, "not json"));
        // A value outside the bounds of the model's widths (saved with other bounds) is refused too.
        var narrow = Fresh(new AdaQatOptions(MaxBits: 3, InitialWeightBits: 3, InitialActivationBits: 3));
        Assert.Throws<ArgumentException>(() => AdaQatState.Restore(narrow, AdaQatState.Capture(Fresh(new AdaQatOptions(InitialWeightBits: 7)))));
    }
}
