using ResearchKit.Quantization;
using ResearchKit.Quantization.AdaQat;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Quantization.AdaQat;

public class AdaptiveQuantizerTests
{
    [Fact]
    public void DoReFa_QuantizesLikeTheFixedQuantizerAtTheCeiling_AndAtAProbe()
    {
        var w = Tensor.Randn([6, 5], new Generator(3));
        var width = new LearnedBitWidth("w", 3.2);
        var q = AdaptiveQuantizer.DoReFa(width);
        Assert.Equal(4, q.BitWidth);
        Assert.Equal(new DoReFaWeightQuantizer(4).Quantize(w).ToArray(), q.Quantize(w).ToArray());
        using (width.Probe(3))
        {
            Assert.Equal(3, q.BitWidth);
            Assert.Equal(new DoReFaWeightQuantizer(3).Quantize(w).ToArray(), q.Quantize(w).ToArray());
            Assert.Equal(8, q.Grid().Shared.Length);
        }
        width.Update(-10, 0.1); // 3.2 → 4.2: five bits
        Assert.Equal(new DoReFaWeightQuantizer(5).Quantize(w).ToArray(), q.Quantize(w).ToArray());
    }

    [Fact]
    public void Pact_SharesOneAlphaAcrossWidths()
    {
        var width = new LearnedBitWidth("a", 4.0);
        var q = AdaptiveQuantizer.Pact(width, initialAlpha: 2f);
        var alpha = Assert.Single(q.LearnedParameters).Parameter;
        var x = Tensor.FromArray([-1f, 0.1f, 0.7f, 1.3f, 2.5f]);
        using (width.Probe(2)) q.Quantize(x);
        var inner = Assert.IsType<PactActivationQuantizer>(q.Current);
        Assert.Same(alpha, inner.Alpha);
        using (width.Probe(2))
        {
            var two = Assert.IsType<PactActivationQuantizer>(q.Current);
            Assert.Same(alpha, two.Alpha);
            Assert.Equal(2, two.BitWidth);
            // 2 bits, α = 2: levels {0, 2/3, 4/3, 2}.
            QuantTestUtil.Close([0f, 0f, 2f / 3f, 4f / 3f, 2f], q.Quantize(x).ToArray());
        }
    }

    [Fact]
    public void AFactoryWithFreshLearnedTensorsPerWidth_IsRefused()
    {
        var width = new LearnedBitWidth("a", 4.0);
        var q = new AdaptiveQuantizer(width, b => new PactActivationQuantizer(b));
        using var _ = width.Probe(3);
        var e = Assert.Throws<InvalidOperationException>(() => q.Quantize(Tensor.Ones(3)));
        Assert.Contains("WithBitWidth", e.Message);
    }

    [Fact]
    public void AFactoryBuildingTheWrongWidth_IsRefused() =>
        Assert.Contains("asked for 4", Assert.Throws<InvalidOperationException>(() => new AdaptiveQuantizer(new LearnedBitWidth("w", 4), _ => new DoReFaWeightQuantizer(2))).Message);
}
