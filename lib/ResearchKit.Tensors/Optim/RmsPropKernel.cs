using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ResearchKit.Tensors.Optim;

/// <summary>Per-step float32 coefficients of an RMSprop update.</summary>
internal readonly struct RmsPropCoefficients
{
    public required bool Maximize { get; init; }
    public required bool HasWeightDecay { get; init; }
    public required float WeightDecay { get; init; }
    public required float Alpha { get; init; }
    public required float OneMinusAlpha { get; init; }
    public required float Eps { get; init; }
    public required bool Centered { get; init; }
    public required bool HasMomentum { get; init; }
    public required float Momentum { get; init; }
    public required float NegLr { get; init; }
}

/// <summary>
/// Fused RMSprop update over contiguous spans, in PyTorch 1.13's operation order:
/// <c>g += wd·p; sq = sq·α + ((1−α)·g)·g; [centered: ga = ga·α + (1−α)·g; avg = sqrt(sq − ga·ga)] else avg = sqrt(sq);
/// avg += eps; momentum: buf = buf·μ + g/avg, p += (−lr)·buf; else p += ((−lr)·g)/avg</c>, with PyTorch's FMAs for
/// <c>add(alpha)</c> and <c>addcmul</c> (see <see cref="AdamKernel"/>).
/// </summary>
internal static class RmsPropKernel
{
    public static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> sq, Span<float> gavg, Span<float> buf, in RmsPropCoefficients c)
    {
        int n = p.Length, i = 0;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float sr = ref MemoryMarshal.GetReference(sq);
        ref float ar = ref MemoryMarshal.GetReference(gavg);
        ref float br = ref MemoryMarshal.GetReference(buf);
        if (Vector512.IsHardwareAccelerated)
        {
            var wd = Vector512.Create(c.WeightDecay); var al = Vector512.Create(c.Alpha); var oma = Vector512.Create(c.OneMinusAlpha);
            var eps = Vector512.Create(c.Eps); var mu = Vector512.Create(c.Momentum); var nlr = Vector512.Create(c.NegLr);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint k = (nuint)i;
                var gv = Vector512.LoadUnsafe(ref gr, k);
                var pv = Vector512.LoadUnsafe(ref pr, k);
                if (c.Maximize) gv = -gv;
                if (c.HasWeightDecay) gv = Vector512.FusedMultiplyAdd(pv, wd, gv);
                var s = Vector512.FusedMultiplyAdd(oma * gv, gv, Vector512.LoadUnsafe(ref sr, k) * al);
                s.StoreUnsafe(ref sr, k);
                Vector512<float> avg;
                if (c.Centered)
                {
                    var a = Vector512.FusedMultiplyAdd(gv, oma, Vector512.LoadUnsafe(ref ar, k) * al);
                    a.StoreUnsafe(ref ar, k);
                    avg = Vector512.Sqrt(Vector512.FusedMultiplyAdd(-a, a, s));
                }
                else avg = Vector512.Sqrt(s);
                avg += eps;
                if (c.HasMomentum)
                {
                    var b = Vector512.LoadUnsafe(ref br, k) * mu;
                    b += gv / avg;
                    b.StoreUnsafe(ref br, k);
                    pv = Vector512.FusedMultiplyAdd(b, nlr, pv);
                }
                else pv += nlr * gv / avg;
                pv.StoreUnsafe(ref pr, k);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var wd = Vector256.Create(c.WeightDecay); var al = Vector256.Create(c.Alpha); var oma = Vector256.Create(c.OneMinusAlpha);
            var eps = Vector256.Create(c.Eps); var mu = Vector256.Create(c.Momentum); var nlr = Vector256.Create(c.NegLr);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint k = (nuint)i;
                var gv = Vector256.LoadUnsafe(ref gr, k);
                var pv = Vector256.LoadUnsafe(ref pr, k);
                if (c.Maximize) gv = -gv;
                if (c.HasWeightDecay) gv = Vector256.FusedMultiplyAdd(pv, wd, gv);
                var s = Vector256.FusedMultiplyAdd(oma * gv, gv, Vector256.LoadUnsafe(ref sr, k) * al);
                s.StoreUnsafe(ref sr, k);
                Vector256<float> avg;
                if (c.Centered)
                {
                    var a = Vector256.FusedMultiplyAdd(gv, oma, Vector256.LoadUnsafe(ref ar, k) * al);
                    a.StoreUnsafe(ref ar, k);
                    avg = Vector256.Sqrt(Vector256.FusedMultiplyAdd(-a, a, s));
                }
                else avg = Vector256.Sqrt(s);
                avg += eps;
                if (c.HasMomentum)
                {
                    var b = Vector256.LoadUnsafe(ref br, k) * mu;
                    b += gv / avg;
                    b.StoreUnsafe(ref br, k);
                    pv = Vector256.FusedMultiplyAdd(b, nlr, pv);
                }
                else pv += nlr * gv / avg;
                pv.StoreUnsafe(ref pr, k);
            }
        }
        for (; i < n; i++)
        {
            float pv = Unsafe.Add(ref pr, i);
            float gv = Unsafe.Add(ref gr, i);
            if (c.Maximize) gv = -gv;
            if (c.HasWeightDecay) gv = MathF.FusedMultiplyAdd(pv, c.WeightDecay, gv);
            ref float s = ref Unsafe.Add(ref sr, i);
            float sv = MathF.FusedMultiplyAdd(c.OneMinusAlpha * gv, gv, s * c.Alpha);
            s = sv;
            float avg;
            if (c.Centered)
            {
                ref float a = ref Unsafe.Add(ref ar, i);
                float av = MathF.FusedMultiplyAdd(gv, c.OneMinusAlpha, a * c.Alpha);
                a = av;
                avg = MathF.Sqrt(MathF.FusedMultiplyAdd(-av, av, sv));
            }
            else avg = MathF.Sqrt(sv);
            avg += c.Eps;
            if (c.HasMomentum)
            {
                ref float b = ref Unsafe.Add(ref br, i);
                float bv = b * c.Momentum;
                bv += gv / avg;
                b = bv;
                pv = MathF.FusedMultiplyAdd(bv, c.NegLr, pv);
            }
            else pv += c.NegLr * gv / avg;
            Unsafe.Add(ref pr, i) = pv;
        }
    }
}
