using ResearchKit.Losses;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using static ResearchKit.Tests.Losses.LossTestUtil;

namespace ResearchKit.Tests.Losses;

/// <summary>Margins, predictions on hand-made points, state-dict names and argument errors of the three losses.</summary>
public class LossBehaviourTests
{
    private static Tensor F(params float[] v) => Tensor.FromArray(v, v.Length / 2, 2);

    // ───────────── margins ─────────────

    [Fact]
    public void Ams_ZeroMargin_IsCrossEntropyOfTheLogits_AndTheMarginRaisesTheLoss()
    {
        var f = Tensor.Randn([6, 5], new Generator(1));
        var y = Y(Targets);
        var plain = new AmsLoss(5, 4, margin: 0f, generator: new Generator(2));
        var margin = new AmsLoss(5, 4, generator: new Generator(2));
        Close(Functional.CrossEntropy(plain.Logits(f), y), plain.Forward(f, y), "AMS m = 0 vs CE(s·cos θ)");
        Assert.True(margin.Forward(f, y).Item() > plain.Forward(f, y).Item() + 0.1f);
        // The margin is exactly a shift of −s·m on the target logit.
        var shifted = margin.Logits(f) - 30f * 0.35f * Functional.OneHot(y, 4).Float();
        Close(Functional.CrossEntropy(shifted, y), margin.Forward(f, y), "AMS vs CE(s·(cos θ − m·[j = y]))");
    }

    [Fact]
    public void Gml_ZeroAlpha_IsCrossEntropyOfNegativeDistances_AndAlphaScalesTheTargetDistance()
    {
        var f = Tensor.Randn([6, 5], new Generator(3));
        var y = Y(Targets);
        var loss = new GmlLoss(5, 4, alpha: 0f, generator: new Generator(4));
        Close(Functional.CrossEntropy(loss.Logits(f), y), loss.Forward(f, y), "GML α = 0 vs CE(−d)");
        float plain = loss.Forward(f, y).Item();
        loss.Alpha = 0.3f;
        var scaled = loss.Logits(f) * (1f + 0.3f * Functional.OneHot(y, 4).Float());
        Close(Functional.CrossEntropy(scaled, y), loss.Forward(f, y), "GML vs CE(−d·(1 + α·[j = y]))");
        Assert.True(loss.Forward(f, y).Item() > plain);
    }

    [Fact]
    public void Gml_Distances_AreHalfSquaredEuclidean()
    {
        var loss = new GmlLoss(2, 2);
        using (Torch.NoGrad()) loss.Means.CopyFrom(F(0, 0, 3, 4));
        // f = (3, 0): ½·9 = 4.5 to μ0, ½·(0 + 16) = 8 to μ1.
        Close(Tensor.FromArray([4.5f, 8f], 1, 2), loss.Distances(F(3, 0)), "d_j");
    }

    // ───────────── predictions ─────────────

    [Fact]
    public void Ams_Predict_IsLargestCosine_NotLargestDotProduct()
    {
        var loss = new AmsLoss(2, 3);
        // Class 2 has a long weight pointing 45° away; class 0 is short but aligned with f = (1, 0.1).
        using (Torch.NoGrad()) loss.Weight.CopyFrom(F(0.1f, 0f, 0f, 1f, 10f, 10f));
        Assert.Equal([0L, 1L, 2L], loss.Predict(F(1f, 0.1f, 0.1f, 1f, 1f, 1f)).ToInt64Array());
    }

    [Fact]
    public void Gml_Predict_IsNearestMean()
    {
        var loss = new GmlLoss(2, 3);
        using (Torch.NoGrad()) loss.Means.CopyFrom(F(0, 0, 4, 0, 0, 4));
        Assert.Equal([0L, 1L, 2L, 1L], loss.Predict(F(0.5f, 0.5f, 3f, 1f, -1f, 3.5f, 2.1f, 0f)).ToInt64Array());
    }

    [Fact]
    public void Mmc_Predict_IsNearestCenter()
    {
        var loss = new MmcLoss(3, 4, cmm: 1f);
        var c = loss.PresetCenters;
        // Each center itself, slightly perturbed, is predicted as its own class.
        var pts = 0.9f * c + 0.01f * Tensor.Ones(4, 3);
        Assert.Equal([0L, 1L, 2L, 3L], loss.Predict(pts).ToInt64Array());
        Assert.Equal(0f, loss.Forward(c, Y(0, 1, 2, 3)).Item(), 6);
    }

    // ───────────── MMC centers ─────────────

    [Theory]
    [InlineData(2, 1, 10.0)]
    [InlineData(4, 3, 10.0)]
    [InlineData(4, 5, 10.0)]
    [InlineData(10, 9, 10.0)]
    [InlineData(10, 64, 1.0)]
    [InlineData(100, 99, 10.0)]
    [InlineData(100, 256, 100.0)]
    public void Mmc_Centers_HaveNormCmm_AndEqualInnerProducts(int classes, int dim, double cmm)
    {
        var mu = MmcLoss.Centers(classes, dim, cmm);
        Assert.Equal([classes, dim], mu.Shape.ToArray());
        var gram = mu.Matmul(mu.T).ToArray();
        double off = -cmm / (classes - 1);
        for (int i = 0; i < classes; i++)
            for (int j = 0; j < classes; j++)
            {
                double want = i == j ? cmm : off;
                Assert.True(Math.Abs(gram[i * classes + j] - want) <= 1e-5 * cmm + 1e-6,
                    $"C={classes}, D={dim}: μ{i}·μ{j} = {gram[i * classes + j]:G7}, want {want:G7}.");
            }
        // The centers sum to zero (a regular simplex centered at the origin) and use only the first C − 1 coordinates.
        Assert.True(mu.Sum(0).Abs().Max().Item() <= 1e-4 * Math.Sqrt(cmm));
        if (dim >= classes) Assert.Equal(0f, mu.Narrow(1, classes - 1, dim - classes + 1).Abs().Max().Item());
    }

    [Fact]
    public void Mmc_Centers_AreABufferNotAParameter()
    {
        var loss = new MmcLoss(5, 4);
        Assert.Empty(loss.Parameters());
        Assert.Contains(loss.NamedBuffers(), b => b.Name == "centers");
        Assert.Contains("centers", loss.StateDict().Keys);
    }

    // ───────────── state dict and repr ─────────────

    [Fact]
    public void Parameters_HaveTheirStateDictNames()
    {
        Assert.Equal(["weight"], new AmsLoss(5, 4).NamedParameters().Select(p => p.Name));
        Assert.Equal(["means"], new GmlLoss(5, 4).NamedParameters().Select(p => p.Name));
        Assert.Equal("AmsLoss(in_features=5, classes=4, s=30.0, m=0.35)", new AmsLoss(5, 4).ToString());
    }

    // ───────────── argument errors ─────────────

    [Fact]
    public void TargetsOutOfRange_Throw_NamingTheTargetAndClassCount()
    {
        var f = Tensor.Randn([2, 5], new Generator(5));
        foreach (Loss loss in new Loss[] { new AmsLoss(5, 4), new GmlLoss(5, 4), new MmcLoss(5, 4) })
        {
            var e = Assert.Throws<ArgumentException>(() => loss.Forward(f, Y(1, 4)));
            Assert.Contains("target 4 is outside [0, 4)", e.Message);
            Assert.Throws<ArgumentException>(() => loss.Forward(f, Y(-1, 0)));
        }
    }

    [Fact]
    public void FeatureDimMismatch_Throws_NamingBothShapes()
    {
        var f = Tensor.Randn([2, 3], new Generator(6));
        foreach (Loss loss in new Loss[] { new AmsLoss(5, 4), new GmlLoss(5, 4), new MmcLoss(5, 4) })
        {
            var e = Assert.Throws<ArgumentException>(() => loss.Forward(f, Y(0, 1)));
            Assert.Contains("(N, 5)", e.Message);
            Assert.Contains("(2, 3)", e.Message);
        }
    }

    [Fact]
    public void TargetsOfWrongTypeOrLength_Throw()
    {
        var f = Tensor.Randn([2, 5], new Generator(7));
        var loss = new GmlLoss(5, 4);
        Assert.Contains("Int64", Assert.Throws<ArgumentException>(() => loss.Forward(f, Tensor.FromArray([0f, 1f], 2))).Message);
        Assert.Contains("(N) = (2)", Assert.Throws<ArgumentException>(() => loss.Forward(f, Y(0, 1, 2))).Message);
    }

    [Fact]
    public void BadHyperParameters_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MmcLoss(2, 4));            // D < C − 1
        Assert.Throws<ArgumentOutOfRangeException>(() => MmcLoss.Centers(1, 3, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => MmcLoss.Centers(4, 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GmlLoss(5, 4, alpha: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GmlLoss(5, 4) { Alpha = float.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmsLoss(5, 4, margin: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmsLoss(5, 4, scale: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmsLoss(5, 1));
        Assert.Throws<ArgumentException>(() => new AmsLoss(5, 4, reduction: "avg"));
    }
}
