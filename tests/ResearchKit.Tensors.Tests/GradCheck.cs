using ResearchKit.Tensors;

namespace ResearchKit.Tensors.Tests;

/// <summary>
/// Finite-difference gradient check. The scalar loss L = Σ y·w (w random, fixed) is accumulated in double so that
/// float32 rounding of the forward pass is the only noise; central differences are compared with autograd.
/// </summary>
public static class GradCheck
{
    /// <summary>Checks every Float32 input that requires grad. Throws with the worst element on failure.</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = 1e-2f, double atol = 2e-3, double rtol = 2e-2, int seed = 1234)
    {
        foreach (var x in inputs) x.Grad = null;
        var y = f(inputs);
        var w = Tensor.Randn(y.Shape.ToArray(), new Generator(seed));
        var wv = w.ToArray();
        y.Backward(w);
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (!x.RequiresGrad) continue;
            if (x.Grad is null) throw new Xunit.Sdk.XunitException($"GradCheck: input {i} received no gradient.");
            var analytic = x.Grad.ToArray();
            var data = x.AsSpan();
            for (int j = 0; j < data.Length; j++)
            {
                float orig = data[j];
                data[j] = orig + eps; double lp = Loss(f, inputs, wv);
                data = x.AsSpan(); data[j] = orig - eps; double lm = Loss(f, inputs, wv);
                data = x.AsSpan(); data[j] = orig;
                double numeric = (lp - lm) / (2 * eps);
                double err = Math.Abs(numeric - analytic[j]);
                if (err > atol + rtol * Math.Abs(numeric))
                    throw new Xunit.Sdk.XunitException($"GradCheck: input {i} (shape {x.Shape}) element {j}: autograd {analytic[j]:G6}, finite difference {numeric:G6}, error {err:G3}.");
            }
        }
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, float[] w)
    {
        Tensor y;
        using (Torch.NoGrad()) y = f(inputs);
        var v = y.ToArray();
        double s = 0;
        for (int k = 0; k < v.Length; k++) s += (double)v[k] * w[k];
        return s;
    }

    /// <summary>A leaf of random values in [-1, 1) (or a custom range) that requires grad.</summary>
    public static Tensor Leaf(int seed, params int[] shape) => Tensor.Uniform(shape, -1f, 1f, new Generator(seed)).RequiresGrad_();

    /// <summary>A leaf whose values stay away from 0 (for log, sqrt, division).</summary>
    public static Tensor PositiveLeaf(int seed, params int[] shape) => Tensor.Uniform(shape, 0.5f, 2f, new Generator(seed)).RequiresGrad_();
}

/// <summary>Assertions on float arrays with PyTorch's allclose rule.</summary>
public static class AssertClose
{
    /// <summary>|a − e| ≤ atol + rtol·|e| elementwise, reporting the worst element.</summary>
    public static void Equal(float[] expected, float[] actual, double rtol = 1e-4, double atol = 1e-5, string what = "")
    {
        if (expected.Length != actual.Length)
            throw new Xunit.Sdk.XunitException($"{what}: length {actual.Length}, expected {expected.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (Math.Abs(a - e) > atol + rtol * Math.Abs(e))
                throw new Xunit.Sdk.XunitException($"{what}: element {i}: got {a:G8}, expected {e:G8} (|diff| {Math.Abs(a - e):G3}).");
        }
    }

    /// <summary>Compares two tensors' shapes and values.</summary>
    public static void Equal(Tensor expected, Tensor actual, double rtol = 1e-4, double atol = 1e-5, string what = "")
    {
        if (expected.Shape != actual.Shape)
            throw new Xunit.Sdk.XunitException($"{what}: shape {actual.Shape}, expected {expected.Shape}.");
        Equal(expected.ToArray(), actual.ToArray(), rtol, atol, what);
    }
}
