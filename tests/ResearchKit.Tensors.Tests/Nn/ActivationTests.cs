using ResearchKit.Tensors;
using ResearchKit.Tensors.Nn;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Nn;

/// <summary>Values of the activations and softmax family against references (erf series, PyTorch constants, naive loops).</summary>
public class ActivationTests
{
    /// <summary>Reference erf: Maclaurin series for |x| ≤ 3, the erfc continued fraction beyond.</summary>
    private static double ReferenceErf(double x)
    {
        double a = Math.Abs(x);
        double r;
        if (a <= 3)
        {
            double term = a, sum = a;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-300; n++)
            {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double f = a;
            for (int k = 300; k >= 1; k--) f = a + k / 2.0 / f;
            r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    [Fact]
    public void Erf_IsAccurateEverywhere()
    {
        double worst = 0;
        for (int i = -8000; i <= 8000; i++)
        {
            double x = i * 1e-3;
            worst = Math.Max(worst, Math.Abs(SpecialFunctions.Erf(x) - ReferenceErf(x)));
        }
        Assert.True(worst < 1e-11, $"max |erf error| = {worst:G3}");
        Assert.Equal(0.5204998778130465, SpecialFunctions.Erf(0.5), 1e-12);
        Assert.Equal(0.8427007929497149, SpecialFunctions.Erf(1), 1e-12);
        Assert.Equal(-0.9953222650189527, SpecialFunctions.Erf(-2), 1e-12);
        Assert.Equal(0.9999779095030014, SpecialFunctions.Erf(3), 1e-12);
        Assert.Equal(1.0, SpecialFunctions.Erf(30));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
    }

    [Fact]
    public void Gelu_MatchesPyTorch()
    {
        var x = Tensor.FromArray([-3f, -1f, -0.5f, 0f, 0.3f, 1f, 2f, 5f]).RequiresGrad_();
        var y = F.Gelu(x);
        AssertClose.Equal([-0.004049867391586304f, -0.1586552858352661f, -0.1542687863111496f, 0f, 0.1853734254837036f,
            0.8413447141647339f, 1.9544999599456787f, 4.999998569488525f], y.ToArray(), 1e-4, 1e-7, "gelu");
        // PyTorch's float 1 + erf(x/√2) cancels for negative x; the exact value −3·Φ(−3) is what we compute.
        Assert.Equal(-3 * 0.0013498980316301, y.ToArray()[0], 1e-9);
        y.Sum().Backward();
        AssertClose.Equal([-0.011945605278015137f, -0.08331543207168579f, 0.1325049102306366f, 0.5f, 0.7323277592658997f,
            1.083315372467041f, 1.085231900215149f, 1.000007152557373f], x.Grad!.ToArray(), 1e-5, 1e-6, "gelu grad");
        var t = F.Gelu(Tensor.FromArray([1f]), "tanh").Item();
        Assert.Equal(0.5 * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (1 + 0.044715))), t, 1e-6);
        Assert.Throws<ArgumentException>(() => F.Gelu(x, "erf"));
        Assert.Equal("approximate='tanh'", new GELU("tanh").ExtraRepr());
    }

    [Fact]
    public void Hardtanh_Relu6_ValuesAndZeroGradientAtBounds()
    {
        var x = Tensor.FromArray([-2f, -1f, -0.5f, 0f, 1f, 3f]).RequiresGrad_();
        var y = F.Hardtanh(x);
        Assert.Equal([-1f, -1f, -0.5f, 0f, 1f, 1f], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f], x.Grad!.ToArray());
        var z = Tensor.FromArray([-1f, 0f, 3f, 6f, 7f]).RequiresGrad_();
        var r = new ReLU6().Forward(z);
        Assert.Equal([0f, 0f, 3f, 6f, 6f], r.ToArray());
        r.Sum().Backward();
        Assert.Equal([0f, 0f, 1f, 0f, 0f], z.Grad!.ToArray());
    }

    [Fact]
    public void ActivationModules_MatchFunctional()
    {
        var x = Tensor.Randn([3, 4], new Generator(1));
        (Module<Tensor, Tensor> M, Func<Tensor, Tensor> Fn)[] pairs =
        [
            (new ReLU(), F.Relu), (new LeakyReLU(0.2f), v => F.LeakyRelu(v, 0.2f)), (new ELU(0.5f), v => F.Elu(v, 0.5f)),
            (new GELU(), v => F.Gelu(v)), (new SiLU(), F.Silu), (new Sigmoid(), F.Sigmoid), (new Tanh(), F.Tanh),
            (new Softplus(2f, 10f), v => F.Softplus(v, 2f, 10f)), (new Hardtanh(-0.5f, 0.5f), v => F.Hardtanh(v, -0.5f, 0.5f)),
            (new Softmax(0), v => F.Softmax(v, 0)), (new LogSoftmax(1), v => F.LogSoftmax(v, 1)), (new Identity(), v => v),
        ];
        foreach (var (m, fn) in pairs) Assert.Equal(fn(x).ToArray(), m.Forward(x).ToArray());
        Assert.Equal(new Shape(2, 12), new Flatten().Forward(Tensor.Zeros(2, 3, 4)).Shape);
        Assert.Equal(new Shape(6, 4), new Flatten(0, 1).Forward(Tensor.Zeros(2, 3, 4)).Shape);
    }

    private static double[] ReferenceSoftmax(float[] x, int[] shape, int dim, bool log)
    {
        var (outer, n, inner) = F.Around(shape, dim);
        var r = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double m = double.NegativeInfinity, s = 0;
                for (int k = 0; k < n; k++) m = Math.Max(m, x[(o * n + k) * inner + i]);
                for (int k = 0; k < n; k++) s += Math.Exp(x[(o * n + k) * inner + i] - m);
                for (int k = 0; k < n; k++)
                {
                    double v = x[(o * n + k) * inner + i] - m - Math.Log(s);
                    r[(o * n + k) * inner + i] = log ? v : Math.Exp(v);
                }
            }
        return r;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Softmax_LogSoftmax_MatchReferenceAlongEveryDim(int dim)
    {
        int[] shape = [3, 4, 5];
        var x = Tensor.Randn(shape, new Generator(3)) * 4f;
        int d = dim < 0 ? dim + 3 : dim;
        foreach (bool log in new[] { false, true })
        {
            var y = log ? F.LogSoftmax(x, dim) : F.Softmax(x, dim);
            AssertClose.Equal(Array.ConvertAll(ReferenceSoftmax(x.ToArray(), shape, d, log), v => (float)v), y.ToArray(), 1e-5, 1e-6, $"log={log}");
        }
    }

    [Fact]
    public void Softmax_Large_Parallel_And_NonContiguousInputs()
    {
        // 40 000 elements split across threads; a transposed view goes through the dense copy.
        var x = Tensor.Randn([200, 200], new Generator(4)) * 10f;
        var xt = x.T;
        var y = F.Softmax(xt, 1).ToArray();
        var reference = ReferenceSoftmax(xt.Contiguous().ToArray(), [200, 200], 1, false);
        AssertClose.Equal(Array.ConvertAll(reference, v => (float)v), y, 1e-5, 1e-7, "softmax");
    }

    [Fact]
    public void Softmax_ExtremeValues_AndMaskedEntries()
    {
        var y = F.Softmax(Tensor.FromArray([1000f, 999f, float.NegativeInfinity]), 0).ToArray();
        Assert.Equal(1 / (1 + Math.Exp(-1)), y[0], 1e-6);
        Assert.Equal(0f, y[2]);
        var l = F.LogSoftmax(Tensor.FromArray([-1000f, 0f]), 0).ToArray();
        Assert.Equal(-1000f, l[0], 1e-3f);
        Assert.Equal(0f, l[1]);
        Assert.Equal(1f, F.Softmax(Tensor.Scalar(3f), 0).Item());
    }
}
