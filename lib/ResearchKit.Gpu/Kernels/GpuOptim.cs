using ILGPU;
using ILGPU.Runtime;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// In-place optimizer updates on a <see cref="GpuDevice"/>, one thread per parameter element, with PyTorch's formulas (as the
/// engine's <c>Sgd</c> and <c>Adam</c>): the state buffers live on the device next to the parameters.
/// </summary>
public static class GpuOptim
{
    internal readonly record struct SgdArgs(float Lr, float Momentum, float Dampening, float WeightDecay, int Nesterov, int First);
    internal readonly record struct AdamArgs(float Lr, float Beta1, float Beta2, float Eps, float WeightDecay, float Correction1, float SqrtCorrection2);
    internal readonly record struct RmsPropArgs(float Lr, float Alpha, float Eps, float WeightDecay, float Momentum, int Centered);

    /// <summary>
    /// One SGD step: g = grad + wd·p; with momentum, buf = g on the first step, else momentum·buf + (1 − dampening)·g, and
    /// g = g + momentum·buf (Nesterov) or buf; p −= lr·g. <paramref name="buffer"/> is unused without momentum.
    /// </summary>
    /// <param name="device">The device holding the views.</param>
    /// <param name="p">Parameters, updated in place.</param>
    /// <param name="grad">Their gradient.</param>
    /// <param name="buffer">Momentum buffer (same length; its content is ignored on the first step).</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="momentum">Momentum factor (0: none).</param>
    /// <param name="dampening">Dampening of the momentum.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum.</param>
    /// <param name="firstStep">Whether this is the buffer's first step.</param>
    /// <exception cref="ArgumentException">The views differ in length.</exception>
    public static void SgdStep(GpuDevice device, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> buffer,
        float lr, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false, bool firstStep = false)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (grad.Length != p.Length || (momentum != 0f && buffer.Length != p.Length))
            throw new ArgumentException($"GpuOptim.SgdStep: {p.Length} parameters, {grad.Length} gradients, {buffer.Length} buffer elements; they must match.");
        if (p.Length == 0) return;
        var kernel = device.Kernel("optim-sgd", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdArgs>(SgdKernel));
        kernel((int)p.Length, p, grad, momentum != 0f ? buffer : p, new SgdArgs(lr, momentum, dampening, weightDecay, nesterov ? 1 : 0, firstStep ? 1 : 0));
    }

    /// <summary>
    /// One Adam step t (from 1): g = grad + wd·p; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
    /// p −= (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + eps).
    /// </summary>
    /// <exception cref="ArgumentException">The views differ in length, or <paramref name="step"/> is below 1.</exception>
    public static void AdamStep(GpuDevice device, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, int step,
        float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (grad.Length != p.Length || m.Length != p.Length || v.Length != p.Length)
            throw new ArgumentException($"GpuOptim.AdamStep: {p.Length} parameters, {grad.Length} gradients, {m.Length} and {v.Length} moment elements; they must match.");
        if (step < 1) throw new ArgumentException($"GpuOptim.AdamStep: step {step}; Adam counts steps from 1 (bias correction 1 − β^t).", nameof(step));
        if (p.Length == 0) return;
        double c1 = 1 - Math.Pow(beta1, step), c2 = 1 - Math.Pow(beta2, step);
        var kernel = device.Kernel("optim-adam", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamArgs>(AdamKernel));
        kernel((int)p.Length, p, grad, m, v, new AdamArgs(lr, beta1, beta2, eps, weightDecay, (float)c1, (float)Math.Sqrt(c2)));
    }

    /// <summary>
    /// One RMSprop step in place, PyTorch's rule: v = αv + (1−α)g², with <paramref name="centered"/> ḡ = αḡ + (1−α)g and the
    /// denominator √(v − ḡ²) + ε, else √v + ε; with momentum b = μb + g/denominator and p −= lr·b, else p −= lr·g/denominator.
    /// <paramref name="gradAvg"/> and <paramref name="buffer"/> are read only when centered or with momentum.
    /// </summary>
    /// <exception cref="ArgumentException">The views' lengths differ.</exception>
    public static void RmsPropStep(GpuDevice device, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> squareAvg, ArrayView<float> gradAvg,
        ArrayView<float> buffer, float lr, float alpha, float eps, float weightDecay, float momentum, bool centered)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (grad.Length != p.Length || squareAvg.Length != p.Length || (centered && gradAvg.Length != p.Length) || (momentum > 0f && buffer.Length != p.Length))
            throw new ArgumentException($"GpuOptim.RmsPropStep: {p.Length} parameters, {grad.Length} gradients, {squareAvg.Length}/{gradAvg.Length}/{buffer.Length} state elements; they must match.");
        if (p.Length == 0) return;
        var kernel = device.Kernel("optim-rmsprop", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, RmsPropArgs>(RmsPropKernel));
        kernel((int)p.Length, p, grad, squareAvg, centered ? gradAvg : squareAvg, momentum > 0f ? buffer : squareAvg,
            new RmsPropArgs(lr, alpha, eps, weightDecay, momentum, centered ? 1 : 0));
    }

    private static void RmsPropKernel(Index1D i, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> sq, ArrayView<float> gavg, ArrayView<float> buf, RmsPropArgs a)
    {
        float g = grad[i], pi = p[i];
        if (a.WeightDecay != 0f) g += a.WeightDecay * pi;
        float s = a.Alpha * sq[i] + (1f - a.Alpha) * g * g;
        sq[i] = s;
        float avg;
        if (a.Centered != 0)
        {
            float m = a.Alpha * gavg[i] + (1f - a.Alpha) * g;
            gavg[i] = m;
            avg = MathF.Sqrt(s - m * m);
        }
        else avg = MathF.Sqrt(s);
        avg += a.Eps;
        if (a.Momentum > 0f)
        {
            float b = a.Momentum * buf[i] + g / avg;
            buf[i] = b;
            p[i] = pi - a.Lr * b;
        }
        else p[i] = pi - a.Lr * g / avg;
    }

    private static void SgdKernel(Index1D i, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> buffer, SgdArgs a)
    {
        float g = grad[i];
        if (a.WeightDecay != 0f) g += a.WeightDecay * p[i];
        if (a.Momentum != 0f)
        {
            float buf = a.First != 0 ? g : a.Momentum * buffer[i] + (1f - a.Dampening) * g;
            buffer[i] = buf;
            g = a.Nesterov != 0 ? g + a.Momentum * buf : buf;
        }
        p[i] -= a.Lr * g;
    }

    private static void AdamKernel(Index1D i, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, AdamArgs a)
    {
        float g = grad[i];
        if (a.WeightDecay != 0f) g += a.WeightDecay * p[i];
        float mi = a.Beta1 * m[i] + (1f - a.Beta1) * g;
        float vi = a.Beta2 * v[i] + (1f - a.Beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] -= a.Lr / a.Correction1 * mi / (MathF.Sqrt(vi) / a.SqrtCorrection2 + a.Eps);
    }
}
