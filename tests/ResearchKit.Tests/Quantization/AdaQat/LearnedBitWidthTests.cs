using ResearchKit.Quantization.AdaQat;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Quantization.AdaQat;

public class LearnedBitWidthTests
{
    [Theory]
    [InlineData(3.0, 3)]      // an integer N is its own width
    [InlineData(3.0001, 4)]   // anything above rounds up: the ceiling, not nearest
    [InlineData(2.5, 3)]
    [InlineData(3.9999, 4)]
    [InlineData(8.0, 8)]
    [InlineData(8.2, 8)]      // clamped to MaxBits
    [InlineData(1.6, 2)]      // clamped to MinBits
    [InlineData(-5.0, 2)]
    [InlineData(40.0, 8)]
    public void Discretize_IsTheClampedCeiling(double n, int expected) => Assert.Equal(expected, LearnedBitWidth.Discretize(n, 2, 8));

    [Fact]
    public void Discretize_Property_WidthIsTheSmallestIntegerNotBelowN_InsideTheBounds()
    {
        var g = new Generator(7);
        var u = Tensor.Rand([2000], g).ToArray();
        for (int i = 0; i < u.Length; i++)
        {
            int min = 2 + i % 3, max = min + 1 + i % 7;
            double n = min - 1 + 1e-6 + u[i] * (max - min + 1 - 1e-6); // (min − 1, max]
            int b = LearnedBitWidth.Discretize(n, min, max);
            Assert.InRange(b, min, max);
            Assert.True(b - 1 < n && n <= b, $"N = {n:R} gave {b} bits in [{min}, {max}]");
        }
    }

    [Fact]
    public void Discretize_RejectsNonFinite() =>
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => LearnedBitWidth.Discretize(double.NaN, 2, 8)).Message);

    [Fact]
    public void Update_IsGradientDescent_ThenCeiling()
    {
        var w = new LearnedBitWidth("w", 4.0);
        Assert.Equal(4, w.Update(3.0, 0.1));    // 4 − 0.3 = 3.7 → still 4 bits
        Assert.Equal(3.7, w.Value, 12);
        Assert.Equal(3, w.Update(10.0, 0.1));   // 3.7 − 1 = 2.7 → 3 bits
        Assert.Equal(2.7, w.Value, 12);
        Assert.Equal(4, w.Update(-5.0, 0.1));   // 2.7 + 0.5 = 3.2 → 4 bits
        Assert.False(w.Frozen);
    }

    [Fact]
    public void Update_ClampsToTheBounds_AndFreezesBelowTheMinimum()
    {
        var hi = new LearnedBitWidth("hi", 7.5, maxBits: 8);
        hi.Update(-100, 0.1);
        Assert.Equal(8.0, hi.Value);
        Assert.Equal(8, hi.Bits);
        Assert.False(hi.Frozen);

        var lo = new LearnedBitWidth("lo", 2.2, minBits: 2);
        lo.Update(100, 0.1);
        Assert.Equal(1.5, lo.Value);
        Assert.Equal(2, lo.Bits);
        Assert.True(lo.Frozen);
        lo.Update(-100, 0.1);                   // frozen: no more moves
        Assert.Equal(1.5, lo.Value);

        var keep = new LearnedBitWidth("keep", 2.2, freezeAtMinimum: false);
        keep.Update(100, 0.1);
        Assert.False(keep.Frozen);
        keep.Update(-10, 0.1);
        Assert.Equal(2.5, keep.Value, 12);
    }

    [Fact]
    public void Update_FreezesAfterTooManyRisesFromOneWidth()
    {
        var w = new LearnedBitWidth("w", 3.0, freezeAfterIncreases: 2);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(4, w.Update(-5, 0.1));  // 3 → 4: a rise from 3
            Assert.Equal(3, w.Update(5, 0.1));   // back to 3
        }
        Assert.Equal(2, w.Increases[3]);
        Assert.False(w.Frozen);
        w.Update(-5, 0.1);                       // third rise from 3 > 2
        Assert.True(w.Frozen);
        Assert.Equal(4, w.Bits);
    }

    [Fact]
    public void Update_AtBoundary_FreezesAnOscillationAtItsLowerWidth_TheKinkItCrosses()
    {
        var w = new LearnedBitWidth("w", 3.0, freezeAfterIncreases: 2, freezeSide: OscillationFreeze.AtBoundary);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(4, w.Update(-5, 0.1));
            Assert.Equal(3, w.Update(5, 0.1));
        }
        Assert.Equal(3, w.Update(-5, 0.1));     // the third rise freezes it on the boundary N = 3
        Assert.True(w.Frozen);
        Assert.Equal(3.0, w.Value);
        Assert.Equal(3, w.Bits);
        Assert.Equal(3, w.Update(-50, 0.1));    // frozen: no further move
        Assert.Equal(3.0, w.Value);
    }

    [Fact]
    public void FreezeSide_OnlyChangesTheWidthAFrozenOscillationKeeps()
    {
        // Same gradients through both rules: identical values until the freeze, then k + 1 against k.
        var rnd = new Random(7);
        var grads = Enumerable.Range(0, 200).Select(_ => rnd.NextDouble() * 4 - 2).ToArray();
        var up = new LearnedBitWidth("u", 4.0, freezeAfterIncreases: 3);
        var down = new LearnedBitWidth("d", 4.0, freezeAfterIncreases: 3, freezeSide: OscillationFreeze.AtBoundary);
        foreach (var g in grads)
        {
            up.Update(g, 0.3);
            down.Update(g, 0.3);
            Assert.Equal(up.Frozen, down.Frozen);
            if (up.Frozen) break;
            Assert.Equal(up.Value, down.Value);
        }
        Assert.True(up.Frozen);
        Assert.Equal(up.Bits - 1, down.Bits);
        Assert.Equal(down.Bits, down.Value);
    }

    [Fact]
    public void Probe_OverridesTheEffectiveWidth_OnlyInsideItsScope()
    {
        var w = new LearnedBitWidth("w", 5.3);
        Assert.Equal(6, w.EffectiveBits);
        using (w.Probe(5))
        {
            Assert.Equal(5, w.EffectiveBits);
            Assert.Equal(6, w.Bits);
            Assert.Throws<InvalidOperationException>(() => w.Probe(4));
        }
        Assert.Equal(6, w.EffectiveBits);
        Assert.Null(w.ProbeBits);
    }

    [Fact]
    public void BadSettings_AreRefusedWithTheirName()
    {
        Assert.Contains("minBits", Assert.Throws<ArgumentException>(() => new LearnedBitWidth("w", 4, minBits: 1)).Message);
        Assert.Contains("minBits", Assert.Throws<ArgumentException>(() => new LearnedBitWidth("w", 4, minBits: 5, maxBits: 4)).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => new LearnedBitWidth("w", double.PositiveInfinity)).Message);
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => new LearnedBitWidth("w", 4).Update(1, -1)).Message);
        Assert.Contains("gradient", Assert.Throws<ArgumentException>(() => new LearnedBitWidth("w", 4).Update(double.NaN, 0.1)).Message);
        Assert.Contains("Lambda", Assert.Throws<ArgumentException>(() => new AdaQatOptions(Lambda: -1).Validated()).Message);
        Assert.Contains("MinBits", Assert.Throws<ArgumentException>(() => new AdaQatOptions(MinBits: 1).Validated()).Message);
        Assert.Contains("freeze side", Assert.Throws<ArgumentException>(() => new LearnedBitWidth("w", 4, freezeSide: (OscillationFreeze)9)).Message);
        Assert.Contains("FreezeSide", Assert.Throws<ArgumentException>(() => new AdaQatOptions(FreezeSide: (OscillationFreeze)9).Validated()).Message);
    }
}
