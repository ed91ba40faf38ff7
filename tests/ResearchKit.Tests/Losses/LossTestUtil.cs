using ResearchKit.Tensors;
using ResearchKit.Tensors.Serialization;
using Xunit;

namespace ResearchKit.Tests.Losses;

/// <summary>Helpers of the loss tests: fixture loading, elementwise closeness and finite-difference gradients.</summary>
internal static class LossTestUtil
{
    public static readonly long[] Targets = [2, 0, 3, 3, 1, 0];

    public static Dictionary<string, Tensor> Fixture(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "fixtures", name + ".safetensors");
        Assert.True(File.Exists(path), $"Missing fixture {path}; regenerate with /usr/bin/python3 tests/fixtures/make_loss_fixtures.py");
        return SafeTensors.Load(path);
    }

    public static Tensor Y(params long[] t) => Tensor.FromArray(t, t.Length);

    /// <summary>|got − want| ≤ atol + rtol·|want| elementwise, shapes equal.</summary>
    public static void Close(Tensor want, Tensor got, string what, double rtol = 1e-5, double atol = 1e-6)
    {
        Assert.Equal(want.Shape.ToArray(), got.Shape.ToArray());
        var w = want.ToArray(); var g = got.ToArray();
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs(g[i] - w[i]) <= atol + rtol * Math.Abs(w[i]),
                $"{what}[{i}]: want {w[i]:G9}, got {g[i]:G9} (|d| = {Math.Abs(g[i] - w[i]):G3}, allowed {atol + rtol * Math.Abs(w[i]):G3}).");
    }

    /// <summary>
    /// Central differences of <paramref name="loss"/> with respect to the entries of <paramref name="x"/> (modified in
    /// place and restored), Richardson-extrapolated from steps h and h/2, so the truncation error is O(h⁴).
    /// </summary>
    public static float[] NumericGrad(Func<float> loss, Tensor x, float h)
    {
        var x0 = x.ToArray();
        var shape = x.Shape.ToArray();
        double Eval(int i, float delta)
        {
            var v = (float[])x0.Clone(); v[i] += delta;
            using (Torch.NoGrad()) x.CopyFrom(Tensor.FromArray(v, shape));
            using (Torch.NoGrad()) return loss();
        }
        var g = new float[x0.Length];
        for (int i = 0; i < x0.Length; i++)
        {
            double d1 = (Eval(i, h) - Eval(i, -h)) / (2 * h);
            double d2 = (Eval(i, h / 2) - Eval(i, -h / 2)) / h;
            g[i] = (float)((4 * d2 - d1) / 3);
        }
        using (Torch.NoGrad()) x.CopyFrom(Tensor.FromArray(x0, shape));
        return g;
    }

    /// <summary>
    /// Asserts max|numeric − analytic| ≤ 0.2 % of max|analytic|, and that this check is sharp: the analytic gradient
    /// scaled by 1.01 (a 1 % error) must fail it.
    /// </summary>
    public static void GradMatches(float[] numeric, float[] analytic, string what)
    {
        double scale = analytic.Max(v => Math.Abs((double)v));
        Assert.True(scale > 1e-3, $"{what}: analytic gradient is ~0 (max {scale:G3}); the check would be vacuous.");
        double tol = 2e-3 * scale;
        double err = 0, errScaled = 0;
        for (int i = 0; i < analytic.Length; i++)
        {
            err = Math.Max(err, Math.Abs(numeric[i] - analytic[i]));
            errScaled = Math.Max(errScaled, Math.Abs(numeric[i] - 1.01 * analytic[i]));
        }
        Assert.True(err <= tol, $"{what}: max |numeric − analytic| = {err:G3} > {tol:G3} (0.2 % of max |grad| {scale:G3}).");
        Assert.True(errScaled > tol, $"{what}: a 1 % gradient error ({errScaled:G3}) would pass the tolerance {tol:G3}; the check is not sharp.");
    }
}
