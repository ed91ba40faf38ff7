using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>
/// Batch/layer norm against double references on sizes that take the multi-threaded and (N, C) code paths, and the
/// fused backward kernels against the differentiable formulas used under createGraph.
/// </summary>
public class NormalizationTests
{
    private static double[] ReferenceBatchNorm(float[] x, int n, int c, int s, float[] w, float[] b, float eps, double[] mean, double[] var)
    {
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) sum += x[(i * c + ch) * s + j];
            mean[ch] = sum / (n * s);
            for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) sq += Math.Pow(x[(i * c + ch) * s + j] - mean[ch], 2);
            var[ch] = sq / (n * s);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < s; j++)
                {
                    int k = (i * c + ch) * s + j;
                    y[k] = (x[k] - mean[ch]) / Math.Sqrt(var[ch] + eps) * w[ch] + b[ch];
                }
        }
        return y;
    }

    /// <summary>Gradients from the fused kernels and from the createGraph formulas, for the same upstream gradient.</summary>
    private static (Tensor[] Fused, Tensor[] Graph) BothGradients(Func<Tensor[], Tensor> f, Tensor[] inputs, int seed)
    {
        var y = f(inputs);
        var g = Tensor.Randn(y.Shape.ToArray(), new Generator(seed));
        var fused = Autograd.Grad([y], inputs, [g]);
        var graph = Autograd.Grad([f(inputs)], inputs, [g], createGraph: true);
        return (fused, graph);
    }

    [Theory]
    [InlineData(new[] { 8, 16, 24, 24 })]   // 73 728 elements: channels split across threads
    [InlineData(new[] { 64, 600 })]         // (N, C): the row-wise path
    [InlineData(new[] { 5, 3, 7 })]         // (N, C, L), small
    public void BatchNormTrain_MatchesReference_AndUpdatesRunningStats(int[] shape)
    {
        int n = shape[0], c = shape[1], s = 1;
        for (int i = 2; i < shape.Length; i++) s *= shape[i];
        var x = (Tensor.Randn(shape, new Generator(1)) * 3f + 5f).RequiresGrad_();
        var w = Tensor.Uniform([c], 0.5f, 1.5f, new Generator(2)).RequiresGrad_();
        var b = Tensor.Randn([c], new Generator(3)).RequiresGrad_();
        var rm = Tensor.Randn([c], new Generator(4));
        var rv = Tensor.Uniform([c], 0.5f, 2f, new Generator(5));
        var rm0 = rm.ToArray(); var rv0 = rv.ToArray();
        var mean = new double[c]; var var = new double[c];
        var expected = ReferenceBatchNorm(x.ToArray(), n, c, s, w.ToArray(), b.ToArray(), 1e-5f, mean, var);
        var y = F.BatchNorm(x, rm, rv, w, b, training: true, momentum: 0.2f);
        AssertClose.Equal(Array.ConvertAll(expected, v => (float)v), y.ToArray(), 1e-4, 1e-4, "y");
        var rmv = rm.ToArray(); var rvv = rv.ToArray();
        for (int ch = 0; ch < c; ch++)
        {
            Assert.Equal(0.8 * rm0[ch] + 0.2 * mean[ch], rmv[ch], 1e-4);
            Assert.Equal(0.8 * rv0[ch] + 0.2 * var[ch] * n * s / (n * s - 1.0), rvv[ch], 1e-4);
        }
        var (fused, graph) = BothGradients(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), [x, w, b], 6);
        string[] names = ["x", "weight", "bias"];
        for (int i = 0; i < 3; i++) AssertClose.Equal(graph[i], fused[i], 1e-3, 1e-4, "grad " + names[i]);
    }

    [Fact]
    public void BatchNormEval_FusedBackwardMatchesFormula()
    {
        var x = Tensor.Randn([4, 6, 10, 10], new Generator(7)).RequiresGrad_();
        var w = Tensor.Uniform([6], 0.5f, 1.5f, new Generator(8)).RequiresGrad_();
        var b = Tensor.Randn([6], new Generator(9)).RequiresGrad_();
        var rm = Tensor.Randn([6], new Generator(10));
        var rv = Tensor.Uniform([6], 0.5f, 2f, new Generator(11));
        var (fused, graph) = BothGradients(t => F.BatchNorm(t[0], rm, rv, t[1], t[2], training: false), [x, w, b], 12);
        for (int i = 0; i < 3; i++) AssertClose.Equal(graph[i], fused[i], 1e-4, 1e-5, "grad " + i);
        var y = F.BatchNorm(x, rm, rv, w, b).ToArray();
        var xv = x.ToArray();
        int k = 3 * 100 + 17;   // element of channel 3
        Assert.Equal((xv[k] - rm.ToArray()[3]) / Math.Sqrt(rv.ToArray()[3] + 1e-5) * w.ToArray()[3] + b.ToArray()[3], y[k], 1e-5);
    }

    [Fact]
    public void BatchNormEval_InputGradientAlone_IsTheScaledUpstreamGradient()
    {
        // Autograd.Grad for the input only (an attack on a model in eval mode): the engine skips the affine gradients' sums.
        var x = Tensor.Randn([3, 5, 4, 4], new Generator(13)).RequiresGrad_();
        var w = Tensor.Uniform([5], 0.5f, 1.5f, new Generator(14)).RequiresGrad_();
        var b = Tensor.Randn([5], new Generator(15)).RequiresGrad_();
        var rm = Tensor.Randn([5], new Generator(16));
        var rv = Tensor.Uniform([5], 0.5f, 2f, new Generator(17));
        var up = Tensor.Randn([3, 5, 4, 4], new Generator(18));
        var gx = Autograd.Grad([F.BatchNorm(x, rm, rv, w, b, training: false)], [x], [up])[0]!.ToArray();
        var u = up.ToArray(); var wv = w.ToArray(); var vv = rv.ToArray();
        for (int i = 0; i < u.Length; i++)
        {
            int ch = i / 16 % 5;
            Assert.Equal(u[i] * wv[ch] / Math.Sqrt(vv[ch] + 1e-5), gx[i], 1e-5);
        }
    }

    [Fact]
    public void BatchNorm_NoAffine_NoRunningStats()
    {
        var x = Tensor.Randn([4, 3, 5], new Generator(13));
        var y = F.BatchNorm(x, null, null, training: true).ToArray();
        var mean = new double[3]; var var = new double[3];
        var expected = ReferenceBatchNorm(x.ToArray(), 4, 3, 5, [1f, 1f, 1f], [0f, 0f, 0f], 1e-5f, mean, var);
        AssertClose.Equal(Array.ConvertAll(expected, v => (float)v), y, 1e-4, 1e-5, "y");
    }

    [Fact]
    public void BatchNorm_Errors()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros(1, 3), null, null, training: true));
        Assert.Contains("more than 1 value per channel", ex.Message);
        Assert.Contains("(1, 3)", ex.Message);
        Assert.Contains("evaluation mode", Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros(2, 3), null, null)).Message);
        ex = Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros(2, 3, 4), Tensor.Zeros(4), Tensor.Ones(4)));
        Assert.Contains("running_mean has shape (4,)", ex.Message);
        Assert.Contains("3 channels", ex.Message);
        Assert.Contains("expected 4D input (got 3D input", Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros(2, 3, 4))).Message);
        Assert.Contains("expected 2D or 3D input", Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros(2, 3, 4, 4))).Message);
        Assert.Contains("num_features=4", Assert.Throws<ArgumentException>(() => new BatchNorm2d(4).Forward(Tensor.Zeros(2, 3, 4, 4))).Message);
    }

    [Theory]
    [InlineData(new[] { 64, 768 }, new[] { 768 })]       // 49 152 elements: rows split across threads
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 4, 5 })]
    public void LayerNorm_MatchesReference_AndFormulaGradients(int[] shape, int[] nshape)
    {
        var x = (Tensor.Randn(shape, new Generator(14)) * 2f + 1f).RequiresGrad_();
        var w = Tensor.Uniform(nshape, 0.5f, 1.5f, new Generator(15)).RequiresGrad_();
        var b = Tensor.Randn(nshape, new Generator(16)).RequiresGrad_();
        int m = 1; foreach (int d in nshape) m *= d;
        var xv = x.ToArray(); var wv = w.ToArray(); var bv = b.ToArray();
        var expected = new float[xv.Length];
        for (int r = 0; r < xv.Length / m; r++)
        {
            double mu = 0, v = 0;
            for (int j = 0; j < m; j++) mu += xv[r * m + j];
            mu /= m;
            for (int j = 0; j < m; j++) v += Math.Pow(xv[r * m + j] - mu, 2);
            v /= m;
            for (int j = 0; j < m; j++) expected[r * m + j] = (float)((xv[r * m + j] - mu) / Math.Sqrt(v + 1e-5) * wv[j] + bv[j]);
        }
        AssertClose.Equal(expected, F.LayerNorm(x, nshape, w, b).ToArray(), 1e-4, 1e-5, "y");
        var (fused, graph) = BothGradients(t => F.LayerNorm(t[0], nshape, t[1], t[2]), [x, w, b], 17);
        for (int i = 0; i < 3; i++) AssertClose.Equal(graph[i], fused[i], 1e-3, 1e-4, "grad " + i);
    }

    [Fact]
    public void LayerNorm_Errors()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.Zeros(3, 4, 6), [4, 5]));
        Assert.Contains("(4, 5)", ex.Message);
        Assert.Contains("(3, 4, 6)", ex.Message);
        Assert.Contains("weight has shape (5,)", Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.Zeros(3, 4), [4], Tensor.Ones(5))).Message);
    }
}
