using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>Module layout: state-dict keys and order, PyTorch-style printing, modes, dropout statistics, error messages.</summary>
public class ModuleTests
{
    [Fact]
    public void StateDictKeys_InPyTorchOrder()
    {
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], new BatchNorm2d(3).StateDict().Keys);
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], new BatchNorm1d(3, affine: false).StateDict().Keys);
        Assert.Equal(["weight", "bias"], new BatchNorm2d(3, trackRunningStats: false).StateDict().Keys);
        Assert.Equal(["weight", "bias"], new Linear(3, 2).StateDict().Keys);
        Assert.Equal(["weight"], new Linear(3, 2, bias: false).StateDict().Keys);
        Assert.Equal(["weight", "bias"], new LayerNorm([4, 5]).StateDict().Keys);
        Assert.Empty(new LayerNorm(5, elementwiseAffine: false).StateDict());
        Assert.Equal(["weight"], new Embedding(10, 4).StateDict().Keys);
        Assert.Equal(["weight", "bias"], new BatchNorm2d(3).NamedParameters().Select(p => p.Name));
        var seq = new Sequential(new Linear(4, 3), new BatchNorm1d(3), new ReLU(), new Dropout(), new Linear(3, 2));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias"],
            seq.StateDict().Keys);
    }

    [Fact]
    public void BatchNorm_BuffersAndDefaults()
    {
        var bn = new BatchNorm2d(4);
        Assert.Equal(new float[4], bn.RunningMean!.ToArray());
        Assert.Equal([1f, 1f, 1f, 1f], bn.RunningVar!.ToArray());
        Assert.Equal(DType.Int64, bn.NumBatchesTracked!.DType);
        Assert.Equal(0, bn.NumBatchesTracked.Dim);
        Assert.False(bn.RunningMean.RequiresGrad);
        Assert.True(bn.Weight!.RequiresGrad);
        bn.Forward(Tensor.Randn([2, 4, 3, 3], new Generator(1)));
        bn.Forward(Tensor.Randn([2, 4, 3, 3], new Generator(2)));
        Assert.Equal(2, bn.NumBatchesTracked.ToInt64Array()[0]);
        bn.ResetRunningStats();
        Assert.Equal(0, bn.NumBatchesTracked.ToInt64Array()[0]);
        Assert.Equal(new float[4], bn.RunningMean.ToArray());
    }

    [Fact]
    public void BatchNorm_MomentumNull_IsCumulativeAverage()
    {
        var bn = new BatchNorm1d(3, momentum: null);
        var a = Tensor.Randn([8, 3], new Generator(3));
        var b = Tensor.Randn([8, 3], new Generator(4)) + 2f;
        bn.Forward(a); bn.Forward(b);
        var expected = ((a.Mean(0) + b.Mean(0)) * 0.5f).ToArray();
        AssertClose.Equal(expected, bn.RunningMean!.ToArray(), 1e-5, 1e-6, "cumulative mean");
        var ev = ((a.Var([0]) + b.Var([0])) * 0.5f).ToArray();
        AssertClose.Equal(ev, bn.RunningVar!.ToArray(), 1e-5, 1e-6, "cumulative unbiased var");
    }

    [Fact]
    public void BatchNorm_EvalUsesRunningStats_UnlessNotTracking()
    {
        var x = Tensor.Randn([6, 2], new Generator(5)) * 3f + 1f;
        var bn = new BatchNorm1d(2);
        bn.Eval();
        AssertClose.Equal((x / MathF.Sqrt(1f + 1e-5f)).ToArray(), bn.Forward(x).ToArray(), 1e-6, 1e-6, "eval with defaults");
        Assert.Equal(0, bn.NumBatchesTracked!.ToInt64Array()[0]);
        var untracked = new BatchNorm1d(2, trackRunningStats: false);
        untracked.Eval();
        var y = untracked.Forward(x);
        AssertClose.Equal(new float[2], y.Mean(0).ToArray(), 0, 1e-5, "batch statistics in eval");
    }

    [Fact]
    public void ExtraRepr_PrintsLikePyTorch()
    {
        Assert.Equal("Linear(in_features=784, out_features=10, bias=True)", new Linear(784, 10).ToString());
        Assert.Equal("in_features=3, out_features=2, bias=False", new Linear(3, 2, false).ExtraRepr());
        Assert.Equal("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", new BatchNorm2d(16).ToString());
        Assert.Equal("4, eps=0.001, momentum=None, affine=False, track_running_stats=False",
            new BatchNorm1d(4, 1e-3f, null, false, false).ExtraRepr());
        Assert.Equal("(4, 5), eps=1e-05, elementwise_affine=True", new LayerNorm([4, 5]).ExtraRepr());
        Assert.Equal("(5,), eps=1e-06, elementwise_affine=False", new LayerNorm(5, 1e-6f, false).ExtraRepr());
        Assert.Equal("p=0.5, inplace=False", new Dropout().ExtraRepr());
        Assert.Equal("p=0.25, inplace=False", new Dropout(0.25f).ExtraRepr());
        Assert.Equal("10, 4", new Embedding(10, 4).ExtraRepr());
        Assert.Equal("10, 4, padding_idx=9", new Embedding(10, 4, -1).ExtraRepr());
        Assert.Equal("negative_slope=0.01", new LeakyReLU().ExtraRepr());
        Assert.Equal("alpha=1.0", new ELU().ExtraRepr());
        Assert.Equal("approximate='none'", new GELU().ExtraRepr());
        Assert.Equal("beta=1, threshold=20", new Softplus().ExtraRepr());
        Assert.Equal("beta=0.5, threshold=20", new Softplus(0.5f).ExtraRepr());
        Assert.Equal("min_val=-1.0, max_val=1.0", new Hardtanh().ExtraRepr());
        Assert.Equal("dim=1", new Softmax(1).ExtraRepr());
        Assert.Equal("dim=-1", new LogSoftmax(-1).ExtraRepr());
        Assert.Equal("start_dim=1, end_dim=-1", new Flatten().ExtraRepr());
        Assert.Equal("ReLU()", new ReLU().ToString());
        Assert.Equal("ReLU6()", new ReLU6().ToString());
        Assert.Equal("Identity()", new Identity().ToString());
        Assert.Equal("MSELoss()", new MSELoss().ToString());
    }

    [Theory]
    [InlineData(1e-5f, "1e-05")]
    [InlineData(0.0001f, "0.0001")]
    [InlineData(0.1f, "0.1")]
    [InlineData(1f, "1.0")]
    [InlineData(-2.5f, "-2.5")]
    [InlineData(123.25f, "123.25")]
    [InlineData(1e16f, "1e+16")]
    [InlineData(2.5e-7f, "2.5e-07")]
    [InlineData(1234567f, "1234567.0")]
    [InlineData(0f, "0.0")]
    [InlineData(float.PositiveInfinity, "inf")]
    public void PythonFloatRepr(float v, string expected) => Assert.Equal(expected, PyRepr.Float(v));

    [Fact]
    public void Dropout_StatisticsEvalIdentityAndReproducibility()
    {
        var x = Tensor.Ones(200, 500);
        var d = new Dropout(0.3f, new Generator(6));
        var y = d.Forward(x).ToArray();
        int zeros = 0;
        foreach (float v in y)
        {
            if (v == 0f) zeros++;
            else Assert.Equal(1f / 0.7f, v, 1e-6f);
        }
        Assert.Equal(0.3, zeros / (double)y.Length, 0.01);
        Assert.Equal(1.0, y.Average(), 0.01);
        d.Eval();
        Assert.Same(x, d.Forward(x));
        var a = new Dropout(0.5f, new Generator(9)).Forward(x).ToArray();
        var b = new Dropout(0.5f, new Generator(9)).Forward(x).ToArray();
        Assert.Equal(a, b);
        Assert.All(Functional.Dropout(x, 1f).ToArray(), v => Assert.Equal(0f, v));
        Assert.Same(x, Functional.Dropout(x, 0f));
        // The gradient is the same scaled mask.
        var xg = Tensor.Ones(4, 5).RequiresGrad_();
        var yg = Functional.Dropout(xg, 0.5f, true, new Generator(2));
        yg.Sum().Backward();
        Assert.Equal(yg.ToArray(), xg.Grad!.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5f));
    }

    [Fact]
    public void Embedding_InitAndPaddingRow()
    {
        Torch.ManualSeed(3);
        var e = new Embedding(50, 40, paddingIdx: 2);
        Assert.All(e.Weight.Select(0, 2).ToArray(), v => Assert.Equal(0f, v));
        var w = e.Weight.ToArray();
        double s = 0; foreach (float v in w) s += v * v;
        Assert.Equal(1.0, Math.Sqrt(s / (w.Length - 40)), 0.05);   // N(0, 1) apart from the zero row
        var ex = Assert.Throws<ArgumentException>(() => e.Forward(Tensor.FromArray(new long[] { 1, 50 }, 2)));
        Assert.Contains("index 50", ex.Message);
        Assert.Contains("50 rows", ex.Message);
        Assert.Contains("Int64", Assert.Throws<ArgumentException>(() => e.Forward(Tensor.FromArray([1f, 2f]))).Message);
        Assert.Throws<ArgumentException>(() => new Embedding(5, 2, paddingIdx: 5));
    }

    [Fact]
    public void OneHot_CosineAndPairwise()
    {
        var oh = Functional.OneHot(Tensor.FromArray(new long[] { 0, 2, 1 }, 3), 4);
        Assert.Equal(DType.Int64, oh.DType);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0 }, oh.ToInt64Array());
        Assert.Equal(new Shape(2, 3), Functional.OneHot(Tensor.FromArray(new long[] { 0, 2 }, 2)).Shape);
        Assert.Throws<ArgumentException>(() => Functional.OneHot(Tensor.FromArray(new long[] { 0, 4 }, 2), 4));
        Assert.Throws<ArgumentException>(() => Functional.OneHot(Tensor.FromArray(new long[] { -1 }, 1), 4));
        // PyTorch 1.13: cos([1,2,-1],[2,0.5,1]) and a vector below eps that is clamped before normalizing.
        var cos = Functional.CosineSimilarity(Tensor.FromArray([1f, 2f, -1f, 0f, 1e-9f, 0f], 2, 3), Tensor.FromArray([2f, 0.5f, 1f, 1f, 1f, 1f], 2, 3));
        AssertClose.Equal([0.35634833574295044f, 0.05773502588272095f], cos.ToArray(), 1e-5, 1e-7, "cos");
        var n = Functional.Normalize(Tensor.FromArray([3f, 4f, 0f, 0f], 2, 2));
        Assert.Equal([0.6f, 0.8f, 0f, 0f], n.ToArray());
        Assert.Equal(5f, Functional.PairwiseDistance(Tensor.FromArray([3f, 4f], 1, 2), Tensor.Zeros(1, 2), eps: 0f).Item(), 1e-6f);
    }

    [Fact]
    public void Linear_WrongInputFeatures_NamesBothShapesAndExpectedInFeatures()
    {
        var lin = new Linear(7, 5);
        var ex = Assert.Throws<ArgumentException>(() => lin.Forward(Tensor.Zeros(3, 6)));
        Assert.Contains("(3, 6)", ex.Message);
        Assert.Contains("(5, 7)", ex.Message);
        Assert.Contains("in_features=7", ex.Message);
        Assert.Contains("bias has shape (4,)", Assert.Throws<ArgumentException>(() => Functional.Linear(Tensor.Zeros(2, 7), lin.Weight, Tensor.Zeros(4))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(-1, 2));
        Assert.Equal(new Shape(2, 3, 5), lin.Forward(Tensor.Zeros(2, 3, 7)).Shape);
        Assert.Equal(new Shape(5), lin.Forward(Tensor.Zeros(7)).Shape);
    }

    [Fact]
    public void Linear_MatchesReferenceOnStridedInput()
    {
        var lin = new Linear(6, 4);
        var x = Tensor.Randn([6, 5], new Generator(8)).T;   // (5, 6) view, not contiguous
        var y = lin.Forward(x).ToArray();
        var xv = x.Contiguous().ToArray(); var w = lin.Weight.ToArray(); var b = lin.Bias!.ToArray();
        for (int i = 0; i < 5; i++)
            for (int o = 0; o < 4; o++)
            {
                double s = b[o];
                for (int k = 0; k < 6; k++) s += xv[i * 6 + k] * w[o * 6 + k];
                Assert.Equal(s, y[i * 4 + o], 1e-5);
            }
    }
}
