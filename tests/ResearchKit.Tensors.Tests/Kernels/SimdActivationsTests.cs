using ResearchKit.Tensors.Kernels;
using Xunit;

namespace ResearchKit.Tensors.Tests.Kernels;

public class SimdActivationsTests
{
    /// <summary>Dense grid over the range that matters plus saturating extremes; length 16k + 5 exercises the tail.</summary>
    private static float[] Grid()
    {
        var xs = new List<float>();
        for (int i = -20000; i <= 20000; i++) xs.Add(i * 1e-3f);            // [-20, 20] step 1e-3
        for (int i = -100; i <= 100; i++) xs.Add(i * 1e-6f);                // around 0, where tanh cancels
        xs.AddRange([0.2f, -0.2f, 0.19999999f, 0.20000002f, 50f, -50f, 88f, -88f, 89f, -89f, 1000f, -1000f,
            float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon]);
        while (xs.Count % 16 != 5) xs.Add(0.5f);
        return xs.ToArray();
    }

    [Fact]
    public void Sigmoid_IsAccurateEverywhere()
    {
        float[] x = Grid(), y = new float[x.Length];
        SimdActivations.Sigmoid(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = 1.0 / (1.0 + Math.Exp(-(double)x[i]));
            double err = Math.Abs(y[i] - expected);
            // ≈ 2.5 ulp; results in the denormal range (x < −87) are compared absolutely.
            Assert.True(err <= 3e-7 * expected + 1e-38, $"sigmoid({x[i]:R}) = {y[i]:R}, expected {expected:R}");
            Assert.InRange(y[i], 0f, 1f);
        }
    }

    [Fact]
    public void Tanh_IsAccurateEverywhereAndInPlace()
    {
        float[] x = Grid(), y = (float[])x.Clone();
        SimdActivations.Tanh(y, y); // in place
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Tanh(x[i]);
            double err = Math.Abs(y[i] - expected);
            Assert.True(err <= 3e-7 * Math.Abs(expected) + 1e-45, // ≈ 2.5 ulp
                $"tanh({x[i]:R}) = {y[i]:R}, expected {expected:R} (err {err:E2})");
            Assert.InRange(y[i], -1f, 1f);
        }
    }

    [Fact]
    public void TanhFallback_WithoutAvx512_IsAsAccurate_AndInPlace()
    {
        // The path of machines without AVX-512 and of every tail: TensorPrimitives.Tanh alone gives tanh(0) = −6e-8.
        float[] x = Grid(), y = (float[])x.Clone();
        SimdActivations.TanhFallback(y, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Tanh(x[i]);
            Assert.True(Math.Abs(y[i] - expected) <= 3e-7 * Math.Abs(expected) + 1e-45, $"tanh({x[i]:R}) = {y[i]:R}, expected {expected:R}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(129)]
    public void TensorTanh_IsZeroAtZero_AndKeepsSmallInputsRelativelyExact(int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (i % 4) switch { 0 => 0f, 1 => 1e-8f * (i + 1), 2 => -1e-4f * i, _ => 0.25f - 0.01f * (i % 7) };
        var y = Tensor.FromArray(x).Tanh().ToArray();
        for (int i = 0; i < n; i++)
        {
            double expected = Math.Tanh(x[i]);
            Assert.True(Math.Abs(y[i] - expected) <= 3e-7 * Math.Abs(expected), $"n={n}: tanh({x[i]:R}) = {y[i]:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Nan_Propagates_And_ShortDestination_Throws()
    {
        float[] x = new float[33];
        x[3] = float.NaN;
        x[32] = float.NaN; // tail element
        float[] y = new float[33];
        SimdActivations.Tanh(x, y);
        Assert.True(float.IsNaN(y[3]) && float.IsNaN(y[32]));
        SimdActivations.Sigmoid(x, y);
        Assert.True(float.IsNaN(y[3]) && float.IsNaN(y[32]));
        Assert.Throws<ArgumentException>(() => SimdActivations.Tanh(x, new float[32]));
        Assert.Throws<ArgumentException>(() => SimdActivations.Sigmoid(x, new float[32]));
    }
}
