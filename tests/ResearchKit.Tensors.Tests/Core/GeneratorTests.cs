using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.Core;

public class GeneratorTests
{
    [Fact]
    public void SameSeed_SameStream_DifferentSeed_DifferentStream()
    {
        Assert.Equal(Tensor.Randn([100], new Generator(42)).ToArray(), Tensor.Randn([100], new Generator(42)).ToArray());
        Assert.NotEqual(Tensor.Randn([100], new Generator(42)).ToArray(), Tensor.Randn([100], new Generator(43)).ToArray());
    }

    [Fact]
    public void StateRoundTrip_ResumesStream()
    {
        var g = new Generator(7);
        g.NextNormal();
        var state = g.GetState();
        var a = Tensor.Randn([10], g).ToArray();
        var h = new Generator(0);
        h.SetState(state);
        Assert.Equal(a, Tensor.Randn([10], h).ToArray());
    }

    [Fact]
    public void Moments_OfUniformNormalBernoulli()
    {
        var g = new Generator(1);
        var u = Tensor.Rand([100_000], g);
        Assert.InRange(u.Mean().Item(), 0.495f, 0.505f);
        Assert.InRange(u.Max().Item(), 0.99f, 1f);
        Assert.True(u.Min().Item() >= 0f);
        var n = Tensor.Randn([100_000], g);
        Assert.InRange(n.Mean().Item(), -0.01f, 0.01f);
        Assert.InRange(n.Std().Item(), 0.99f, 1.01f);
        Assert.InRange(Tensor.Bernoulli([100_000], 0.3f, g).Mean().Item(), 0.295f, 0.305f);
    }

    [Fact]
    public void Randint_InRange_AndRandpermIsPermutation()
    {
        var g = new Generator(3);
        var r = Tensor.Randint(-2, 5, [1000], g).ToInt64Array();
        Assert.All(r, v => Assert.InRange(v, -2, 4));
        Assert.Equal(7, r.Distinct().Count());
        var p = Tensor.Randperm(50, g).ToInt64Array();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), p.OrderBy(v => v));
    }
}
