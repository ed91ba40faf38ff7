using ResearchKit.Tensors.Optim;
using Xunit;

namespace ResearchKit.Tensors.Tests.Optim;

/// <summary>Learning-rate schedules against values printed by PyTorch 1.13 (SGD, lr 0.1; lr after construction, then after each step).</summary>
public class LrSchedulerTests
{
    private static Sgd Opt(int groups = 1)
    {
        var gs = new List<ParamGroup>();
        for (int i = 0; i < groups; i++) gs.Add(new ParamGroup([Tensor.Zeros(1).RequiresGrad_()], lr: 0.1 * (i + 1)));
        return new Sgd(gs, lr: 0.1);
    }

    private static double[] Run(Sgd opt, LrScheduler s, int steps, int group = 0)
    {
        var r = new double[steps + 1];
        r[0] = opt.ParamGroups[group].Lr;
        for (int i = 1; i <= steps; i++) { s.Step(); r[i] = opt.ParamGroups[group].Lr; }
        return r;
    }

    // torch.optim.lr_scheduler with torch 1.13, printed with repr(): the chainable form, so e.g. 0.1·0.1 = 0.010000000000000002.
    private static readonly double[] StepLr = [0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.00010000000000000003, 0.00010000000000000003];
    private static readonly double[] MultiStep = [0.1, 0.1, 0.05, 0.05, 0.05, 0.0125, 0.0125, 0.0125, 0.00625, 0.00625, 0.00625];
    private static readonly double[] Exponential = [0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002];
    private static readonly double[] Cosine = [0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505, 0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001, 0.0034227024433899004, 0.01045365877844014, 0.02140463001152267, 0.035203658778440255, 0.05050000000000022, 0.06579634122156018, 0.07959536998847777, 0.09054634122156031, 0.09757729755661054, 0.10000000000000045, 0.09757729755661054, 0.09054634122156033, 0.07959536998847778, 0.0657963412215602, 0.050500000000000225];
    private static readonly double[] Cosine0 = [0.1, 0.09504844339512096, 0.08117449009293669, 0.061126046697815725, 0.03887395330218429, 0.018825509907063328, 0.004951556604879048, 0.0];
    private static readonly double[] Linear = [0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002];
    private static readonly double[] Lambda = [0.1, 0.095, 0.09025, 0.0857375, 0.081450625, 0.07737809374999999];
    private static readonly double[] Sequential = [0.010000000000000002, 0.04, 0.07, 0.1, 0.09330127018922195, 0.07500000000000001, 0.05, 0.025000000000000012, 0.006698729810778065, 0.0, 0.006698729810778065, 0.025, 0.05000000000000004];

    [Fact]
    public void StepLRMatchesPyTorch() { var o = Opt(); Assert.Equal(StepLr, Run(o, new StepLR(o, 3, 0.1), 10)); }

    [Fact]
    public void MultiStepLRMatchesPyTorchIncludingRepeatedMilestones() { var o = Opt(); Assert.Equal(MultiStep, Run(o, new MultiStepLR(o, [2, 5, 5, 8], 0.5), 10)); }

    [Fact]
    public void ExponentialLRMatchesPyTorch() { var o = Opt(); Assert.Equal(Exponential, Run(o, new ExponentialLR(o, 0.9), 10)); }

    [Fact]
    public void CosineAnnealingMatchesPyTorchAndTheClosedForm()
    {
        var o = Opt();
        var got = Run(o, new CosineAnnealingLR(o, 10, 0.001), 25);
        Assert.Equal(Cosine, got);
        Assert.Equal(0.001, got[10]); // exactly eta_min at T_max
        // PyTorch's recursive form equals eta_min + (base − eta_min)(1 + cos(πt/T))/2 up to accumulated rounding.
        double worst = 0;
        for (int t = 0; t < got.Length; t++)
            worst = Math.Max(worst, Math.Abs(got[t] - (0.001 + (0.1 - 0.001) * (1 + Math.Cos(Math.PI * t / 10)) / 2)));
        Assert.True(worst < 1e-15, $"recursive vs closed form: {worst}");
        var o0 = Opt();
        Assert.Equal(Cosine0, Run(o0, new CosineAnnealingLR(o0, 7), 7));
    }

    [Fact]
    public void LinearWarmupMatchesPyTorchAndSetsEpochZeroOnConstruction()
    {
        var o = Opt();
        var s = new LinearLR(o, 0.25, 1.0, 4);
        Assert.Equal(0.025, o.ParamGroups[0].Lr); // constructing applies epoch 0
        Assert.Equal(new[] { 0.025 }, s.GetLastLr());
        Assert.Equal(0, s.LastEpoch);
        Assert.Equal(Linear, Run(o, s, 8));
        Assert.Equal(8, s.LastEpoch);
    }

    [Fact]
    public void LambdaLRMatchesPyTorch() { var o = Opt(); Assert.Equal(Lambda, Run(o, new LambdaLR(o, e => Math.Pow(0.95, e)), 5)); }

    [Fact]
    public void WarmupThenCosineMatchesPyTorch()
    {
        var o = Opt();
        var warm = new LinearLR(o, 0.1, 1.0, 3);
        var cos = new CosineAnnealingLR(o, 6);
        var seq = new SequentialLR(o, [warm, cos], [3]);
        Assert.Equal(Sequential, Run(o, seq, 12));
        Assert.Equal(12, seq.LastEpoch);
        Assert.Equal(new[] { 0.05000000000000004 }, seq.GetLastLr());
    }

    [Fact]
    public void SchedulesEveryGroupFromItsOwnBaseLr()
    {
        var o = Opt(groups: 2);
        var s = new StepLR(o, 2, 0.5);
        Assert.Equal(new[] { 0.1, 0.2 }, s.BaseLrs);
        s.Step(); s.Step();
        Assert.Equal(new[] { 0.05, 0.1 }, s.GetLastLr());
        Assert.Equal(0.1, o.ParamGroups[1].Lr);
        Assert.Equal(0.2, o.ParamGroups[1].InitialLr);
        var o2 = Opt(groups: 2);
        var l = new LambdaLR(o2, [e => 1.0 / (e + 1), e => e + 1.0]);
        l.Step();
        Assert.Equal(new[] { 0.05, 0.4 }, l.GetLastLr());
    }

    [Fact]
    public void StepWithEpochUsesTheClosedForm()
    {
        var o = Opt();
        var s = new StepLR(o, 3, 0.5);
        s.Step(7);
        Assert.Equal(0.1 * 0.25, o.ParamGroups[0].Lr);
        var c = new CosineAnnealingLR(Opt(), 10);
        c.Step(5);
        Assert.Equal(0.05, c.GetLastLr()[0], 15);
        var m = new MultiStepLR(Opt(), [2, 4, 4], 0.1);
        m.Step(4);
        Assert.Equal(0.1 * Math.Pow(0.1, 3), m.GetLastLr()[0], 15);
        var lin = new LinearLR(Opt(), 0.5, 1.0, 4);
        lin.Step(2);
        Assert.Equal(0.075, lin.GetLastLr()[0], 15);
    }

    [Fact]
    public void ResumingFromStateDictsContinuesIdentically()
    {
        (Sgd, SequentialLR) Make()
        {
            var o = Opt(groups: 2);
            return (o, new SequentialLR(o, [new LinearLR(o, 0.2, 1.0, 2), new CosineAnnealingLR(o, 8, 1e-4)], [2]));
        }
        var (oa, sa) = Make();
        for (int i = 0; i < 5; i++) sa.Step();
        var optState = oa.StateDict();
        string schedState = sa.StateDict();

        var (ob, sb) = Make();
        ob.LoadStateDict(optState);
        sb.LoadStateDict(schedState);
        Assert.Equal(sa.LastEpoch, sb.LastEpoch);
        Assert.Equal(sa.GetLastLr(), sb.GetLastLr());
        for (int i = 0; i < 10; i++)
        {
            sa.Step(); sb.Step();
            Assert.Equal(oa.ParamGroups[0].Lr, ob.ParamGroups[0].Lr);
            Assert.Equal(oa.ParamGroups[1].Lr, ob.ParamGroups[1].Lr);
        }
        Assert.Contains("\"initial_lr\":0.2", optState.ParamGroups);
        Assert.Contains("\"_schedulers\":[{", schedState);

        var o1 = Opt(); var m1 = new MultiStepLR(o1, [1, 3, 3], 0.3);
        m1.Step();
        var o2 = Opt(); var m2 = new MultiStepLR(o2, [9], 0.9);
        o2.LoadStateDict(o1.StateDict()); m2.LoadStateDict(m1.StateDict());
        Assert.Equal(new Dictionary<int, int> { [1] = 1, [3] = 2 }, m2.Milestones);
        for (int i = 0; i < 4; i++) { m1.Step(); m2.Step(); Assert.Equal(o1.ParamGroups[0].Lr, o2.ParamGroups[0].Lr); }
    }

    [Fact]
    public void ResumingWithLastEpochNeedsInitialLr()
    {
        var o = Opt();
        var e = Assert.Throws<ArgumentException>(() => new StepLR(o, 2, lastEpoch: 4));
        Assert.Contains("param 'initial_lr' is not specified in param_groups[0]", e.Message);
        o.ParamGroups[0].InitialLr = 0.4;
        var s = new StepLR(o, 2, 0.5, lastEpoch: 4); // epoch 5: no decay (5 % 2 ≠ 0), lr kept
        Assert.Equal(5, s.LastEpoch);
        Assert.Equal(new[] { 0.4 }, s.BaseLrs);
    }

    [Fact]
    public void ValidatesArguments()
    {
        Assert.Contains("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(Opt(), 0)).Message);
        Assert.Contains("tMax", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(Opt(), 0)).Message);
        Assert.Contains("Starting multiplicative factor", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(Opt(), startFactor: 0)).Message);
        Assert.Contains("Starting multiplicative factor", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(Opt(), startFactor: 1.5)).Message);
        Assert.Contains("Ending multiplicative factor", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(Opt(), endFactor: -0.1)).Message);
        Assert.Contains("totalIters", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearLR(Opt(), totalIters: 0)).Message);
        Assert.Contains("Expected 2 lr_lambdas, but got 1", Assert.Throws<ArgumentException>(() => new LambdaLR(Opt(groups: 2), [e => 1.0])).Message);
        var o = Opt();
        var a = new LinearLR(o); var b = new ExponentialLR(o, 0.9);
        Assert.Contains("one more than the number of milestone points", Assert.Throws<ArgumentException>(() => new SequentialLR(o, [a, b], [1, 2])).Message);
        Assert.Contains("belong to the same optimizer", Assert.Throws<ArgumentException>(() => new SequentialLR(o, [a, new ExponentialLR(Opt(), 0.9)], [1])).Message);
        Assert.Throws<NotSupportedException>(() => new SequentialLR(o, [a, b], [1]).Step(3));
        Assert.Contains("missing key", Assert.Throws<ArgumentException>(() => new ExponentialLR(Opt(), 0.9).LoadStateDict("{\"base_lrs\":[0.1]}")).Message);
        Assert.Contains("invalid JSON", Assert.Throws<ArgumentException>(() => new ExponentialLR(Opt(), 0.9).LoadStateDict("{")).Message);
    }
}
