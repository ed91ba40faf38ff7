using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Minifloat;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Quantization.QuantTestUtil;

namespace ResearchKit.Tests.Quantization.Minifloat;

public class MinifloatQuantizerTests
{
    [Fact]
    public void NoScaling_E2M3_HandComputed_WithStraightThroughGradient()
    {
        var q = new MinifloatQuantizer(MinifloatFormat.E2M3);
        Assert.Equal((6, QuantGranularity.PerTensor), (q.BitWidth, q.Granularity));
        var x = T(0.06f, 0.07f, 1.3f, -2.6f, 9f, -8f).RequiresGrad_();
        var y = q.Quantize(x);
        // Subnormal step 0.125: 0.06 < 0.0625 → 0, 0.07 → 0.125. [1, 2) step 0.125: 1.3 → 1.25. [2, 4) step 0.25: 2.6 → 2.5.
        // 9 and −8 saturate to ±7.5.
        Close([0f, 0.125f, 1.25f, -2.5f, 7.5f, -7.5f], y.ToArray(), 0f);
        y.Sum().Backward();
        Close([1f, 1f, 1f, 1f, 0f, 0f], x.Grad!.ToArray(), 0f);   // STE inside [−7.5, 7.5], 0 where saturated
        Assert.Equal(MinifloatFormat.E2M3.FiniteValues, q.Grid().Shared);
        Assert.Null(q.Grid().Steps);
    }

    [Fact]
    public void PowerOfTwoScale_MapsMaxNearMaxFinite_HandComputed()
    {
        var q = new MinifloatQuantizer(MinifloatFormat.E2M3, MinifloatScaling.PowerOfTwoFromMax);
        var x = T(0.3f, -0.1f, 0.01f).RequiresGrad_();
        // Smallest 2^k with 0.3 ≤ 7.5·2^k: 2^-4 = 0.0625 (2^-5 gives 0.234); x/s = [4.8, −1.6, 0.16].
        Assert.Equal(0.0625f, q.Scale(x));
        // 4.8 in [4, 8) step 0.5 → 5; 1.6 in [1, 2) step 0.125 → 1.625; 0.16 subnormal step 0.125 → 0.125; times s.
        var y = q.Quantize(x);
        Close([5f * 0.0625f, -1.625f * 0.0625f, 0.125f * 0.0625f], y.ToArray(), 0f);
        y.Sum().Backward();
        Close([1f, 1f, 1f], x.Grad!.ToArray(), 0f);   // nothing saturates under this scale
        Close([.. MinifloatFormat.E2M3.FiniteValues.Select(v => v * 0.0625f)], q.Grid(x).Shared, 0f);
        Assert.Contains("pass the tensor", Assert.Throws<ArgumentException>(() => q.Grid()).Message);
        Assert.Equal(1f, q.Scale(T(0f, 0f)));
    }

    [Fact]
    public void PowerOfTwoScale_Property_MaxLandsInTheTopHalfOfTheRange()
    {
        var g = new Generator(2);
        foreach (var f in new[] { MinifloatFormat.E2M3, MinifloatFormat.E3M2, MinifloatFormat.E4M3, MinifloatFormat.E5M2 })
        {
            var q = new MinifloatQuantizer(f, MinifloatScaling.PowerOfTwoFromMax);
            for (int t = 0; t < 50; t++)
            {
                var x = Tensor.Randn([17], g) * (float)Math.Pow(10, 6 * g.NextDouble() - 3);
                double s = q.Scale(x), max = x.ToArray().Max(v => Math.Abs((double)v));
                Assert.Equal(Math.ScaleB(1.0, Math.ILogB(s)), s);   // a power of two
                Assert.InRange(max / s, f.MaxFinite / 2.0 + 1e-300, f.MaxFinite);
            }
        }
    }

    [Fact]
    public void SteGradient_IsUpstreamTimesTheInRangeMask()
    {
        // Values on both sides of E3M2's ±28, random upstream gradient: dL/dx = upstream · 1[|x| ≤ 28], exactly.
        var g = new Generator(4);
        var q = new MinifloatQuantizer(MinifloatFormat.E3M2);
        var x = (Tensor.Randn([4, 6], g) * 30f).ToArray();
        var up = Tensor.Randn([4, 6], g).ToArray();
        var grad = AutogradGrad(q.Quantize, x, up, [4, 6]);
        Assert.Contains(x, v => MathF.Abs(v) > 28f);
        Assert.Contains(x, v => MathF.Abs(v) <= 28f);
        Close([.. x.Select((v, i) => MathF.Abs(v) <= 28f ? up[i] : 0f)], grad, 0f);
    }

    [Fact]
    public void Stochastic_IsSeeded_AndOnTheGrid()
    {
        float[] Run(long seed) => new MinifloatQuantizer(MinifloatFormat.E4M3, MinifloatScaling.PowerOfTwoFromMax,
            MinifloatRounding.Stochastic, new Generator(seed)).Quantize(Tensor.Randn([64], new Generator(1))).ToArray();
        var a = Run(3);
        Assert.Equal(a, Run(3));
        Assert.NotEqual(a, Run(4));
        var x = Tensor.Randn([64], new Generator(1));
        var levels = new MinifloatQuantizer(MinifloatFormat.E4M3, MinifloatScaling.PowerOfTwoFromMax).Grid(x).Shared;
        Assert.All(a, v => Assert.Contains(v, levels));
        Assert.Contains("Generator", Assert.Throws<ArgumentException>(() => new MinifloatQuantizer(MinifloatFormat.E4M3, rounding: MinifloatRounding.Stochastic)).Message);
    }

    [Fact]
    public void Specs_PlugIntoModelQuantizer()
    {
        var spec = MinifloatSpecs.Create(MinifloatFormat.E3M2, MinifloatFormat.E3M2);
        Assert.Equal((6, 6, 8), (spec.WeightBits, spec.ActivationBits, spec.FirstLastBits));
        var w = Tensor.Randn([3, 3], new Generator(0));
        var main = Assert.IsType<MinifloatQuantizer>(spec.WeightQuantizer(6, w));
        Assert.Equal((MinifloatFormat.E3M2, MinifloatScaling.PowerOfTwoFromMax), (main.Format, main.Scaling));
        Assert.Equal(MinifloatFormat.E4M3, Assert.IsType<MinifloatQuantizer>(spec.WeightQuantizer(8, w)).Format);
        Assert.Equal(MinifloatScaling.None, Assert.IsType<MinifloatQuantizer>(spec.ActivationQuantizer(6)).Scaling);
        Assert.Contains("no minifloat format of 4 bits", Assert.Throws<ArgumentException>(() => spec.ActivationQuantizer(4)).Message);
        Assert.Contains("more than", Assert.Throws<ArgumentException>(() => MinifloatSpecs.Create(new MinifloatFormat(8, 10), MinifloatFormat.E4M3)).Message);

        var model = new ResNetV2Cifar(depth: 14, numClasses: 10, featureDim: 16, inChannels: 1, generator: new Generator(0));
        var report = ModelQuantizer.Quantize(model, spec);
        Assert.Equal(8, report.Single(s => s.Path == "conv1").WeightBits);
        Assert.Contains(report, s => s.WeightBits == 6);
        using (Torch.NoGrad())
            Assert.All(model.Forward(Tensor.Randn([2, 1, 8, 8], new Generator(1))).ToArray(), v => Assert.True(float.IsFinite(v)));
    }
}
