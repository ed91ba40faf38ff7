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

    // Every non-negative value of a finite-only ExMy with subnormals, from the value formula (not from the code).
    private static SortedSet<float> UnsignedFormula(int e, int m, int bias)
    {
        var set = new SortedSet<float> { 0f };
        for (int f = 1; f < 1 << m; f++) set.Add((float)Math.ScaleB(f, 1 - bias - m));                 // subnormals
        for (int ef = 1; ef < 1 << e; ef++)
            for (int f = 0; f < 1 << m; f++) set.Add((float)Math.ScaleB((1 << m) + f, ef - bias - m));   // normals
        return set;
    }

    [Theory]
    [InlineData(3, 3, 3)]
    [InlineData(3, 1, 3)]
    [InlineData(2, 2, 1)]
    [InlineData(4, 4, 7)]
    public void Unsigned_GridIsEveryNonNegativeValueOfTheFormula_2PowBLevels_AndEachIsAFixedPoint(int e, int m, int bias)
    {
        var q = new MinifloatQuantizer(new MinifloatFormat(e, m, bias, true, MinifloatSpecials.FiniteOnly), unsigned: true);
        Assert.Equal(e + m, q.BitWidth);                       // the sign bit of the (b+1)-bit format is not stored
        Assert.Equal($"uE{e}M{m}", q.FormatName);
        var grid = q.Grid().Shared;
        Assert.Equal(UnsignedFormula(e, m, bias).ToArray(), grid.ToArray());
        Assert.Equal(1 << q.BitWidth, grid.Length);             // b bits, 2^b distinct values: no code wasted
        Assert.Equal(grid.ToArray(), q.Quantize(Tensor.FromArray(grid.ToArray(), [grid.Length])).ToArray());
    }

    [Fact]
    public void Unsigned_NegativesClampToZeroWithZeroGradient_InRangeIsStraightThrough_SaturatedIsZero()
    {
        var fmt = new MinifloatFormat(3, 3, 3, true, MinifloatSpecials.FiniteOnly);   // uE3M3: max 30
        var q = new MinifloatQuantizer(fmt, unsigned: true);
        var x = T(-3f, -0.01f, 0f, 1.3f, 29f, 40f).RequiresGrad_();
        var y = q.Quantize(x);
        // [1, 2) step 1/8: 1.3 → 1.25; [16, 32) step 2: 29 → 28 (tie 29 is between 28 and 30: even mantissa 28); 40 saturates.
        Close([0f, 0f, 0f, 1.25f, 28f, 30f], y.ToArray(), 0f);
        Assert.All(y.ToArray(), v => Assert.False(float.IsNegative(v)));   // +0, not −0
        y.Sum().Backward();
        Close([0f, 0f, 1f, 1f, 1f, 0f], x.Grad!.ToArray(), 0f);
    }

    [Fact]
    public void Unsigned_Property_OnNonNegativeDataEqualsTheSignedQuantizerOfTheSameFormat()
    {
        var fmt = new MinifloatFormat(3, 2, 3, true, MinifloatSpecials.FiniteOnly);
        var g = new Generator(17);
        for (int trial = 0; trial < 20; trial++)
        {
            var x = (Tensor.Rand([64], g) * (float)Math.Pow(2, trial % 8 - 3)).Relu();
            foreach (var scaling in new[] { MinifloatScaling.None, MinifloatScaling.PowerOfTwoFromMax })
                Assert.Equal(new MinifloatQuantizer(fmt, scaling).Quantize(x).ToArray(),
                    new MinifloatQuantizer(fmt, scaling, unsigned: true).Quantize(x).ToArray());
        }
        // The scale of an unsigned quantizer ignores the negative part: −100 does not widen it.
        var u = new MinifloatQuantizer(fmt, MinifloatScaling.PowerOfTwoFromMax, unsigned: true);
        Assert.Equal(u.Scale(T(3f)), u.Scale(T(-100f, 3f)));
    }

    [Fact]
    public void Specs_UnsignedActivations_ReportBBits_AndUseTheUnsignedFormat()
    {
        var a = new MinifloatFormat(3, 3, 3, true, MinifloatSpecials.FiniteOnly);
        var spec = MinifloatSpecs.Create(MinifloatFormat.E3M2, a, unsignedActivations: true);
        Assert.Equal((6, 6), (spec.WeightBits, spec.ActivationBits));
        var q6 = Assert.IsType<MinifloatQuantizer>(spec.ActivationQuantizer(6));
        Assert.True(q6.Unsigned);
        Assert.Equal(a, q6.Format);
        var q8 = Assert.IsType<MinifloatQuantizer>(spec.ActivationQuantizer(8));   // first/last: unsigned E4M4 by default
        Assert.Equal((true, MinifloatSpecs.UnsignedE4M4, 8), (q8.Unsigned, q8.Format, q8.BitWidth));
        Assert.False(Assert.IsType<MinifloatQuantizer>(spec.WeightQuantizer(6, T(1f))).Unsigned);
        Assert.Throws<ArgumentException>(() => spec.ActivationQuantizer(7));
    }
}
