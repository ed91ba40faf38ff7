using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// Fake quantizers' straight-through ops on a <see cref="GpuDevice"/>, as the kit's CPU ones: PACT (Choi et al. 2018)
/// activations, y = round(clamp(x, 0, α)/s)·s with s = α/(2^b − 1) (ties to even), whose backward passes the gradient where
/// 0 ≤ x &lt; α and gives α the sum of the gradient where x ≥ α.
/// </summary>
/// <remarks>The α gradient is summed per thread block and the block sums added in block order on the host side of the
/// launch: the same value on every run.</remarks>
public static class GpuQuantizers
{
    internal readonly record struct PactArgs(float Alpha, float Step, int Length);

    /// <summary>PACT forward: y = round(clamp(x, 0, α)/s)·s, s = α/(2^bits − 1).</summary>
    /// <exception cref="ArgumentException">Bits outside 1–16, α not positive, or views of different lengths.</exception>
    public static void PactForward(GpuDevice device, ArrayView<float> x, float alpha, int bits, ArrayView<float> y)
    {
        ArgumentNullException.ThrowIfNull(device);
        CheckPact(nameof(PactForward), alpha, bits, x.Length, y.Length);
        if (x.Length == 0) return;
        var k = device.Kernel("pact-fwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PactArgs>(PactForwardKernel));
        k((int)x.Length, x, y, new PactArgs(alpha, alpha / ((1 << bits) - 1), (int)x.Length));
    }

    /// <summary>PACT backward: gx = g where 0 ≤ x &lt; α, else 0; returns ∂L/∂α = Σ g where x ≥ α (waits for the device).</summary>
    /// <exception cref="ArgumentException">α not positive, or views of different lengths.</exception>
    public static float PactBackward(GpuDevice device, ArrayView<float> x, ArrayView<float> gy, float alpha, ArrayView<float> gx)
    {
        ArgumentNullException.ThrowIfNull(device);
        CheckPact(nameof(PactBackward), alpha, 1, x.Length, gx.Length);
        if (gy.Length != x.Length) throw new ArgumentException($"GpuQuantizers.PactBackward: {x.Length} inputs and {gy.Length} gradients.");
        if (x.Length == 0) return 0f;
        int threads = device.ReductionThreads, blocks = (int)((x.Length + threads - 1) / threads);
        using var partial = device.Accelerator.Allocate1D<float>(blocks);
        var k = device.Kernel("pact-bwd", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, PactArgs>(PactBackwardKernel));
        k(device.ReductionConfig(blocks), x, gy, gx, partial.View, new PactArgs(alpha, 0f, (int)x.Length));
        double ga = 0;
        foreach (float v in partial.GetAsArray1D()) ga += v;
        return (float)ga;
    }

    private static void CheckPact(string op, float alpha, int bits, long xLength, long yLength)
    {
        if (bits < 1 || bits > 16) throw new ArgumentException($"GpuQuantizers.{op}: {bits} bits; PACT takes 1 to 16.");
        if (!(alpha > 0) || !float.IsFinite(alpha)) throw new ArgumentException($"GpuQuantizers.{op}: α = {alpha}; the clipping level must be a positive finite number.");
        if (xLength != yLength) throw new ArgumentException($"GpuQuantizers.{op}: views of {xLength} and {yLength} elements.");
    }

    private static void PactForwardKernel(Index1D i, ArrayView<float> x, ArrayView<float> y, PactArgs p)
    {
        float c = x[i] < 0f ? 0f : (x[i] > p.Alpha ? p.Alpha : x[i]);
        y[i] = DeviceMath.RoundHalfEven(c / p.Step) * p.Step;
    }

    private static void PactBackwardKernel(ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gx, ArrayView<float> partial, PactArgs p)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int t = Group.IdxX, i = Grid.IdxX * Group.DimX + t;
        float ga = 0f;
        if (i < p.Length)
        {
            float v = x[i], g = gy[i];
            if (v >= p.Alpha) { ga = g; gx[i] = 0f; }
            else gx[i] = v >= 0f ? g : 0f;
        }
        shared[t] = ga;
        Group.Barrier();
        for (int step = Group.DimX / 2; step > 0; step >>= 1)
        {
            if (t < step) shared[t] += shared[t + step];
            Group.Barrier();
        }
        if (t == 0) partial[Grid.IdxX] = shared[0];
    }
}
