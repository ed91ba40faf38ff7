using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using Xunit.Abstractions;

namespace ResearchKit.Tests.Quantization;

public class MemoryFootprintTests(ITestOutputHelper output)
{
    // 0: Conv2d(1→2, 3×3, no bias)  1: BN(2)  2: ReLU  3: Conv2d(2→4, 1×1, no bias)  4: ReLU  5: Flatten  6: Linear(16→3)
    // Input 1×4×4: "0" → (N,2,2,2) = 8 values per sample; "3" → (N,4,2,2) = 16; flatten 16; "6" → 3.
    private static Sequential SmallNet() => new(
        new Conv2d(1, 2, 3, bias: false, generator: new Generator(1)), new BatchNorm2d(2), new ReLU(),
        new Conv2d(2, 4, 1, bias: false, generator: new Generator(2)), new ReLU(), new Flatten(), new Linear(16, 3, generator: new Generator(3)));

    [Fact]
    public void SmallNet_DefaultOptions_HandCounted()
    {
        // W/A = 2/4, first conv "0" and last linear "6" at 8 bits.
        //   0.weight 2·1·3·3 = 18 @ 8 = 18 B;   1.weight, 1.bias 2+2 @ 32 (BN) = 16 B;   3.weight 4·2 = 8 @ 2 = 2 B;
        //   6.weight 3·16 = 48 @ 8 = 48 B;       6.bias 3 @ 32 = 12 B.                  Σ = 96 B.
        //   Biggest activation: 16 values (conv "3", first of the 16-value tensors) @ A = 4 bits = 8 B.  Total 104 B.
        var r = MemoryFootprint.Compute(SmallNet(), QuantSpec.DoReFaPact(2, 4), [1, 4, 4]);
        Assert.Equal([18.0, 8, 8, 2, 48, 12], r.Parameters.Select(p => p.Bytes));
        Assert.Equal(["0.weight", "1.weight", "1.bias", "3.weight", "6.weight", "6.bias"], r.Parameters.Select(p => p.Name));
        Assert.Equal(96.0, r.ParameterBytes);
        Assert.Equal(new ActivationStorage("3", new Shape(1, 4, 2, 2), 4, 8.0), r.BiggestActivation);
        Assert.Equal(104.0, r.TotalBytes);
        Assert.Equal(MegabyteUnit.Decimal, r.Unit);
        Assert.Equal(104e-6, r.TotalMegabytes, 12);
    }

    [Fact]
    public void SmallNet_FoldedBn_OtherOptions_HandCounted()
    {
        // Fold BN "1" into conv "0" (bias-free → a folded 2-value bias @ 16 = 4 B; BN's 4 values gone), biases at 16 bits:
        //   0.weight 18 @ 8 = 18 B;  0.bias (folded 1) 2 @ 16 = 4 B;  3.weight 8 @ 2 = 2 B;  6.weight 48 @ 8 = 48 B;  6.bias 3 @ 16 = 6 B.  Σ = 78 B.
        // Batch 2, activations at 8 bits: conv "3" → 2·16 = 32 values = 32 B; the input 2·1·4·4 = 32 values @ 16 bits = 64 B wins.
        // Total 142 B = 142 / 2^20 MB.
        var opts = new MemoryFootprintOptions(BiasBits: 16, FoldBatchNorm: true, ActivationBits: 8, BatchSize: 2, CountInput: true, InputBits: 16, Unit: MegabyteUnit.Binary);
        var r = MemoryFootprint.Compute(SmallNet(), QuantSpec.DoReFaPact(2, 4), [1, 4, 4], opts);
        Assert.Equal(["0.weight", "0.bias (folded 1)", "3.weight", "6.weight", "6.bias"], r.Parameters.Select(p => p.Name));
        Assert.Equal(ParameterRole.FoldedBias, r.Parameters[1].Role);
        Assert.Equal(78.0, r.ParameterBytes);
        Assert.Equal(new ActivationStorage("(input)", new Shape(2, 1, 4, 4), 16, 64.0), r.BiggestActivation);
        Assert.Equal(142.0, r.TotalBytes);
        Assert.Equal(1L << 20, r.BytesPerMegabyte);
        Assert.Equal(142.0 / (1 << 20), r.TotalMegabytes, 12);
    }

    [Fact]
    public void ResNet18_Float_Is4BytesPerParameterPlusStemActivation()
    {
        // 11,173,962 parameters (BN γ/β included) · 4 B = 44,695,848 B; biggest activation 64×32×32 floats = 262,144 B.
        var model = new ResNet18Cifar(10, generator: new Generator(0));
        var r = MemoryFootprint.Compute(model, QuantSpec.DoReFaPact(32, 32) with { FirstLastBits = 32 }, [3, 32, 32]);
        Assert.Equal(11_173_962L, r.ParameterCount);
        Assert.Equal(11_173_962.0 * 4, r.ParameterBytes);
        Assert.Equal(new ActivationStorage("conv1", new Shape(1, 64, 32, 32), 32, 64 * 32 * 32 * 4.0), r.BiggestActivation);
        Assert.Equal(11_173_962.0 * 4 + 262_144, r.TotalBytes);
        output.WriteLine($"ResNet-18 W/A 32/32: {r}");
    }

    [Fact]
    public void BinaryResNet18_FitsUnder2MB_AsFig53States()
    {
        var model = new ResNet18Cifar(10, generator: new Generator(0));
        var bnBefore = model.Bn1 is BatchNorm2d bn ? bn.RunningMean!.ToArray() : throw new InvalidOperationException();
        var report = ModelQuantizer.Quantize(model, QuantSpec.DoReFaPact(1, 1));
        var r = MemoryFootprint.Compute(model, report, 1, [3, 32, 32]);
        // By hand: BN channels 64 + 4·64 + 5·128 + 5·256 + 5·512 = 4,800 → 9,600 values @ 32 = 38,400 B; conv1 1,728 @ 8;
        // fc 5,120 @ 8 + 10 @ 32; the other 11,173,962 − 9,600 − 5,130 − 1,728 = 11,157,504 conv weights @ 1 bit = 1,394,688 B;
        // plus the PACT clipping values (Other, 32 bits); activation 64·32·32 @ 1 bit = 8,192 B.
        double other = r.Parameters.Where(p => p.Role == ParameterRole.Other).Sum(p => p.Bytes);
        Assert.Equal(17 * 4.0, other); // one α per quantized ReLU
        Assert.Equal(1_394_688 + 1_728 + 5_120 + 40 + 38_400 + other, r.ParameterBytes);
        Assert.Equal(8_192.0, r.BiggestActivation.Bytes);
        Assert.True(r.TotalMegabytes < 2.0, $"binary ResNet-18 = {r.TotalMegabytes} MB, the thesis says < 2 MB (Fig. 5.3)");
        Assert.Equal(bnBefore, ((BatchNorm2d)model.Bn1).RunningMean!.ToArray()); // the forward ran in eval mode
        Assert.True(model.Training);
        output.WriteLine($"Binary ResNet-18 (W/A 1/1, first/last 8-bit): {r}");
        // The spec overload on the converted model gives the same figure.
        Assert.Equal(r.TotalBytes, MemoryFootprint.Compute(model, QuantSpec.DoReFaPact(1, 1), [3, 32, 32]).TotalBytes);
    }

    [Fact]
    public void FloatResiduals_CountAt32Bits_OrAtA()
    {
        var spec = QuantSpec.Lsq(2, 2, quantizeResidualAdds: false);
        var model = new ResNet18Cifar(10, generator: new Generator(0));
        var f32 = MemoryFootprint.Compute(model, spec, [3, 32, 32]);
        Assert.Equal(new ActivationStorage("layer1.0.relu2", new Shape(1, 64, 32, 32), 32, 262_144.0), f32.BiggestActivation);
        var atA = MemoryFootprint.Compute(model, spec, [3, 32, 32], new MemoryFootprintOptions(Residuals: ResidualCounting.ActivationBits));
        Assert.Equal(64 * 32 * 32 * 2 / 8.0, atA.BiggestActivation.Bytes);
    }

    [Fact]
    public void SitesFor_MatchesModelQuantizerReport()
    {
        foreach (var spec in new[] { QuantSpec.DoReFaPact(2, 3), QuantSpec.Lsq(4, 4, quantizeResidualAdds: false) })
        {
            var planned = MemoryFootprint.SitesFor(new ResNet18Cifar(10, generator: new Generator(0)), spec);
            var report = ModelQuantizer.Quantize(new ResNet18Cifar(10, generator: new Generator(0)), spec);
            Assert.Equal(report.Select(s => (s.Path, s.Kind, s.WeightBits, s.Kind == QuantSiteKind.Activation ? s.ActivationBits : null)),
                planned.Select(s => (s.Path, s.Kind, s.WeightBits, s.ActivationBits)));
        }
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var ex = Assert.Throws<ArgumentException>(() => MemoryFootprint.Compute(SmallNet(), QuantSpec.DoReFaPact(2, 4), []));
        Assert.Contains("without the batch dimension", ex.Message);
        Assert.Throws<ArgumentException>(() => MemoryFootprint.Compute(SmallNet(), QuantSpec.DoReFaPact(2, 4), [1, 4, 4], new MemoryFootprintOptions(BatchSize: 0)));
        var missing = Assert.Throws<ArgumentException>(() => MemoryFootprint.Compute(SmallNet(), Array.Empty<QuantSite>(), 4, [1, 4, 4]));
        Assert.Contains("no weight site", missing.Message);
    }
}
