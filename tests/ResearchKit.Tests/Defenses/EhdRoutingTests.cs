using MathNet.Numerics.Distributions;
using ResearchKit.Defenses;
using ResearchKit.Tensors;
using Xunit;
using static ResearchKit.Tests.Defenses.EhdTestUtil;

namespace ResearchKit.Tests.Defenses;

/// <summary>
/// The model selection popcount(HMAC-SHA256(key, bytes)) mod k: deterministic, even over the members, re-drawn by a
/// one-value change, and a function of the key.
/// </summary>
public class EhdRoutingTests
{
    [Theory]
    [InlineData(EhdInputEncoding.Uint8)]
    [InlineData(EhdInputEncoding.Float32)]
    public void SameInput_SameMember_AcrossCalls_AloneOrInAnyBatch(EhdInputEncoding encoding)
    {
        var ehd = RoutingOnly(4, DefenseKey.ForTesting(1), encoding);
        var x = RandomInputs(48, seed: 2);
        var routes = ehd.Route(x);
        Assert.Equal(routes, ehd.Route(x));
        Assert.Equal(routes, ehd.Route(x.Clone()));

        for (int i = 0; i < 48; i++) Assert.Equal(routes[i], Assert.Single(ehd.Route(Row(x, i))));

        // A shuffled batch and two halves of another size route each input as before.
        var perm = Tensor.Randperm(48, new Generator(3));
        var shuffled = ehd.Route(x.IndexSelect(0, perm));
        var p = perm.ToInt64Array();
        for (int i = 0; i < 48; i++) Assert.Equal(routes[p[i]], shuffled[i]);
        Assert.Equal(routes, ehd.Route(x.Narrow(0, 0, 17)).Concat(ehd.Route(x.Narrow(0, 17, 31))).ToArray());

        // A fresh defense with the same key and encoding agrees.
        Assert.Equal(routes, RoutingOnly(4, DefenseKey.ForTesting(1), encoding).Route(x));
    }

    [Fact]
    public void NonContiguousView_RoutesLikeItsRowMajorCopy()
    {
        var ehd = RoutingOnly(3, DefenseKey.ForTesting(4), EhdInputEncoding.Float32);
        var nhwc = Tensor.Rand([20, 8, 8, 3], new Generator(5));
        var view = nhwc.Permute(0, 3, 1, 2);   // (N, C, H, W) view with NHWC strides
        Assert.False(view.IsContiguous);
        Assert.Equal(ehd.Route(view.Contiguous()), ehd.Route(view));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Routes_SpreadEvenlyOverTheMembers_ChiSquare(int k)
    {
        var routes = RoutingOnly(k, DefenseKey.ForTesting(10 + k)).Route(RandomInputs(3000, seed: 20 + k));
        var p = EhdRouter.RouteProbabilities(k);
        foreach (var pr in p) Assert.Equal(1.0 / k, pr, 1e-12);   // for k ≤ 5 the popcount law is uniform mod k to double precision
        AssertChiSquareFits(routes, p, $"k = {k}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(32)]
    public void RouteProbabilities_AreTheBinomialPopcountLawFoldedModK(int k)
    {
        var law = new Binomial(0.5, EhdRouter.DigestBits);
        var want = new double[k];
        for (int j = 0; j <= EhdRouter.DigestBits; j++) want[j % k] += law.Probability(j);
        var got = EhdRouter.RouteProbabilities(k);
        Assert.Equal(1.0, got.Sum(), 1e-12);
        for (int r = 0; r < k; r++) Assert.Equal(want[r], got[r], 1e-9);
    }

    [Fact]
    public void RoutesAtLargeK_FollowTheUnevenExactLaw()
    {
        // At k = 32 the routes are far from uniform; the χ² against RouteProbabilities still fits, against 1/k it does not.
        var routes = RoutingOnly(32, DefenseKey.ForTesting(30)).Route(RandomInputs(3000, seed: 31));
        AssertChiSquareFits(routes, EhdRouter.RouteProbabilities(32), "k = 32, exact law");
        var (uniformChi2, _) = ChiSquare(routes, Enumerable.Repeat(1.0 / 32, 32).ToArray());
        Assert.True(uniformChi2 > ChiSquared.InvCDF(31, 1 - Alpha), $"k = 32 routes fit the uniform law (χ² = {uniformChi2:F1}); they should not.");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void OneValueChangedByOneGreyLevel_ChangesTheMember_WithProbability_KMinus1OverK(int k)
    {
        const int n = 3000;
        var (x, bytes) = QuantizedInputs(n, seed: 40 + k);
        var changed = (byte[])bytes.Clone();
        var g = new Generator(50 + k);
        int per = bytes.Length / n;
        for (int i = 0; i < n; i++)
        {
            int at = i * per + (int)g.NextInt64(0, per);
            changed[at] = (byte)(changed[at] == 255 ? 254 : changed[at] + 1);
        }
        var y = FromBytes(changed, n);
        var xs = x.ToArray(); var ys = y.ToArray();
        for (int i = 0; i < n; i++)   // the serialized inputs differ in exactly one byte
        {
            var a = EhdInputBytes.Serialize(xs.AsSpan(i * per, per), EhdInputEncoding.Uint8);
            var b = EhdInputBytes.Serialize(ys.AsSpan(i * per, per), EhdInputEncoding.Uint8);
            Assert.Equal(1, a.Zip(b).Count(t => t.First != t.Second));
        }

        var ehd = RoutingOnly(k, DefenseKey.ForTesting(60 + k));
        var before = ehd.Route(x); var after = ehd.Route(y);
        int moved = before.Zip(after).Count(t => t.First != t.Second);
        double pSame = EhdRouter.RouteProbabilities(k).Sum(p => p * p);   // = 1/k here
        Assert.Equal(1.0 / k, pSame, 1e-12);
        AssertBinomialFits(moved, n, 1 - pSame, $"k = {k}: inputs moved to another member by a one-grey-level change");
    }

    [Fact]
    public void SpsaPairs_XPlusMinusOneHundredth_AreMostlyRoutedToDifferentMembers_UnderUint8()
    {
        // PROTOCOLS §3.3: a two-sided estimate mixes members with probability (k−1)/k.
        const int n = 1000, k = 3;
        var x = RandomInputs(n, seed: 70);
        var v = Tensor.Bernoulli([n, 3, 8, 8], 0.5f, new Generator(71)) * 2f - 1f;   // Rademacher directions
        var ehd = RoutingOnly(k, DefenseKey.ForTesting(72));
        var plus = ehd.Route(x + v * 0.01f); var minus = ehd.Route(x - v * 0.01f);
        AssertBinomialFits(plus.Zip(minus).Count(t => t.First != t.Second), n, 1 - 1.0 / k, "x ± 0.01·v routed apart");
    }

    [Fact]
    public void DifferentKeys_RouteMostInputsDifferently_SameKeyFile_SameRoutes()
    {
        const int n = 2000, k = 3;
        var x = RandomInputs(n, seed: 80);
        var a = RoutingOnly(k, DefenseKey.ForTesting(81)).Route(x);
        var b = RoutingOnly(k, DefenseKey.ForTesting(82)).Route(x);
        // Independent keys agree on an input with probability Σ p_r² = 1/k.
        AssertBinomialFits(a.Zip(b).Count(t => t.First == t.Second), n, 1.0 / k, "agreement of two keys");

        var dir = Directory.CreateTempSubdirectory("ehd-key-");
        try
        {
            var path = Path.Combine(dir.FullName, "ehd.key");
            var created = DefenseKey.LoadOrCreate(path);
            var again = DefenseKey.FromFile(path);
            var other = DefenseKey.Generate();
            var r1 = RoutingOnly(k, created).Route(x);
            Assert.Equal(r1, RoutingOnly(k, again).Route(x));
            Assert.Equal(r1, RoutingOnly(k, DefenseKey.LoadOrCreate(path)).Route(x));
            Assert.NotEqual(r1, RoutingOnly(k, other).Route(x));
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void Router_RouteOfSpan_EqualsRouteOfTheBatchRow()
    {
        var router = new EhdRouter(DefenseKey.ForTesting(90), 5);
        var x = RandomInputs(10, seed: 91);
        var all = router.Route(x);
        var values = x.ToArray();
        for (int i = 0; i < 10; i++)
        {
            var row = values.AsSpan(i * 192, 192);
            Assert.Equal(all[i], router.Route(row));
            Assert.Equal(all[i], router.RouteBytes(EhdInputBytes.Serialize(row, EhdInputEncoding.Uint8)));
        }
    }
}
