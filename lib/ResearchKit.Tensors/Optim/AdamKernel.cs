using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Optim;

/// <summary>Per-step float32 coefficients of an Adam/AdamW update, derived in double exactly as PyTorch 1.13 does.</summary>
internal readonly struct AdamCoefficients
{
    public required bool Maximize { get; init; }
    public required bool Amsgrad { get; init; }
    /// <summary>Adam's L2 term: <c>g += wd·p</c> (only when weight_decay ≠ 0 and not decoupled).</summary>
    public required bool L2 { get; init; }
    public required float WeightDecay { get; init; }
    /// <summary>AdamW's decoupled decay: <c>p *= 1 − lr·wd</c> first.</summary>
    public required bool Decoupled { get; init; }
    public required float Decay { get; init; }
    public required float Beta1 { get; init; }
    public required float OneMinusBeta1 { get; init; }
    public required float Beta2 { get; init; }
    public required float OneMinusBeta2 { get; init; }
    public required float BiasCorrection2Sqrt { get; init; }
    public required float Eps { get; init; }
    public required float NegStepSize { get; init; }
}

/// <summary>
/// Fused Adam/AdamW update over contiguous spans, in PyTorch 1.13's single-tensor operation order:
/// <c>g = fma(p, wd, g); m = fma(g, 1−β1, m·β1); v = fma((1−β2)·g, g, v·β2); denom = sqrt(v)/sqrt(bc2) + eps;
/// p = p + (−step_size·m)/denom</c>.
/// </summary>
/// <remarks>
/// PyTorch's CPU kernels compute <c>add(x, alpha)</c> as <c>fma(x, alpha, self)</c> and <c>addcmul</c> as
/// <c>fma(value·t1, t2, self)</c> (both its scalar and vector loops), while <c>addcdiv</c> is <c>self + (value·t1)/t2</c>
/// unfused; every other op rounds to float32. Mirroring that reproduces PyTorch's results bit for bit.
/// </remarks>
internal static class AdamKernel
{
    public static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vmax, in AdamCoefficients c)
    {
        int n = p.Length, i = 0;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float xr = ref MemoryMarshal.GetReference(vmax);
        if (Vector512.IsHardwareAccelerated)
        {
            var wd = Vector512.Create(c.WeightDecay); var decay = Vector512.Create(c.Decay);
            var b1 = Vector512.Create(c.Beta1); var omb1 = Vector512.Create(c.OneMinusBeta1);
            var b2 = Vector512.Create(c.Beta2); var omb2 = Vector512.Create(c.OneMinusBeta2);
            var bc2 = Vector512.Create(c.BiasCorrection2Sqrt); var eps = Vector512.Create(c.Eps); var ns = Vector512.Create(c.NegStepSize);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint k = (nuint)i;
                var gv = Vector512.LoadUnsafe(ref gr, k);
                var pv = Vector512.LoadUnsafe(ref pr, k);
                if (c.Maximize) gv = -gv;
                if (c.Decoupled) pv *= decay;
                else if (c.L2) gv = Vector512.FusedMultiplyAdd(pv, wd, gv);
                var mv = Vector512.FusedMultiplyAdd(gv, omb1, Vector512.LoadUnsafe(ref mr, k) * b1);
                var vv = Vector512.FusedMultiplyAdd(omb2 * gv, gv, Vector512.LoadUnsafe(ref vr, k) * b2);
                mv.StoreUnsafe(ref mr, k);
                vv.StoreUnsafe(ref vr, k);
                if (c.Amsgrad)
                {
                    vv = Vector512.Max(Vector512.LoadUnsafe(ref xr, k), vv);
                    vv.StoreUnsafe(ref xr, k);
                }
                var denom = Vector512.Sqrt(vv) / bc2 + eps;
                pv += ns * mv / denom;
                pv.StoreUnsafe(ref pr, k);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var wd = Vector256.Create(c.WeightDecay); var decay = Vector256.Create(c.Decay);
            var b1 = Vector256.Create(c.Beta1); var omb1 = Vector256.Create(c.OneMinusBeta1);
            var b2 = Vector256.Create(c.Beta2); var omb2 = Vector256.Create(c.OneMinusBeta2);
            var bc2 = Vector256.Create(c.BiasCorrection2Sqrt); var eps = Vector256.Create(c.Eps); var ns = Vector256.Create(c.NegStepSize);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint k = (nuint)i;
                var gv = Vector256.LoadUnsafe(ref gr, k);
                var pv = Vector256.LoadUnsafe(ref pr, k);
                if (c.Maximize) gv = -gv;
                if (c.Decoupled) pv *= decay;
                else if (c.L2) gv = Vector256.FusedMultiplyAdd(pv, wd, gv);
                var mv = Vector256.FusedMultiplyAdd(gv, omb1, Vector256.LoadUnsafe(ref mr, k) * b1);
                var vv = Vector256.FusedMultiplyAdd(omb2 * gv, gv, Vector256.LoadUnsafe(ref vr, k) * b2);
                mv.StoreUnsafe(ref mr, k);
                vv.StoreUnsafe(ref vr, k);
                if (c.Amsgrad)
                {
                    vv = Vector256.Max(Vector256.LoadUnsafe(ref xr, k), vv);
                    vv.StoreUnsafe(ref xr, k);
                }
                var denom = Vector256.Sqrt(vv) / bc2 + eps;
                pv += ns * mv / denom;
                pv.StoreUnsafe(ref pr, k);
            }
        }
        for (; i < n; i++) Scalar(ref Unsafe.Add(ref pr, i), Unsafe.Add(ref gr, i), ref Unsafe.Add(ref mr, i), ref Unsafe.Add(ref vr, i), ref xr, i, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar(ref float p, float g, ref float m, ref float v, ref float xr, int i, in AdamCoefficients c)
    {
        float pv = p;
        if (c.Maximize) g = -g;
        if (c.Decoupled) pv *= c.Decay;
        else if (c.L2) g = MathF.FusedMultiplyAdd(pv, c.WeightDecay, g);
        float mv = MathF.FusedMultiplyAdd(g, c.OneMinusBeta1, m * c.Beta1);
        float vv = MathF.FusedMultiplyAdd(c.OneMinusBeta2 * g, g, v * c.Beta2);
        m = mv; v = vv;
        if (c.Amsgrad)
        {
            ref float x = ref Unsafe.Add(ref xr, i);
            vv = MathF.Max(x, vv);
            x = vv;
        }
        float denom = MathF.Sqrt(vv) / c.BiasCorrection2Sqrt + c.Eps;
        p = pv + c.NegStepSize * mv / denom;
    }
}
