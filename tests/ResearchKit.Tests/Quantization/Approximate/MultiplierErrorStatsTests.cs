using ResearchKit.Quantization.Approximate;
using Xunit;

namespace ResearchKit.Tests.Quantization.Approximate;

public class MultiplierErrorStatsTests
{
    [Fact]
    public void Exhaustive_CountsEveryPair_AndMatchesADirectComputationOnThreeBits()
    {
        // 3-bit signed operands [-4, 3]; DRUM-2 keeps operands below 4 and maps magnitude 4 to 6, so exactly the 13 pairs
        // with a −4 and a nonzero partner are wrong; the worst is (−4)·(−4) → 36 (error 20, relative 1.25).
        var m = new DrumMultiplier(2, 3);
        var s = MultiplierErrorStats.Compute(m);
        Assert.True(s.Exhaustive);
        Assert.Equal(64, s.Pairs);
        int wrong = 0, nonZero = 0; double sumAbs = 0, sum = 0, sumRel = 0, sumSigned = 0;
        for (int a = -4; a <= 3; a++)
            for (int b = -4; b <= 3; b++)
            {
                long e = m.Multiply(a, b) - a * b;
                if (e != 0) wrong++;
                sum += e; sumAbs += Math.Abs(e);
                if (a * b != 0) { nonZero++; sumRel += Math.Abs(e) / (double)Math.Abs(a * b); sumSigned += e / (double)(a * b); }
            }
        Assert.Equal(13, wrong);
        Assert.Equal(wrong / 64.0, s.ErrorProbability, 12);
        Assert.Equal(sum / 64, s.MeanError, 12);
        Assert.Equal(sumAbs / 64, s.MeanAbsoluteError, 12);
        Assert.Equal(sumAbs / 64 / 16, s.Nmed, 12);   // max |P| = (−4)² = 16
        Assert.Equal(sumRel / nonZero, s.Mred, 12);
        Assert.Equal(sumSigned / nonZero, s.MeanRelativeError, 12);
        Assert.Equal(1.25, s.MaxRelativeError, 12);
        Assert.Equal(20, s.WorstCaseError);
        Assert.Equal(64, MultiplierErrorStats.Compute(m, domain: OperandDomain.Unsigned).Pairs);
    }

    [Fact]
    public void Sampled_AboveEightBits_IsDeterministicPerSeed_AndBoundsStillHold()
    {
        var m = new MitchellMultiplier(12);
        var a = MultiplierErrorStats.Compute(m, samples: 20000, seed: 7);
        var b = MultiplierErrorStats.Compute(m, samples: 20000, seed: 7);
        var c = MultiplierErrorStats.Compute(m, samples: 20000, seed: 8);
        Assert.False(a.Exhaustive);
        Assert.Equal(20000, a.Pairs);
        Assert.Equal(a, b);
        Assert.NotEqual(a.MeanError, c.MeanError);
        Assert.True(a.MaxRelativeError <= 1.0 / 9 + 1e-12);
    }

    [Fact]
    public void BadWidth_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiplierErrorStats.Compute(new ExactMultiplier(8), bits: 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiplierErrorStats.Compute(new ExactMultiplier(12), samples: 0));
    }
}
