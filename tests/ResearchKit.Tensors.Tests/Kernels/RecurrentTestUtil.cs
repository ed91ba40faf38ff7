using Xunit;

namespace ResearchKit.Tensors.Tests.Kernels;

/// <summary>Random data, tolerant comparisons and central finite differences shared by the recurrent kernel tests.</summary>
internal static class RecurrentTestUtil
{
    public static float[] Random(Random rng, int n, double scale = 0.5)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            Assert.True(err <= atol + rtol * Math.Abs(expected[i]),
                $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R} (|err| = {err:E3})");
        }
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        AssertClose(e, actual, atol, rtol, what);
    }

    /// <summary>Σ a·w in double; an empty <paramref name="a"/> contributes nothing.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> w)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * w[i];
        return s;
    }

    /// <summary>Central differences of <paramref name="loss"/> with respect to every element of <paramref name="param"/>.</summary>
    public static double[] FiniteDifference(Func<double> loss, float[] param, float eps = 1e-3f)
    {
        var g = new double[param.Length];
        for (int k = 0; k < param.Length; k++)
        {
            float saved = param[k], plus = saved + eps, minus = saved - eps;
            param[k] = plus;
            double up = loss();
            param[k] = minus;
            double down = loss();
            param[k] = saved;
            // Divide by the step actually taken in float, not the nominal 2·eps.
            g[k] = (up - down) / ((double)plus - minus);
        }
        return g;
    }

    public static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));

    /// <summary>Σ_k W[row, k]·v[k] in double for a row-major [rows, cols] weight.</summary>
    public static double Row(float[] w, int row, int cols, ReadOnlySpan<double> v)
    {
        double s = 0;
        for (int k = 0; k < cols; k++) s += (double)w[row * cols + k] * v[k];
        return s;
    }
}
