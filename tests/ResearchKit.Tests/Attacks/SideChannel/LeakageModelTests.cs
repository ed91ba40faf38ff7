using ResearchKit.Attacks.SideChannel;
using Xunit;
using static ResearchKit.Tests.Attacks.SideChannel.SideChannelTestUtil;

namespace ResearchKit.Tests.Attacks.SideChannel;

/// <summary>Settings of the leakage model: bad values are refused with a message naming them.</summary>
public class LeakageModelTests
{
    public static TheoryData<string, LeakageModel> BadSettings => new()
    {
        { "NoiseSigma", new LeakageModel { NoiseSigma = -0.1 } },
        { "NoiseSigma", new LeakageModel { NoiseSigma = double.NaN } },
        { "Scale", new LeakageModel { Scale = (NoiseScale)7 } },
        { "Gain", new LeakageModel { Gain = 0 } },
        { "Gain", new LeakageModel { Gain = double.PositiveInfinity } },
        { "Offset", new LeakageModel { Offset = double.NaN } },
        { "AdcBits", new LeakageModel { AdcBits = -1 } },
        { "AdcBits", new LeakageModel { AdcBits = 25 } },
        { "AdcMin", new LeakageModel { AdcBits = 8, AdcMin = 1, AdcMax = 1 } },
        { "Traces", new LeakageModel { Traces = 0 } },
        { "Calibration", new LeakageModel { Calibration = (LeakageCalibration)3 } },
        { "CalibrationPoints", new LeakageModel { CalibrationPoints = 1 } },
        { "CalibrationTraces", new LeakageModel { CalibrationTraces = 0 } },
        { "CalibrationMin", new LeakageModel { CalibrationMin = 2, CalibrationMax = -2 } },
    };

    [Theory, MemberData(nameof(BadSettings))]
    public void BadSettings_AreRefused_ByNameWithAHint(string name, LeakageModel bad)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => bad.Validated());
        Assert.Equal(name, e.ParamName);
        Assert.Contains("LeakageModel", e.Message);
        // The oracle validates its settings too, before touching the device.
        var device = IdentityDevice();
        Assert.Throws<ArgumentOutOfRangeException>(() => new SideChannelOracle(device, bad));
        Assert.Equal(0, device.Queries);
    }

    [Fact]
    public void Defaults_AreValid_AndTheAdcStepSpansTheRange()
    {
        var m = new LeakageModel();
        Assert.Same(m, m.Validated());
        Assert.Equal(0.0, m.AdcStep);
        var adc = new LeakageModel { AdcBits = 3, AdcMin = -1, AdcMax = 6 };
        Assert.Equal(1.0, adc.AdcStep, 12); // 8 levels over a span of 7
    }

    [Fact]
    public void Oracle_RefusesNullArguments()
    {
        Assert.Throws<ArgumentNullException>(() => new SideChannelOracle((ResearchKit.Attacks.IScoreOracle)null!, new LeakageModel()));
        Assert.Throws<ArgumentNullException>(() => new SideChannelOracle(IdentityDevice(), null!));
        Assert.Throws<ArgumentNullException>(() => new LabelOnlyOracle(null!));
    }
}
