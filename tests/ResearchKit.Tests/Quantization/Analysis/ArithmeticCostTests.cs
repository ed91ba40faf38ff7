using ResearchKit.Quantization.Analysis;
using ResearchKit.Quantization.Minifloat;
using Xunit;

namespace ResearchKit.Tests.Quantization.Analysis;

public class ArithmeticCostTests
{
    [Fact]
    public void Anchors_AreHorowitz2014_AndReproducedExactly()
    {
        // Horowitz ISSCC 2014, 45 nm: energy pJ / area µm².
        var expected = new (string Label, double Pj, double Um2)[]
        {
            ("8b Add", 0.03, 36), ("16b Add", 0.05, 67), ("32b Add", 0.1, 137), ("8b Mult", 0.2, 282), ("32b Mult", 3.1, 3495),
            ("16b FP Add", 0.4, 1360), ("32b FP Add", 0.9, 4184), ("16b FP Mult", 1.1, 1640), ("32b FP Mult", 3.7, 7700),
        };
        Assert.Equal(expected, ArithmeticCost.Horowitz45nm.Select(a => (a.Label, a.Cost.EnergyPj, a.Cost.AreaUm2)));
        Assert.Equal(new OperatorCost(0.03, 36), ArithmeticCost.IntegerAdd(8));
        Assert.Equal(new OperatorCost(0.05, 67), ArithmeticCost.IntegerAdd(16));
        Assert.Equal(new OperatorCost(0.1, 137), ArithmeticCost.IntegerAdd(32));
        Assert.Equal(new OperatorCost(0.2, 282), ArithmeticCost.IntegerMultiply(8));
        Assert.Equal(new OperatorCost(3.1, 3495), ArithmeticCost.IntegerMultiply(32));
        Assert.Equal(new OperatorCost(0.4, 1360), ArithmeticCost.FloatAdd(5, 10));     // IEEE half
        Assert.Equal(new OperatorCost(0.9, 4184), ArithmeticCost.FloatAdd(8, 23));     // IEEE single
        Assert.Equal(new OperatorCost(1.1, 1640), ArithmeticCost.FloatMultiply(5, 10));
        Assert.Equal(new OperatorCost(3.7, 7700), ArithmeticCost.FloatMultiply(8, 23));
    }

    [Fact]
    public void BetweenAndBeyondAnchors_HandComputed()
    {
        // 16-bit multiply: C = 256 lies 192/960 = 0.2 of the way from 8b (C = 64) to 32b (C = 1024).
        var m16 = ArithmeticCost.IntegerMultiply(16);
        Assert.Equal(0.2 + 0.2 * 2.9, m16.EnergyPj, 12);
        Assert.Equal(282 + 0.2 * 3213, m16.AreaUm2, 9);
        // 4-bit add: below the 8b anchor, proportional to n; 64-bit add: beyond 32b, proportional.
        Assert.Equal(0.015, ArithmeticCost.IntegerAdd(4).EnergyPj, 12);
        Assert.Equal(274, ArithmeticCost.IntegerAdd(64).AreaUm2, 9);
        // E4M3 multiply: C = (3+1)² + 4 = 20 against half's 11² + 5 = 126.
        Assert.Equal(1.1 * 20 / 126, ArithmeticCost.FloatMultiply(MinifloatFormat.E4M3).EnergyPj, 12);
        // E4M3 add: C = 2·4·⌈log2 5⌉ + 4 + 4 = 32 against half's 2·11·4 + 11 + 5 = 104.
        Assert.Equal(0.4 * 32 / 104, ArithmeticCost.FloatAdd(MinifloatFormat.E4M3).EnergyPj, 12);
        Assert.Equal(ArithmeticCost.IntegerMultiply(8) + ArithmeticCost.IntegerAdd(8), new OperatorCost(0.2 + 0.03, 282 + 36));
    }

    [Fact]
    public void Costs_RiseWithEveryWidth()
    {
        for (int n = 2; n <= 64; n++)
        {
            Assert.True(Less(ArithmeticCost.IntegerAdd(n - 1), ArithmeticCost.IntegerAdd(n)), $"int add {n}");
            Assert.True(Less(ArithmeticCost.IntegerMultiply(n - 1), ArithmeticCost.IntegerMultiply(n)), $"int mult {n}");
        }
        for (int e = 1; e <= 11; e++)
            for (int m = 0; m <= 52; m++)
            {
                if (m > 0)
                {
                    Assert.True(Less(ArithmeticCost.FloatAdd(e, m - 1), ArithmeticCost.FloatAdd(e, m)), $"fp add E{e}M{m}");
                    Assert.True(Less(ArithmeticCost.FloatMultiply(e, m - 1), ArithmeticCost.FloatMultiply(e, m)), $"fp mult E{e}M{m}");
                }
                if (e > 1)
                {
                    Assert.True(Less(ArithmeticCost.FloatAdd(e - 1, m), ArithmeticCost.FloatAdd(e, m)), $"fp add E{e}M{m}");
                    Assert.True(Less(ArithmeticCost.FloatMultiply(e - 1, m), ArithmeticCost.FloatMultiply(e, m)), $"fp mult E{e}M{m}");
                }
            }
    }

    private static bool Less(OperatorCost a, OperatorCost b) => a.EnergyPj < b.EnergyPj && a.AreaUm2 < b.AreaUm2;

    [Fact]
    public void RejectsBadWidths()
    {
        Assert.Contains("[1, 64]", Assert.Throws<ArgumentException>(() => ArithmeticCost.IntegerAdd(0)).Message);
        Assert.Contains("E in [1, 15]", Assert.Throws<ArgumentException>(() => ArithmeticCost.FloatAdd(0, 3)).Message);
        Assert.Contains("M in [0, 112]", Assert.Throws<ArgumentException>(() => ArithmeticCost.FloatMultiply(4, -1)).Message);
    }
}
