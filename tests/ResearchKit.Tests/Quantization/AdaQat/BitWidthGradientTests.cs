using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.AdaQat;
using ResearchKit.Tensors;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tests.Quantization.AdaQat;

public class BitWidthGradientTests
{
    private static readonly Tensor X = AdaQatTestNets.Inputs(9);
    private static readonly Tensor Y = Tensor.Randn([32, 3], new Generator(10));

    private static double Loss(ResearchKit.Tensors.Nn.Module<Tensor, Tensor> net)
    {
        using var _ = Torch.NoGrad();
        return F.MseLoss(net.Forward(X), Y).Item();
    }

    // The task loss at integer widths, from a model quantized by the plain ModelQuantizer (not by AdaQAT's code).
    private static double Fixed(int w, int a) => Loss(AdaQatTestNets.FixedMlp(5, w, a));

    // The relaxed objective in N_w between integer widths: the task loss linearly interpolated in N_w, plus λ·N_w·⌈N_a⌉ (the
    // cost's other factor is read at its integer width, as the authors' code and AdaQatCost's remarks do).
    private static double Relaxed(double nw, double na, double lambda)
    {
        double Interp(double n, Func<int, double> f) { int lo = (int)Math.Floor(n); return f(lo) + (n - lo) * (f(lo + 1) - f(lo)); }
        int a = (int)Math.Ceiling(na);
        return Interp(nw, w => Fixed(w, a)) + lambda * nw * a;
    }

    [Fact]
    public void PerNetwork_EstimateIsTheSlopeOfTheRelaxedObjective_ByFiniteDifferences()
    {
        const double lambda = 0.05;
        var net = AdaQatTestNets.Mlp(5);
        var model = AdaQatModel.Convert(net, new AdaQatOptions(Lambda: lambda, InitialWeightBits: 3.4, InitialActivationBits: 4.6));
        Assert.Equal([4, 5], model.BitWidths.Select(b => b.Bits));
        var grads = BitWidthGradientEstimator.Estimate(model, Loss(net), () => Loss(net));
        Assert.Equal(2, grads.Count);

        var gw = grads[0];
        Assert.Same(model.WeightBitWidths[0], gw.BitWidth);
        Assert.Equal(Fixed(4, 5), gw.LossAtBits, 6);   // the adaptive model at ⌈N⌉ is the fixed 4/5-bit model
        Assert.Equal(Fixed(3, 5), gw.LossBelow, 6);    // and its probe the fixed 3/5-bit one
        Assert.Equal(lambda * 5, gw.CostGradient, 12);
        const double h = 0.05;                          // inside (3, 4]: the interpolant is linear there
        double fd = (Relaxed(3.4 + h, 4.6, lambda) - Relaxed(3.4 - h, 4.6, lambda)) / (2 * h);
        Assert.Equal(fd, gw.Total, 5);
        Assert.NotEqual(0.0, gw.TaskDifference);

        var ga = grads[1];
        Assert.Equal(Fixed(4, 5) - Fixed(4, 4), ga.TaskDifference, 6);
        Assert.Equal(lambda * 4, ga.CostGradient, 12);
        Assert.Equal([4, 5], model.BitWidths.Select(b => b.EffectiveBits)); // probes are over
    }

    [Fact]
    public void PerLayer_EachEstimateLowersOnlyItsOwnLayer()
    {
        var net = AdaQatTestNets.Mlp(5);
        var model = AdaQatModel.Convert(net, new AdaQatOptions(Granularity: BitWidthGranularity.PerLayer, InitialWeightBits: 4, InitialActivationBits: 5));
        Assert.Equal(["0.weight", "2.weight", "1.act"], model.BitWidths.Select(b => b.Name));
        Assert.Equal(3, BitWidthGradientEstimator.ExtraForwards(model));
        var grads = BitWidthGradientEstimator.Estimate(model, Loss(net), () => Loss(net));

        // Reference: the plain ModelQuantizer with the first (then the second) learned weight site at 3 bits.
        double OneLayerDown(int which)
        {
            var m = AdaQatTestNets.Mlp(5);
            int site = 0;
            ModelQuantizer.Quantize(m, new QuantSpec(4, 5, (b, _) => new DoReFaWeightQuantizer(b == 4 && site++ == which ? 3 : b), b => new PactActivationQuantizer(b)));
            return Loss(m);
        }
        Assert.Equal(Fixed(4, 5) - OneLayerDown(0), grads[0].TaskDifference, 6);
        Assert.Equal(Fixed(4, 5) - OneLayerDown(1), grads[1].TaskDifference, 6);
        Assert.Equal(Fixed(4, 5) - Fixed(4, 4), grads[2].TaskDifference, 6); // a single learned activation site
        // Per-layer BitProduct: λ·mean(N_a)/L_w for each weight width.
        Assert.Equal(0.02 * 5 / 2, grads[0].CostGradient, 12);
    }

    [Fact]
    public void FrozenWidths_AreNotProbed()
    {
        var net = AdaQatTestNets.Mlp(5);
        var model = AdaQatModel.Convert(net, new AdaQatOptions());
        model.ActivationBitWidths[0].Freeze();
        int calls = 0;
        var grads = BitWidthGradientEstimator.Estimate(model, 1.0, () => { calls++; return 1.0; });
        Assert.Equal(1, calls);
        Assert.Same(model.WeightBitWidths[0], Assert.Single(grads).BitWidth);
    }

    [Fact]
    public void LearnActivationsFalse_KeepsEveryActivationWidthAtItsInitialValue_AndProbesOnlyWeights()
    {
        var net = AdaQatTestNets.Mlp(5);
        var model = AdaQatModel.Convert(net, new AdaQatOptions(Granularity: BitWidthGranularity.PerLayer, InitialActivationBits: 4, LearnActivations: false));
        Assert.All(model.ActivationBitWidths, a => { Assert.True(a.Frozen); Assert.Equal(4, a.Bits); });
        Assert.All(model.WeightBitWidths, w => Assert.False(w.Frozen));
        var grads = BitWidthGradientEstimator.Estimate(model, 1.0, () => 1.0);
        Assert.Equal(model.WeightBitWidths.Count, grads.Count);
        Assert.All(grads, g => Assert.Contains(g.BitWidth, model.WeightBitWidths));
        // Through training, too: the activation widths never move.
        var cb = AdaQatTestNets.Run(new AdaQatOptions(Lambda: 5, LearnActivations: false), steps: 5);
        Assert.All(cb.Model.ActivationBitWidths, a => Assert.Equal(4.0, a.Value));
        Assert.Contains("nothing is learned", Assert.Throws<ArgumentException>(() => new AdaQatOptions(LearnWeights: false, LearnActivations: false).Validated()).Message);
    }

    [Fact]
    public void ResNet20_PerNetworkHasTwoWidths_OverEveryLearnedSite_AndPerLayerOneEach()
    {
        var reference = ModelQuantizer.Quantize(new ResNetCifar(20, generator: new Generator(0)), QuantSpec.DoReFaPact(4, 4));
        int learnedW = reference.Count(s => s.WeightBits == 4), learnedA = reference.Count(s => s.ActivationBits == 4);
        Assert.Equal(18, learnedW); // 19 convs + 1 linear, less the first conv and the classifier at 8 bits
        Assert.Equal(18, learnedA); // 19 ReLUs, less the last one at 8 bits

        var net = new ResNetCifar(20, generator: new Generator(0));
        var model = AdaQatModel.Convert(net, new AdaQatOptions());
        Assert.Equal(2, model.BitWidths.Count);
        Assert.Equal(learnedW, model.Sites.Count(s => s.IsWeight));
        Assert.Equal(learnedA, model.Sites.Count(s => !s.IsWeight));
        Assert.All(model.Sites.Where(s => s.IsWeight), s => Assert.Same(model.WeightBitWidths[0], s.BitWidth));
        Assert.Equal(8, net.GetSubmodule<SharedQuantConv2d>("conv1").WeightQuant!.BitWidth);
        model.WeightBitWidths[0].Update(-10, 0.1); // 4 → 5 bits everywhere at once
        Assert.Equal(5, net.GetSubmodule<SharedQuantConv2d>("layer3.2.conv2").WeightQuant!.BitWidth);

        var perLayer = AdaQatModel.Convert(new ResNetCifar(20, generator: new Generator(0)), new AdaQatOptions(Granularity: BitWidthGranularity.PerLayer));
        Assert.Equal(learnedW + learnedA, perLayer.BitWidths.Count);
        Assert.Contains(perLayer.BitWidths, b => b.Name == "layer2.0.conv1.weight");
        Assert.Contains(perLayer.BitWidths, b => b.Name == "layer1.0.relu1.act");
    }

    [Fact]
    public void TrainerForward_GivesThePlainQatLoss_AndLeavesBatchNormStatisticsAsAPlainForwardWould()
    {
        var a = new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(2));
        var b = new ResNetCifar(8, 10, inChannels: 1, generator: new Generator(2));
        var model = AdaQatModel.Convert(a, new AdaQatOptions());
        ModelQuantizer.Quantize(b, QuantSpec.DoReFaPact(4, 4));
        var x = Tensor.Randn([4, 1, 8, 8], new Generator(3));
        var y = Tensor.FromArray(new long[] { 1, 7, 3, 0 });
        var cb = new AdaQatCallback(model, a, (o, t) => F.CrossEntropy(o, t));
        var (la, _) = cb.Forward(x, y);
        var lb = F.CrossEntropy(b.Forward(x), y);
        Assert.Equal(lb.Item(), la.Item(), 6);
        Assert.Equal(2, cb.ExtraForwardPasses);
        var bufA = a.NamedBuffers().ToDictionary(n => n.Name, n => n.Buffer);
        foreach (var (name, buf) in b.NamedBuffers())
            QuantTestUtil.Close(buf.Float().ToArray(), bufA[name].Float().ToArray(), 1e-6f);
    }
}
