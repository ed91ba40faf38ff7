using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// The point-wise part of an LSTM step on a <see cref="GpuDevice"/>, fused into one kernel each way (PyTorch's gate order
/// i, f, g, o): the gates' pre-activations come from two GEMMs (x·W_ihᵀ + h·W_hhᵀ + biases, <see cref="GpuGemm"/>), then
/// c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c'). The backward takes ∂L/∂h' and ∂L/∂c' and gives the gates' and
/// ∂L/∂c, recomputing the activations from the saved pre-activations.
/// </summary>
public static class GpuLstm
{
    internal readonly record struct Args(int Batch, int Hidden);

    /// <summary>One step: gates (batch × 4·hidden, pre-activations) and c (batch × hidden) → h', c'.</summary>
    /// <exception cref="ArgumentException">A view is too short for batch × hidden.</exception>
    public static void PointwiseForward(GpuDevice device, int batch, int hidden, ArrayView<float> gates, ArrayView<float> c, ArrayView<float> hNext, ArrayView<float> cNext)
    {
        Check(device, batch, hidden, gates.Length, c.Length, hNext.Length, cNext.Length);
        if (batch * hidden == 0) return;
        var k = device.Kernel("lstm-fwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Args>(ForwardKernel));
        k(batch * hidden, gates, c, hNext, cNext, new Args(batch, hidden));
    }

    /// <summary>Backward of one step: from ∂L/∂h' and ∂L/∂c' (either may be the zero view of an unused output), the gradient
    /// of the gate pre-activations (batch × 4·hidden) and of c.</summary>
    /// <exception cref="ArgumentException">A view is too short for batch × hidden.</exception>
    public static void PointwiseBackward(GpuDevice device, int batch, int hidden, ArrayView<float> gates, ArrayView<float> c, ArrayView<float> cNext,
        ArrayView<float> gradH, ArrayView<float> gradCNext, ArrayView<float> gradGates, ArrayView<float> gradC)
    {
        Check(device, batch, hidden, gates.Length, c.Length, gradH.Length, gradC.Length);
        if (gradGates.Length < 4L * batch * hidden || cNext.Length < (long)batch * hidden || gradCNext.Length < (long)batch * hidden)
            throw new ArgumentException($"GpuLstm.PointwiseBackward: views too short for batch {batch} × hidden {hidden}.");
        if (batch * hidden == 0) return;
        var k = device.Kernel("lstm-bwd", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, Args>(BackwardKernel));
        k(batch * hidden, gates, c, cNext, gradH, gradCNext, gradGates, gradC, new Args(batch, hidden));
    }

    private static void Check(GpuDevice device, int batch, int hidden, long gates, long a, long b, long c)
    {
        ArgumentNullException.ThrowIfNull(device);
        long bh = (long)batch * hidden;
        if (batch < 0 || hidden < 1 || gates < 4 * bh || a < bh || b < bh || c < bh)
            throw new ArgumentException($"GpuLstm: views too short for batch {batch} × hidden {hidden} (gates need 4·hidden per row).");
    }

    private static float Sigmoid(float v) => DeviceMath.Sigmoid(v);

    private static void ForwardKernel(Index1D idx, ArrayView<float> gates, ArrayView<float> c, ArrayView<float> hNext, ArrayView<float> cNext, Args p)
    {
        int r = idx / p.Hidden, j = idx % p.Hidden;
        long g0 = (long)r * 4 * p.Hidden + j;
        float i = Sigmoid(gates[g0]), f = Sigmoid(gates[g0 + p.Hidden]), g = DeviceMath.Tanh(gates[g0 + 2 * p.Hidden]), o = Sigmoid(gates[g0 + 3 * p.Hidden]);
        float cn = f * c[idx] + i * g;
        cNext[idx] = cn;
        hNext[idx] = o * DeviceMath.Tanh(cn);
    }

    private static void BackwardKernel(Index1D idx, ArrayView<float> gates, ArrayView<float> c, ArrayView<float> cNext, ArrayView<float> gradH,
        ArrayView<float> gradCNext, ArrayView<float> gradGates, ArrayView<float> gradC, Args p)
    {
        int r = idx / p.Hidden, j = idx % p.Hidden;
        long g0 = (long)r * 4 * p.Hidden + j;
        float i = Sigmoid(gates[g0]), f = Sigmoid(gates[g0 + p.Hidden]), g = DeviceMath.Tanh(gates[g0 + 2 * p.Hidden]), o = Sigmoid(gates[g0 + 3 * p.Hidden]);
        float tc = DeviceMath.Tanh(cNext[idx]);
        float gh = gradH[idx];
        float gc = gradCNext[idx] + gh * o * (1f - tc * tc);
        gradGates[g0] = gc * g * i * (1f - i);
        gradGates[g0 + p.Hidden] = gc * c[idx] * f * (1f - f);
        gradGates[g0 + 2 * p.Hidden] = gc * i * (1f - g * g);
        gradGates[g0 + 3 * p.Hidden] = gh * tc * o * (1f - o);
        gradC[idx] = gc * f;
    }
}
