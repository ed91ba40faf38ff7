using ResearchKit.Tensors;

namespace ResearchKit.Tensors.Tests;

/// <summary>
/// Sharp finite-difference gradient checks for a float32-only engine.
/// <para>
/// The scalar loss L = Σ w·y (w random, fixed) is accumulated in double, so float32 rounding of the forward pass is
/// the only noise. Each derivative is a Richardson-extrapolated central difference (4·D(h/2) − D(h))/3, whose
/// truncation error is O(h⁴) instead of O(h²): with h = 2⁻⁷ that leaves the rounding noise (~1e-5 for O(1) values)
/// as the dominant error, so the tolerances can be ~100× tighter than a plain central difference allows.
/// The step actually taken is measured in double ((float)(x+h) − x), so rounding of x ± h adds no error.
/// </para>
/// <para>
/// Two criteria must both hold per input: elementwise |a − n| ≤ atol + rtol·|n|, and the relative 2-norm error
/// ‖a − n‖/‖n‖ ≤ <see cref="NormRtol"/>. The norm test catches uniform scale errors regardless of how small the
/// individual elements are (a rule scaled by 1.01 fails it tenfold). Callers choose well-conditioned inputs: no kink
/// (relu's 0, clamp's bounds, ties in max/sort) may lie within h of an input.
/// </para>
/// </summary>
public static class GradCheck
{
    /// <summary>Default step: a power of two, so x ± h is exact for most float32 x of modest size.</summary>
    public const float DefaultEps = 1f / 128;

    /// <summary>Bound on ‖autograd − finite difference‖₂ / ‖finite difference‖₂ per input.</summary>
    public const double NormRtol = 1e-3;

    /// <summary>
    /// Checks the gradient of <paramref name="f"/> with respect to every Float32 input that requires grad.
    /// Throws <see cref="Xunit.Sdk.XunitException"/> naming the worst element on failure.
    /// </summary>
    /// <param name="f">The function under test; must be deterministic (re-run at perturbed inputs).</param>
    /// <param name="inputs">Inputs; those with RequiresGrad are perturbed in place (and restored).</param>
    /// <param name="eps">Largest finite-difference step h (h and h/2 are combined); keep kinks further than this away.</param>
    /// <param name="atol">Absolute elementwise tolerance.</param>
    /// <param name="rtol">Relative elementwise tolerance.</param>
    /// <param name="seed">Seed of the random cotangent w.</param>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = DefaultEps, double atol = 3e-4, double rtol = 2e-3, int seed = 1234)
    {
        var y = f(inputs);
        var w = Tensor.Randn(y.Shape.ToArray(), new Generator(seed));
        var wv = w.ToArray();
        var diff = Differentiable(inputs);
        if (!y.RequiresGrad)
            throw new Xunit.Sdk.XunitException("GradCheck: the output does not require grad (the op recorded no backward).");
        Tensor[] grads;
        try { grads = Autograd.Grad([y], diff, [w]); }
        catch (InvalidOperationException e) { throw new Xunit.Sdk.XunitException($"GradCheck: an input received no gradient: {e.Message}"); }
        for (int k = 0; k < diff.Length; k++)
        {
            var analytic = grads[k].ToArray();
            var numeric = Numeric(diff[k], eps, () => Loss(f, inputs, wv));
            Compare($"input {Array.IndexOf(inputs, diff[k])} (shape {diff[k].Shape})", analytic, numeric, atol, rtol);
        }
    }

    /// <summary>
    /// Second-order check (PyTorch's gradgradcheck). With G(x, w) = J(x)ᵀw the vector-Jacobian product computed by
    /// autograd, it differentiates h = Σ v·G(x, w) (v random) with respect to the inputs and to w itself by a
    /// createGraph backward, and compares with finite differences of h, where G is recomputed by first-order
    /// autograd at perturbed x or w. Making w a variable catches backward rules that cut the graph from the incoming
    /// gradient even for linear ops (slice, select): ∂h/∂w = J·v must be recovered through the recorded backward.
    /// </summary>
    /// <remarks>
    /// Exceptions from the createGraph pass (e.g. a NotSupportedException of a non-differentiable backward) propagate
    /// unchanged so callers can assert on them.
    /// </remarks>
    /// <param name="f">The function under test; must be deterministic.</param>
    /// <param name="inputs">Inputs; those with RequiresGrad are perturbed in place (and restored).</param>
    /// <param name="eps">Largest finite-difference step.</param>
    /// <param name="atol">Absolute elementwise tolerance.</param>
    /// <param name="rtol">Relative elementwise tolerance.</param>
    /// <param name="seed">Seed of the random w and v.</param>
    public static void CheckSecondOrder(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = DefaultEps, double atol = 1e-3, double rtol = 3e-3, int seed = 4321)
    {
        var diff = Differentiable(inputs);
        var y0 = f(inputs);
        if (!y0.RequiresGrad)
            throw new Xunit.Sdk.XunitException("GradGradCheck: the output does not require grad (the op recorded no backward).");
        var gen = new Generator(seed);
        var w = Tensor.Randn(y0.Shape.ToArray(), gen).RequiresGrad_();
        var v = new float[diff.Length][];
        for (int k = 0; k < diff.Length; k++) v[k] = Tensor.Randn(diff[k].Shape.ToArray(), gen).ToArray();

        // Analytic: d/d(x, w) of Σ v·G through the recorded backward graph.
        var g = Autograd.Grad([y0], diff, [w], createGraph: true);
        Tensor? h = null;
        for (int k = 0; k < diff.Length; k++)
        {
            var term = (g[k] * Tensor.FromArray(v[k], diff[k].Shape.ToArray())).Sum();
            h = h is null ? term : h + term;
        }
        var vars = diff.Append(w).ToArray();
        Tensor[] second;
        // G is linear in w, so h not requiring grad means the backward cut the graph; zeros let the comparison say where.
        if (h is null || !h.RequiresGrad)
            second = vars.Select(t => Tensor.Zeros(t.Shape.ToArray())).ToArray();
        else
            second = Autograd.Grad([h], vars, allowUnused: true);

        for (int k = 0; k < vars.Length; k++)
        {
            var numeric = Numeric(vars[k], eps, () => VjpDot(f, inputs, diff, w, v));
            string what = k < diff.Length ? $"∂²/∂x input {Array.IndexOf(inputs, diff[k])} (shape {diff[k].Shape})" : $"∂²/∂w (the incoming gradient, shape {w.Shape})";
            Compare("GradGradCheck " + what, second[k].ToArray(), numeric, atol, rtol);
        }
    }

    private static Tensor[] Differentiable(Tensor[] inputs)
    {
        var d = inputs.Where(t => t.RequiresGrad).ToArray();
        if (d.Length == 0) throw new ArgumentException("GradCheck: no input requires grad.");
        return d;
    }

    /// <summary>Richardson-extrapolated central differences of <paramref name="loss"/> along each element of <paramref name="x"/>.</summary>
    private static double[] Numeric(Tensor x, float eps, Func<double> loss)
    {
        var result = new double[x.Numel];
        for (int j = 0; j < result.Length; j++)
        {
            double d1 = Central(x, j, eps, loss), d2 = Central(x, j, eps / 2, loss);
            result[j] = (4 * d2 - d1) / 3;
        }
        return result;
    }

    private static double Central(Tensor x, int j, float eps, Func<double> loss)
    {
        float orig = x.AsSpan()[j];
        float xp = orig + eps, xm = orig - eps;
        x.AsSpan()[j] = xp; double lp = loss();
        x.AsSpan()[j] = xm; double lm = loss();
        x.AsSpan()[j] = orig;
        return (lp - lm) / ((double)xp - xm);
    }

    private static void Compare(string what, float[] analytic, double[] numeric, double atol, double rtol)
    {
        double errSq = 0, refSq = 0;
        for (int j = 0; j < numeric.Length; j++)
        {
            double err = Math.Abs(numeric[j] - analytic[j]);
            errSq += err * err; refSq += numeric[j] * numeric[j];
            if (!(err <= atol + rtol * Math.Abs(numeric[j])))
                throw new Xunit.Sdk.XunitException($"GradCheck: {what} element {j}: autograd {analytic[j]:G7}, finite difference {numeric[j]:G7} (ratio {analytic[j] / numeric[j]:G5}), error {err:G3}.");
        }
        // The absolute floor (a tenth of atol per element) keeps rounding noise of tiny gradients (deep recurrent
        // layers: ‖fd‖ ~ 1e-2, noise ~ 1e-5) from counting as a relative error; O(1) gradients are judged by the ratio.
        double refNorm = Math.Sqrt(refSq), errNorm = Math.Sqrt(errSq);
        if (errNorm > NormRtol * refNorm + 0.1 * atol * Math.Sqrt(numeric.Length))
            throw new Xunit.Sdk.XunitException($"GradCheck: {what}: relative 2-norm error {errNorm / refNorm:G3} exceeds {NormRtol} (‖fd‖ = {refNorm:G6}).");
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, float[] w)
    {
        Tensor y;
        using (Torch.NoGrad()) y = f(inputs);
        var v = y.ToArray();
        if (v.Length != w.Length) throw new Xunit.Sdk.XunitException($"GradCheck: output size changed from {w.Length} to {v.Length} under perturbation.");
        double s = 0;
        for (int k = 0; k < v.Length; k++) s += (double)v[k] * w[k];
        return s;
    }

    /// <summary>Σ v·(Jᵀw) at the current inputs and w, by first-order autograd, accumulated in double.</summary>
    private static double VjpDot(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor[] diff, Tensor w, float[][] v)
    {
        var y = f(inputs);
        var g = Autograd.Grad([y], diff, [w.Detach()], allowUnused: true);
        double s = 0;
        for (int k = 0; k < diff.Length; k++)
        {
            var gk = g[k].ToArray();
            for (int j = 0; j < gk.Length; j++) s += (double)gk[j] * v[k][j];
        }
        return s;
    }

    /// <summary>A leaf of random values in [-1, 1) that requires grad.</summary>
    public static Tensor Leaf(int seed, params int[] shape) => Tensor.Uniform(shape, -1f, 1f, new Generator(seed)).RequiresGrad_();

    /// <summary>A leaf whose values stay away from 0 (for log, sqrt, division).</summary>
    public static Tensor PositiveLeaf(int seed, params int[] shape) => Tensor.Uniform(shape, 0.5f, 2f, new Generator(seed)).RequiresGrad_();

    /// <summary>
    /// Moves every value of <paramref name="leaf"/> within <paramref name="gap"/> of a kink to 1.5·gap from it, on
    /// the same side, so finite differences never straddle the kink. Returns the leaf.
    /// </summary>
    public static Tensor AvoidKinks(Tensor leaf, float gap, params float[] kinks)
    {
        var d = leaf.AsSpan();
        for (int i = 0; i < d.Length; i++)
            foreach (float k in kinks)
                if (MathF.Abs(d[i] - k) < gap) d[i] = k + (d[i] >= k ? gap : -gap) * 1.5f;
        return leaf;
    }

    /// <summary>
    /// A leaf holding a random permutation of well-separated values (gaps of <paramref name="spacing"/>, centred on
    /// 0 plus <paramref name="offset"/>), for ops with kinks at ties (max, sort, median).
    /// </summary>
    public static Tensor DistinctLeaf(int seed, float spacing, float offset, params int[] shape)
    {
        int n = 1;
        foreach (int s in shape) n *= s;
        var t = Tensor.Randperm(n, new Generator(seed)).Float() * spacing + (offset - spacing * (n - 1) / 2f);
        return t.Reshape(shape).Contiguous().Detach().RequiresGrad_();
    }
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
