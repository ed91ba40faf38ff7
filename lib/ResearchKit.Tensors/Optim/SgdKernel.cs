using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Optim;

/// <summary>Per-step float32 coefficients of an SGD update (PyTorch casts each Python scalar to float32).</summary>
internal readonly struct SgdCoefficients
{
    public required bool Maximize { get; init; }
    public required bool HasWeightDecay { get; init; }
    public required float WeightDecay { get; init; }
    public required bool HasMomentum { get; init; }
    /// <summary>First step of the buffer: PyTorch sets <c>buf = d_p</c> (no dampening).</summary>
    public required bool FirstStep { get; init; }
    public required float Momentum { get; init; }
    public required float OneMinusDampening { get; init; }
    public required bool Nesterov { get; init; }
    public required float NegLr { get; init; }
}

/// <summary>
/// Fused SGD update over contiguous spans, in PyTorch 1.13's operation order:
/// <c>d = g + wd·p; buf = buf·μ + (1−dampening)·d (buf = d on the first step); d = nesterov ? d + μ·buf : buf; p = p + (−lr)·d</c>,
/// each <c>x + α·y</c> fused into one FMA as PyTorch's <c>add(y, alpha=α)</c> kernel does (see <see cref="AdamKernel"/>).
/// </summary>
internal static class SgdKernel
{
    public static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> buf, in SgdCoefficients c)
    {
        int n = p.Length, i = 0;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float br = ref MemoryMarshal.GetReference(buf);
        if (Vector512.IsHardwareAccelerated)
        {
            var wd = Vector512.Create(c.WeightDecay); var mu = Vector512.Create(c.Momentum);
            var omd = Vector512.Create(c.OneMinusDampening); var nlr = Vector512.Create(c.NegLr);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint k = (nuint)i;
                var d = Vector512.LoadUnsafe(ref gr, k);
                var pv = Vector512.LoadUnsafe(ref pr, k);
                if (c.Maximize) d = -d;
                if (c.HasWeightDecay) d = Vector512.FusedMultiplyAdd(pv, wd, d);
                if (c.HasMomentum)
                {
                    Vector512<float> b;
                    if (c.FirstStep) b = d;
                    else b = Vector512.FusedMultiplyAdd(d, omd, Vector512.LoadUnsafe(ref br, k) * mu);
                    b.StoreUnsafe(ref br, k);
                    d = c.Nesterov ? Vector512.FusedMultiplyAdd(b, mu, d) : b;
                }
                Vector512.FusedMultiplyAdd(d, nlr, pv).StoreUnsafe(ref pr, k);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var wd = Vector256.Create(c.WeightDecay); var mu = Vector256.Create(c.Momentum);
            var omd = Vector256.Create(c.OneMinusDampening); var nlr = Vector256.Create(c.NegLr);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint k = (nuint)i;
                var d = Vector256.LoadUnsafe(ref gr, k);
                var pv = Vector256.LoadUnsafe(ref pr, k);
                if (c.Maximize) d = -d;
                if (c.HasWeightDecay) d = Vector256.FusedMultiplyAdd(pv, wd, d);
                if (c.HasMomentum)
                {
                    Vector256<float> b;
                    if (c.FirstStep) b = d;
                    else b = Vector256.FusedMultiplyAdd(d, omd, Vector256.LoadUnsafe(ref br, k) * mu);
                    b.StoreUnsafe(ref br, k);
                    d = c.Nesterov ? Vector256.FusedMultiplyAdd(b, mu, d) : b;
                }
                Vector256.FusedMultiplyAdd(d, nlr, pv).StoreUnsafe(ref pr, k);
            }
        }
        for (; i < n; i++)
        {
            float pv = Unsafe.Add(ref pr, i);
            float d = Unsafe.Add(ref gr, i);
            if (c.Maximize) d = -d;
            if (c.HasWeightDecay) d = MathF.FusedMultiplyAdd(pv, c.WeightDecay, d);
            if (c.HasMomentum)
            {
                ref float b = ref Unsafe.Add(ref br, i);
                if (c.FirstStep) b = d;
                else b = MathF.FusedMultiplyAdd(d, c.OneMinusDampening, b * c.Momentum);
                d = c.Nesterov ? MathF.FusedMultiplyAdd(b, c.Momentum, d) : b;
            }
            Unsafe.Add(ref pr, i) = MathF.FusedMultiplyAdd(d, c.NegLr, pv);
        }
    }
}
