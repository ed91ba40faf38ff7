using ResearchKit.Quantization.Analysis;
using Xunit;

namespace ResearchKit.Tests.Quantization.Analysis;

public class MacCostTests
{
    [Fact]
    public void Int8Mac_WithA32BitAccumulator_IsHorowitzs8bMultPlus32bAdd()
    {
        // An explicit 32-bit accumulator lands on the anchors: 0.2 + 0.1 pJ, 282 + 137 µm².
        var mac = MacCost.FixedPoint(8, new MacAccumulator(576) { IntegerBits = 32 });
        Assert.Equal(0.3, mac.EnergyPj, 12);
        Assert.Equal(419, mac.AreaUm2, 9);
        Assert.Equal("INT32", mac.Accumulator);
    }

    [Fact]
    public void DefaultIntegerAccumulator_Is2bPlusLog2K()
    {
        var acc = new MacAccumulator(576);   // ⌈log2 576⌉ = 10
        Assert.Equal(26, acc.IntegerWidth(8));
        Assert.Equal(18, acc.IntegerWidth(4));
        Assert.Equal(2 * 8 + 0, new MacAccumulator(1).IntegerWidth(8));
        Assert.Equal(64, new MacAccumulator(1 << 30).IntegerWidth(32));   // capped
        Assert.Equal(ArithmeticCost.IntegerAdd(26), MacCost.FixedPoint(8, acc).Add);
        Assert.Contains("K=576", MacCost.FixedPoint(8, acc).Accumulator);
    }

    [Fact]
    public void Fp16Mac_InFp16_IsHorowitzsFpAnchors()
    {
        var mac = MacCost.Minifloat(5, 10, new MacAccumulator(1) { FloatInOperandFormat = true });
        Assert.Equal(1.1 + 0.4, mac.EnergyPj, 12);
        Assert.Equal(1640 + 1360, mac.AreaUm2, 9);
        Assert.Equal(16, mac.OperandBits);
        // Default accumulator: FP32's adder.
        Assert.Equal(ArithmeticCost.FloatAdd(8, 23), MacCost.Minifloat(4, 3, new MacAccumulator(1)).Add);
    }

    [Fact]
    public void Costs_RiseWithWidth_AndAccumulatorIsASetting()
    {
        var acc = new MacAccumulator(576);
        for (int b = 4; b < 16; b++)
            Assert.True(MacCost.FixedPoint(b + 1, acc).EnergyPj > MacCost.FixedPoint(b, acc).EnergyPj);
        Assert.True(MacCost.Minifloat(4, 3, acc).EnergyPj > MacCost.Minifloat(4, 3, acc with { FloatInOperandFormat = true }).EnergyPj);
        Assert.True(MacCost.FixedPoint(8, acc with { IntegerBits = 40 }).EnergyPj > MacCost.FixedPoint(8, acc).EnergyPj);
    }

    [Fact]
    public void Table_HasOneFixedPointAndEverySplitPerWidth()
    {
        var rows = MacCost.Table([4, 8], new MacAccumulator(64));
        // b = 4: INT4, E2M1, E3M0; b = 8: INT8, E2M5 … E7M0.
        Assert.Equal(["INT4", "E2M1", "E3M0", "INT8", "E2M5", "E3M4", "E4M3", "E5M2", "E6M1", "E7M0"], rows.Select(r => r.Format));
        Assert.All(rows, r => Assert.Equal(r.Multiply + r.Add, r.Total));
        var cand = FormatComparison.Compare([0.5f, -1f], 8).BestMinifloat;
        Assert.Equal(MacCost.Minifloat(cand.ExponentBits, cand.MantissaBits, new MacAccumulator(64)), MacCost.Of(cand, new MacAccumulator(64)));
    }

    [Fact]
    public void BadSettings_AreRefused()
    {
        Assert.Contains("fan-in", Assert.Throws<ArgumentException>(() => new MacAccumulator(0).IntegerWidth(8)).Message);
        Assert.Contains("[1, 64]", Assert.Throws<ArgumentException>(() => new MacAccumulator(4) { IntegerBits = 65 }.IntegerWidth(8)).Message);
        Assert.Contains("[1, 32]", Assert.Throws<ArgumentException>(() => MacCost.FixedPoint(0, new MacAccumulator(4))).Message);
    }
}
