using ResearchKit.Data;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Data;

public class SubsamplingTests
{
    private static Tensor Sequences(int n, int len, int features, int seed)
    {
        var rnd = new Random(seed);
        var v = new float[n * len * features];
        for (int i = 0; i < v.Length; i++) v[i] = (float)rnd.NextDouble();
        return Tensor.FromArray(v, n, len, features);
    }

    [Theory]
    [InlineData(0, 8)]
    [InlineData(2999, 8)]
    [InlineData(3000, 6)]   // a step equal to a target already uses the next rate
    [InlineData(5999, 6)]
    [InlineData(6000, 4)]
    [InlineData(8999, 4)]
    [InlineData(9000, 2)]
    [InlineData(11999, 2)]
    [InlineData(12000, 1)]
    [InlineData(1_000_000, 1)]
    public void Default_RateAt_FollowsAlgorithm4(long step, int rate)
    {
        Assert.Equal(rate, SubsamplingSchedule.Default().RateAt(step));
    }

    [Theory]
    [InlineData(0, 98)]
    [InlineData(3000, 130)]
    [InlineData(6000, 196)]
    [InlineData(9000, 392)]
    [InlineData(12000, 784)]
    public void Apply_GivesTheThesisLengths_AndTakesEveryRthElement(long step, int length)
    {
        var schedule = SubsamplingSchedule.Default();
        var x = Sequences(3, 784, 2, seed: (int)step);
        var y = schedule.Apply(x, step);
        Assert.Equal(new Shape(3, length, 2), y.Shape);
        Assert.Equal(length, schedule.LengthAt(step, 784));
        Assert.True(y.IsContiguous);
        int r = schedule.RateAt(step);
        var xv = x.ToArray(); var yv = y.ToArray();
        for (int n = 0; n < 3; n++)
            for (int k = 0; k < length; k++)
                for (int f = 0; f < 2; f++)
                    Assert.Equal(xv[(n * 784 + k * r) * 2 + f], yv[(n * length + k) * 2 + f]);
    }

    [Fact]
    public void Apply_AtRateOne_ReturnsTheInput_AndIsDifferentiable()
    {
        var s = SubsamplingSchedule.Default();
        var x = Sequences(2, 784, 1, 1);
        Assert.Same(x, s.Apply(x, 12000));
        x.RequiresGrad = true;
        s.Apply(x, 3000).Sum().Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < g.Length; i++)
        {
            int pos = i % 784;
            Assert.Equal(pos % 6 == 0 && pos < 780 ? 1f : 0f, g[i]);   // 780 = 130·6 is dropped
        }
    }

    [Fact]
    public void CustomSchedule_AndEmptySchedule()
    {
        var s = new SubsamplingSchedule([3, 2], [10, 20]);
        Assert.Equal([3, 3, 2, 2, 1], new long[] { 0, 9, 10, 19, 20 }.Select(s.RateAt));
        Assert.Equal(new Shape(1, 3, 1), s.Apply(Sequences(1, 10, 1, 2), 0).Shape);   // ⌊10/3⌋ = 3
        Assert.Equal("SubsamplingSchedule(rates=[3, 2], step_targets=[10, 20])", s.ToString());
        Assert.Equal(1, new SubsamplingSchedule([], []).RateAt(0));
    }

    [Fact]
    public void Constructor_AndApply_RejectBadInput()
    {
        Assert.Contains("one target per rate", Assert.Throws<ArgumentException>(() => new SubsamplingSchedule([8, 6], [3000])).Message);
        Assert.Contains("rate[1] = 0", Assert.Throws<ArgumentException>(() => new SubsamplingSchedule([8, 0], [1, 2])).Message);
        Assert.Contains("must increase", Assert.Throws<ArgumentException>(() => new SubsamplingSchedule([8, 6], [3000, 3000])).Message);
        Assert.Throws<ArgumentException>(() => new SubsamplingSchedule([8], [-1]));
        var s = SubsamplingSchedule.Default();
        Assert.Throws<ArgumentOutOfRangeException>(() => s.RateAt(-1));
        Assert.Contains("(N, L, F)", Assert.Throws<ArgumentException>(() => s.Apply(Tensor.Zeros(4, 784), 0)).Message);
        Assert.Contains("shorter than the rate 8", Assert.Throws<ArgumentException>(() => s.Apply(Tensor.Zeros(1, 5, 1), 0)).Message);
    }

    [Fact]
    public void SequentialMnist_BatchesBecomeStandardizedSequences()
    {
        var ds = SyntheticImages.Create(12, 1, 28, 28, seed: 3);
        using var loader = SequentialMnist.Loader(ds, 5, shuffle: true, seed: 4);
        var batch = loader.Epoch(0).First();
        var seq = SequentialMnist.ToSequences(batch);
        Assert.Equal(new Shape(5, SequentialMnist.Length, 1), seq.Shape);
        var all = SequentialMnist.Sequences(ds);
        Assert.Equal(new Shape(12, 784, 1), all.Shape);
        var sv = seq.ToArray(); var av = all.ToArray();
        for (int i = 0; i < 5; i++)
        {
            int id = batch.SampleIndices[i];
            double mean = 0, sq = 0;
            for (int k = 0; k < 784; k++) mean += ds.Pixels[id * 784 + k] / 255.0;
            mean /= 784;
            for (int k = 0; k < 784; k++) sq += Math.Pow(ds.Pixels[id * 784 + k] / 255.0 - mean, 2);
            double std = Math.Max(Math.Sqrt(sq / 784), 1 / 28.0);
            for (int k = 0; k < 784; k++)
            {
                Assert.Equal((ds.Pixels[id * 784 + k] / 255.0 - mean) / std, sv[i * 784 + k], 2e-5);
                Assert.Equal(av[id * 784 + k], sv[i * 784 + k]);   // deterministic transform: loader = whole-set path
            }
        }
        // Through the schedule: 98 steps at the start of training.
        Assert.Equal(new Shape(5, 98, 1), SubsamplingSchedule.Default().Apply(seq, 0).Shape);
        Assert.Throws<ArgumentException>(() => SequentialMnist.ToSequences(Tensor.Zeros(2, 784)));
    }
}
