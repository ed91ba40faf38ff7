using ResearchKit.Gpu.Kernels;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Gpu.Tests;

/// <summary>
/// <see cref="DeviceMath"/>, the kernels' own exp/log/pow/tanh/sigmoid/sin/cos (ILGPU's PTX backend has no float exp, log
/// or pow): within one float ulp of the double-precision <see cref="Math"/> function rounded to float (a reference closer
/// than <see cref="MathF"/>, whose tanh is 2 ulps off at 0.2516932) over sweeps that cover every binade the functions
/// meet, the IEEE special cases of pow, and the same through the tensor ops on every device.
/// </summary>
public sealed class DeviceMathTests
{
    // Distance in units in the last place between two floats (0 when both are NaN or equal, including ±0).
    private static long Ulps(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b)) return float.IsNaN(a) && float.IsNaN(b) ? 0 : long.MaxValue;
        if (a == b) return 0;
        static long Ordered(float v) { int i = BitConverter.SingleToInt32Bits(v); return i < 0 ? int.MinValue - (long)i : i; }
        return Math.Abs(Ordered(a) - Ordered(b));
    }

    // Values spread over ±[2^−lo, 2^hi] log-uniformly, plus zeros, both infinities, NaN and the edges each function has.
    private static float[] Sweep(int count, int lo, int hi, int seed, params float[] extra)
    {
        var rng = new Random(seed);
        var v = new List<float> { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue };
        for (int i = 0; i < count; i++)
        {
            float mag = (float)Math.Pow(2, -lo + rng.NextDouble() * (hi + lo));
            v.Add(rng.Next(2) == 0 ? mag : -mag);
        }
        v.AddRange(extra);
        return [.. v];
    }

    private static float Exp(float x) => (float)Math.Exp(x);
    private static float Log(float x) => (float)Math.Log(x);
    private static float Tanh(float x) => (float)Math.Tanh(x);
    private static float Sigmoid(float x) => (float)(1.0 / (1.0 + Math.Exp(-(double)x)));
    private static float Sin(float x) => (float)Math.Sin(x);
    private static float Cos(float x) => (float)Math.Cos(x);
    private static float Pow(float x, float y) => (float)Math.Pow(x, y);

    private static void WithinOneUlp(Func<float, float> expected, Func<float, float> got, float[] xs, string what)
    {
        foreach (float x in xs)
        {
            float e = expected(x), g = got(x);
            Assert.True(Ulps(e, g) <= 1, $"{what}({x:R}): reference {e:R}, DeviceMath {g:R} ({Ulps(e, g)} ulps)");
        }
    }

    [Fact]
    public void ExpLogTanhAndSigmoidAreWithinOneUlp()
    {
        var xs = Sweep(20_000, 30, 8, 1, 88.72283f, 88.72284f, -87.33654f, -103.2789f, -103.9721f, 9.01f, 4e-4f, 3.9999e-4f, 1f, -1f, 0.5f);
        WithinOneUlp(Exp, DeviceMath.Exp, xs, "exp");
        WithinOneUlp(Tanh, DeviceMath.Tanh, xs, "tanh");
        WithinOneUlp(Sigmoid, DeviceMath.Sigmoid, Sweep(20_000, 30, 6, 2), "sigmoid");
        // log over the whole positive range, subnormals included, and values next to 1 where ln x is tiny.
        var pos = Sweep(20_000, 149, 127, 3, 1f, 1.0000001f, 0.99999994f, 1.4142135f, 1.4142137f, 0.70710677f).Select(Math.Abs).ToArray();
        WithinOneUlp(Log, DeviceMath.Log, pos, "log");
        Assert.True(float.IsNaN(DeviceMath.Log(-1f)));
        Assert.Equal(float.NegativeInfinity, DeviceMath.Log(0f));
    }

    [Fact]
    public void SinAndCosAreWithinOneUlpOverEveryFloat()
    {
        // Both reductions: Cody–Waite below 1.6e6, Payne–Hanek above, up to float.MaxValue.
        var xs = Sweep(40_000, 30, 127, 4, MathF.PI, MathF.PI / 2, -MathF.PI / 4, 1e5f, 1.5e6f, 1.6e6f, 355f, 1e22f);
        WithinOneUlp(Sin, DeviceMath.Sin, xs, "sin");
        WithinOneUlp(Cos, DeviceMath.Cos, xs, "cos");
    }

    [Fact]
    public void PowIsWithinOneUlpWithEverySpecialCase()
    {
        float[] specials = [0f, -0f, 1f, -1f, 0.5f, -0.5f, 2f, -2f, 3f, -3f, 2.5f, -2.5f, 1e-3f, 1e3f, 16777216f, 16777217f, -16777215f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, float.MaxValue];
        foreach (float x in specials)
            foreach (float y in specials)
                Assert.True(Ulps(Pow(x, y), DeviceMath.Pow(x, y)) <= 1, $"pow({x:R}, {y:R}): reference {Pow(x, y):R}, DeviceMath {DeviceMath.Pow(x, y):R}");
        var rng = new Random(5);
        for (int i = 0; i < 20_000; i++)
        {
            float x = (float)Math.Pow(2, -20 + rng.NextDouble() * 40), y = (float)(rng.NextDouble() * 16 - 8);
            if (rng.Next(4) == 0) { x = -x; y = MathF.Round(y); }   // negative bases with integer exponents
            Assert.True(Ulps(Pow(x, y), DeviceMath.Pow(x, y)) <= 1, $"pow({x:R}, {y:R}): reference {Pow(x, y):R}, DeviceMath {DeviceMath.Pow(x, y):R}");
        }
    }

    [Theory]
    [MemberData(nameof(GpuTest.TensorDevices), MemberType = typeof(GpuTest))]
    public void TheTensorOpsOnTheDeviceAreWithinOneUlp(string deviceName)
    {
        var device = GpuTest.TensorDevice(deviceName);
        var xs = Sweep(4_000, 20, 6, 6, 88.72283f, -103.2789f, 4e-4f);
        var pos = xs.Select(Math.Abs).ToArray();
        var x = Tensor.FromArray(xs, xs.Length);
        var p = Tensor.FromArray(pos, pos.Length);
        var (dx, dp) = (x.To(device), p.To(device));
        static void Check(Func<float, float> f, Tensor got, float[] input, string what)
        {
            float[] g = got.ToArray();
            for (int i = 0; i < input.Length; i++)
                Assert.True(Ulps(f(input[i]), g[i]) <= 1, $"{what}({input[i]:R}) on the device: reference {f(input[i]):R}, device {g[i]:R}");
        }
        Check(Exp, dx.Exp(), xs, "exp");
        Check(Tanh, dx.Tanh(), xs, "tanh");
        Check(Sigmoid, dx.Sigmoid(), xs, "sigmoid");
        Check(Log, dp.Log(), pos, "log");
        Check(Sin, dx.Sin(), xs, "sin");
        Check(Cos, dx.Cos(), xs, "cos");
        Check(v => Pow(v, 1.7f), dp.Pow(1.7f), pos, "pow");
    }
}
