using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>Loss values and gradients against PyTorch 1.13 constants and straightforward double references; error paths.</summary>
public class LossTests
{
    private static Tensor Logits() => Tensor.FromArray([0.5f, -1f, 2f, 0.1f, 1.5f, 0.3f, -0.7f, 0f, -0.2f, 0.8f, 0.4f, -1.1f], 3, 4);
    private static readonly Tensor ClassWeight = Tensor.FromArray([0.5f, 2f, 1f, 1.5f]);
    private static Tensor Targets() => Tensor.FromArray(new long[] { 2, -100, 0 }, 3);

    // Printed by PyTorch 1.13: F.cross_entropy(x, t, weight=w, ignore_index=-100, label_smoothing=0.25, reduction=...)
    // and autograd.grad(loss.sum(), x).
    private static readonly float[] TorchGradSum =
    [
        0.1354130357503891f, -0.08781245350837708f, -0.06556812673807144f, 0.017967576161026955f, 0f, 0f, 0f, 0f,
        -0.29064491391181946f, 0.1892472207546234f, 0.14814621210098267f, -0.04674847796559334f,
    ];

    [Theory]
    [InlineData("mean", 1.414691686630249f)]
    [InlineData("sum", 2.122037649154663f)]
    public void CrossEntropy_WeightSmoothingIgnore_MatchesPyTorch(string reduction, float expected)
    {
        var x = Logits().RequiresGrad_();
        var loss = F.CrossEntropy(x, Targets(), ClassWeight, -100, reduction, 0.25f);
        Assert.Equal(0, loss.Dim);
        Assert.Equal(expected, loss.Item(), 1e-5f);
        loss.Backward();
        // mean divides by Σ w_t over non-ignored targets = w[2] + w[0] = 1.5.
        float scale = reduction == "mean" ? 1f / 1.5f : 1f;
        AssertClose.Equal(Array.ConvertAll(TorchGradSum, v => v * scale), x.Grad!.ToArray(), 1e-4, 1e-6, "grad");
    }

    [Fact]
    public void CrossEntropy_NoneReduction_MatchesPyTorchAndKeepsTargetShape()
    {
        var x = Logits().RequiresGrad_();
        var loss = F.CrossEntropy(x, Targets(), ClassWeight, -100, "none", 0.25f);
        Assert.Equal(new Shape(3), loss.Shape);
        AssertClose.Equal([0.9744313359260559f, 0f, 1.1476062536239624f], loss.ToArray(), 1e-5, 1e-6, "loss");
        loss.Sum().Backward();
        AssertClose.Equal(TorchGradSum, x.Grad!.ToArray(), 1e-4, 1e-6, "grad");
    }

    /// <summary>Straightforward double reference of PyTorch's formula for (N, C, S) logits.</summary>
    private static double ReferenceCrossEntropy(float[] x, long[] t, int n, int c, int s, float[]? w, float eps, int ignore, string reduction, double[] perItem)
    {
        double total = 0, denom = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++)
            {
                long ti = t[i * s + j];
                if (ti == ignore) { perItem[i * s + j] = 0; continue; }
                double max = double.NegativeInfinity;
                for (int k = 0; k < c; k++) max = Math.Max(max, x[(i * c + k) * s + j]);
                double z = 0;
                for (int k = 0; k < c; k++) z += Math.Exp(x[(i * c + k) * s + j] - max);
                double LogP(int k) => x[(i * c + k) * s + j] - max - Math.Log(z);
                double wt = w?[ti] ?? 1, smooth = 0;
                for (int k = 0; k < c; k++) smooth -= (w?[k] ?? 1) * LogP(k);
                double l = (1 - eps) * wt * -LogP((int)ti) + eps / c * smooth;
                perItem[i * s + j] = l; total += l; denom += wt;
            }
        return reduction == "mean" ? total / denom : total;
    }

    [Theory]
    [InlineData(false, 0f, "mean")]
    [InlineData(true, 0.1f, "mean")]
    [InlineData(true, 0.3f, "sum")]
    [InlineData(false, 0.2f, "none")]
    public void CrossEntropy_SpatialLogits_MatchReference(bool weighted, float eps, string reduction)
    {
        int n = 3, c = 5, h = 2, wd = 3;
        var rng = new Random(5);
        var x = Tensor.Randn([n, c, h, wd], new Generator(11));
        var tl = new long[n * h * wd];
        for (int i = 0; i < tl.Length; i++) tl[i] = i % 7 == 3 ? -1 : rng.Next(c);
        var t = Tensor.FromArray(tl, n, h, wd);
        float[]? w = weighted ? [0.2f, 1f, 3f, 0.5f, 1.5f] : null;
        var per = new double[tl.Length];
        double expected = ReferenceCrossEntropy(x.ToArray(), tl, n, c, h * wd, w, eps, -1, reduction, per);
        var loss = F.CrossEntropy(x, t, w is null ? null : Tensor.FromArray(w), -1, reduction, eps);
        if (reduction == "none")
        {
            Assert.Equal(new Shape(n, h, wd), loss.Shape);
            AssertClose.Equal(Array.ConvertAll(per, v => (float)v), loss.ToArray(), 1e-5, 1e-6, "per item");
        }
        else Assert.Equal(expected, loss.Item(), 1e-5);
    }

    [Fact]
    public void CrossEntropy_LargeLogits_StayFinite()
    {
        var x = Tensor.FromArray([1000f, -1000f, 0f, 500f, 501f, 499f], 2, 3).RequiresGrad_();
        var loss = F.CrossEntropy(x, Tensor.FromArray(new long[] { 0, 2 }, 2));
        // Row 0: log p_0 = 0. Row 1: −log p = 501 − 499 + log(1 + e^{-1} + e^{-2}).
        Assert.Equal((0 + 2 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-2))) / 2, loss.Item(), 1e-4);
        loss.Backward();
        Assert.All(x.Grad!.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void CrossEntropy_AllIgnored_MeanIsNaNLikePyTorch()
    {
        var loss = F.CrossEntropy(Logits(), Tensor.FromArray(new long[] { -100, -100, -100 }, 3));
        Assert.True(float.IsNaN(loss.Item()));
    }

    [Fact]
    public void NllLoss_MatchesReference()
    {
        var x = Tensor.Randn([4, 3], new Generator(2)).RequiresGrad_();
        var t = Tensor.FromArray(new long[] { 2, 0, 1, 2 }, 4);
        var w = Tensor.FromArray([1f, 2f, 0.5f]);
        var xv = x.ToArray();
        double num = 0, den = 0;
        long[] tv = [2, 0, 1, 2]; float[] wv = [1f, 2f, 0.5f];
        for (int i = 0; i < 4; i++) { num -= wv[tv[i]] * xv[i * 3 + tv[i]]; den += wv[tv[i]]; }
        var loss = F.NllLoss(x, t, w);
        Assert.Equal(num / den, loss.Item(), 1e-5);
        loss.Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 3; k++)
                Assert.Equal(k == tv[i] ? -wv[k] / den : 0, g[i * 3 + k], 1e-6);
    }

    [Fact]
    public void BceWithLogits_WeightAndPosWeight_MatchPyTorch()
    {
        var z = Tensor.FromArray([-3f, 0f, 2.5f, 0.7f, -0.2f, 40f], 2, 3).RequiresGrad_();
        var y = Tensor.FromArray([0f, 1f, 0.3f, 1f, 0.5f, 0f], 2, 3).RequiresGrad_();
        var loss = F.BinaryCrossEntropyWithLogits(z, y, Tensor.FromArray([1f, 0.5f], 2, 1), Tensor.FromArray([2f, 0.5f, 3f]), "none");
        AssertClose.Equal([0.04858732223510742f, 0.3465735912322998f, 1.8762235641479492f, 0.4031860828399658f, 0.24930210411548615f, 20f], loss.ToArray(), 1e-5, 1e-6, "loss");
        loss.Sum().Backward();
        AssertClose.Equal([0.04742587357759476f, -0.25f, 0.5786270499229431f, -0.3318122625350952f, 0.043812260031700134f, 0.5f], z.Grad!.ToArray(), 1e-5, 1e-6, "dz");
        AssertClose.Equal([6.048587322235107f, -0.3465735912322998f, -2.3422205448150635f, -0.1484069526195526f, -0.09953472018241882f, -20f], y.Grad!.ToArray(), 1e-5, 1e-6, "dy");
    }

    [Fact]
    public void BceWithLogits_ExtremeLogits_AreStable()
    {
        var loss = F.BinaryCrossEntropyWithLogits(Tensor.FromArray([100f, -100f, 100f, -100f]), Tensor.FromArray([0f, 0f, 1f, 1f]), reduction: "none");
        AssertClose.Equal([100f, 0f, 0f, 100f], loss.ToArray(), 1e-6, 1e-6, "loss");
    }

    [Fact]
    public void Bce_MatchesReference_AndClampsLogs()
    {
        var p = Tensor.FromArray([0.2f, 0.9f, 0f, 1f]);
        var t = Tensor.FromArray([0f, 1f, 1f, 1f]);
        var l = F.BinaryCrossEntropy(p, t, reduction: "none").ToArray();
        Assert.Equal(-Math.Log(0.8), l[0], 1e-6);
        Assert.Equal(-Math.Log(0.9), l[1], 1e-6);
        Assert.Equal(100f, l[2]);   // log 0 clamped to −100
        Assert.Equal(0f, l[3]);
    }

    [Fact]
    public void RegressionLosses_MatchReference()
    {
        var x = Tensor.FromArray([0.5f, -1f, 2f, 0.1f]);
        var y = Tensor.FromArray([0f, 1f, 1.8f, -3f]);
        Assert.Equal((0.25 + 4 + 0.04 + 9.61) / 4, F.MseLoss(x, y).Item(), 1e-5);
        Assert.Equal(0.5 + 2 + 0.2 + 3.1, F.L1Loss(x, y, "sum").Item(), 1e-5);
        // β = 1: |d| < 1 → 0.5 d², else |d| − 0.5.
        AssertClose.Equal([0.125f, 1.5f, 0.02f, 2.6f], F.SmoothL1Loss(x, y, "none").ToArray(), 1e-5, 1e-6, "smooth l1");
        AssertClose.Equal(F.L1Loss(x, y, "none").ToArray(), F.SmoothL1Loss(x, y, "none", beta: 0f).ToArray(), 0, 0, "beta 0 = L1");
    }

    [Fact]
    public void KlDiv_BatchMean_MatchesPyTorch_AndZeroTargetsContributeNothing()
    {
        var logq = Tensor.FromArray([-1f, -0.5f, -2f, -0.2f], 2, 2);
        var p = Tensor.FromArray([0.3f, 0f, 0.6f, 0.4f], 2, 2);
        Assert.Equal(0.27289825677871704, F.KlDiv(logq, p, "batchmean").Item(), 1e-6);
        var pPos = Tensor.FromArray([0.3f, 0.7f, 0.6f, 0.4f], 2, 2);
        Assert.Equal(F.KlDiv(logq, pPos, "sum").Item(), F.KlDiv(logq, pPos.Log(), "sum", logTarget: true).Item(), 1e-6);
        Assert.Equal(0f, F.KlDiv(logq, p, "none").ToArray()[1]);
    }

    [Fact]
    public void LossModules_ForwardThroughPairAndTwoArguments()
    {
        var x = Logits();
        var t = Tensor.FromArray(new long[] { 2, 1, 0 }, 3);
        var crit = new CrossEntropyLoss(ClassWeight, labelSmoothing: 0.1f);
        Assert.Equal(F.CrossEntropy(x, t, ClassWeight, labelSmoothing: 0.1f).Item(), crit.Forward(x, t).Item());
        Assert.Equal(crit.Forward(x, t).Item(), crit.Forward((x, t)).Item());
        Assert.Equal(["weight"], crit.StateDict().Keys);
        Assert.Equal("CrossEntropyLoss()", crit.ToString());
        Module<(Tensor, Tensor), Tensor> generic = new MSELoss("sum");
        Assert.Equal(F.MseLoss(x, x * 2f, "sum").Item(), generic.Forward((x, x * 2f)).Item());
        Assert.Equal(["weight", "pos_weight"], new BCEWithLogitsLoss(Tensor.Ones(4), posWeight: Tensor.Ones(4)).StateDict().Keys);
        Assert.Equal("batchmean", new KLDivLoss("batchmean").Reduction);
    }

    // ───────────── error paths ─────────────

    [Fact]
    public void CrossEntropy_TargetOutOfRange_NamesValueAndClassCount()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(), Tensor.FromArray(new long[] { 2, 7, 0 }, 3)));
        Assert.Contains("target value 7", ex.Message);
        Assert.Contains("4 classes", ex.Message);
        Assert.Contains("0..3", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new CrossEntropyLoss().Forward(Logits(), Tensor.FromArray(new long[] { -1, 0, 0 }, 3)));
        Assert.Contains("target value -1", ex.Message);
    }

    [Fact]
    public void CrossEntropy_WrongTargetShape_NamesBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(), Tensor.FromArray(new long[] { 2, 1, 0 }, 3, 1)));
        Assert.Contains("(3, 4)", ex.Message);
        Assert.Contains("(3, 1)", ex.Message);
        Assert.Contains("Squeeze(-1)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.NllLoss(Logits(), Tensor.FromArray(new long[] { 2, 1 }, 2)));
        Assert.Contains("(2,)", ex.Message);
        Assert.Contains("(3,)", ex.Message);
    }

    [Fact]
    public void CrossEntropy_FloatTargets_AskForInt64()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(), Tensor.FromArray([2f, 1f, 0f])));
        Assert.Contains("Int64", ex.Message);
        Assert.Contains(".Long()", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(), Logits()));
        Assert.Contains("class-probability targets are not supported", ex.Message);
    }

    [Fact]
    public void UnknownReduction_ListsAllowedOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(), Targets(), reduction: "avg"));
        Assert.Contains("'avg'", ex.Message);
        Assert.Contains("'mean', 'sum', 'none'", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new MSELoss("total"));
        Assert.Contains("'total'", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.KlDiv(Logits(), Logits(), "avg"));
        Assert.Contains("'batchmean'", ex.Message);
    }

    [Fact]
    public void OtherLossErrors_AreClear()
    {
        Assert.Contains("weight has shape (3,)", Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(), Targets(), Tensor.Ones(3))).Message);
        Assert.Contains("labelSmoothing", Assert.Throws<ArgumentException>(() => F.CrossEntropy(Logits(), Targets(), labelSmoothing: 1.5f)).Message);
        var ex = Assert.Throws<ArgumentException>(() => F.MseLoss(Tensor.Zeros(4, 1), Tensor.Zeros(4)));
        Assert.Contains("(4, 1)", ex.Message);
        Assert.Contains("(4,)", ex.Message);
        Assert.Contains("in [0, 1]", Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.FromArray([1.5f]), Tensor.FromArray([1f]))).Message);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => F.MseLoss(Tensor.Zeros(2), Tensor.FromArray(new long[] { 1, 0 }, 2))).Message);
    }
}
