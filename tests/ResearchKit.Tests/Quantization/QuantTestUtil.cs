using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Quantization;

/// <summary>Small helpers for the quantization tests: exact array comparison and central finite differences.</summary>
internal static class QuantTestUtil
{
    public static Tensor T(params float[] v) => Tensor.FromArray(v);

    public static void Close(float[] expected, float[] actual, float tol = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tol, $"element {i}: expected {expected[i]:G7}, got {actual[i]:G7} (tolerance {tol:G3}).");
    }

    /// <summary>Gradient of Σ upstream·f(x) by autograd.</summary>
    public static float[] AutogradGrad(Func<Tensor, Tensor> f, float[] x, float[] upstream, int[] shape)
    {
        var xt = Tensor.FromArray(x, shape).RequiresGrad_();
        (f(xt) * Tensor.FromArray(upstream, shape)).Sum().Backward();
        return xt.Grad!.ToArray();
    }

    /// <summary>Central finite differences (step h) of Σ upstream·f(x), evaluated in double from float outputs.</summary>
    public static float[] NumericGrad(Func<Tensor, Tensor> f, float[] x, float[] upstream, int[] shape, float h = 1e-3f)
    {
        double Loss(float[] v)
        {
            using var _ = GradMode.Set(false);
            var y = f(Tensor.FromArray(v, shape)).ToArray();
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (double)upstream[i] * y[i];
            return s;
        }
        var g = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var p = (float[])x.Clone(); p[i] += h;
            var m = (float[])x.Clone(); m[i] -= h;
            g[i] = (float)((Loss(p) - Loss(m)) / (2 * h));
        }
        return g;
    }
}
