using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Optim;

namespace ResearchKit.Tensors.Nn;

/// <summary>Gradient clipping (<c>torch.nn.utils.clip_grad_norm_</c> / <c>clip_grad_value_</c>), in place on <see cref="Tensor.Grad"/>.</summary>
public static class ClipGrad
{
    /// <summary>
    /// Scales the gradients so that their total norm is at most <paramref name="maxNorm"/> (PyTorch 1.13):
    /// total = ‖(‖g₁‖, ‖g₂‖, …)‖ (the p-norm of the per-parameter p-norms), clip_coef = maxNorm / (total + 1e-6)
    /// clamped to 1, every gradient multiplied by clip_coef. Parameters without a gradient are ignored.
    /// </summary>
    /// <param name="parameters">Parameters whose gradients to clip.</param>
    /// <param name="maxNorm">Maximum total norm (≥ 0).</param>
    /// <param name="normType">p of the p-norm: 2 (default), 1, any p &gt; 0, +∞ (max |g|), −∞ (min |g|) or 0 (count of non-zeros).</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or ±∞ instead of scaling by it.</param>
    /// <returns>The total norm before clipping, as a 0-d Float32 tensor (0 when no parameter has a gradient).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is NaN.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="errorIfNonfinite"/> and the total norm is not finite.</exception>
    public static Tensor ClipGradNorm_(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"ClipGradNorm_: maxNorm must be a non-negative number, got {PyFormat.Float(maxNorm)}.");
        if (double.IsNaN(normType)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "ClipGradNorm_: normType is NaN; use 2, 1, double.PositiveInfinity, ...");
        var grads = Grads(parameters, "ClipGradNorm_");
        if (grads.Count == 0) return Tensor.Scalar(0f);

        // Per-parameter norms are float32 tensors in PyTorch; the total is the same norm over them.
        var norms = new float[grads.Count];
        for (int i = 0; i < norms.Length; i++) norms[i] = (float)(grads[i].Device.IsCpu ? Norm(grads[i].ReadSpan(), normType) : DeviceNorm(grads[i], normType));
        float total = (float)Norm(norms, normType);
        if (errorIfNonfinite && !float.IsFinite(total))
            throw new InvalidOperationException($"ClipGradNorm_: The total norm of order {PyFormat.Float(normType)} for gradients from `parameters` is non-finite ({PyFormat.Float(total)}), so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `errorIfNonfinite: false`.");
        // PyTorch: clip_coef = max_norm / (total_norm + 1e-6) evaluates as reciprocal(total + 1e-6) * max_norm in float32.
        float coef = 1f / (total + 1e-6f) * (float)maxNorm;
        if (coef < 1f || float.IsNaN(coef))
            foreach (var g in grads) Scale(g, coef);
        return Tensor.Scalar(total);
    }

    /// <summary>Clamps every gradient element to [−clipValue, clipValue] (<c>clip_grad_value_</c>); NaN stays NaN.</summary>
    /// <param name="parameters">Parameters whose gradients to clip.</param>
    /// <param name="clipValue">Bound on |g| (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative or NaN.</exception>
    public static void ClipGradValue_(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, $"ClipGradValue_: clipValue must be a non-negative number, got {PyFormat.Float(clipValue)}.");
        float c = (float)clipValue;
        foreach (var g in Grads(parameters, "ClipGradValue_"))
        {
            if (!g.IsContiguous) { using (Torch.NoGrad()) g.Clamp_(-c, c); continue; }
            var s = g.WriteSpan();
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var lo = Vector512.Create(-c); var hi = Vector512.Create(c);
                ref float r = ref MemoryMarshal.GetReference(s);
                for (; i <= s.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                    Vector512.Min(Vector512.Max(Vector512.LoadUnsafe(ref r, (nuint)i), lo), hi).StoreUnsafe(ref r, (nuint)i);
            }
            for (; i < s.Length; i++) s[i] = MathF.Min(MathF.Max(s[i], -c), c); // MathF.Min/Max propagate NaN like torch.clamp
        }
    }

    private static List<Tensor> Grads(IEnumerable<Tensor> parameters, string op)
    {
        var list = new List<Tensor>();
        foreach (var p in parameters)
        {
            if (p?.Grad is not Tensor g) continue;
            if (g.DType != DType.Float32) throw new ArgumentException($"{op}: gradient of shape {g.Shape} is not Float32.");
            list.Add(g);
        }
        return list;
    }

    // A gradient on a device: the 2- and ∞-norms reduce there (a float sum, so the total can differ from the CPU's
    // double-accumulated one in its last bits); other orders read a host copy.
    private static double DeviceNorm(Tensor g, double p)
    {
        using (Torch.NoGrad())
        {
            if (p == 2) return Math.Sqrt(g.Square().Sum().Item());
            if (double.IsPositiveInfinity(p)) return g.Numel == 0 ? 0 : g.Abs().Max().Item();
        }
        return Norm(g.ToArray(), p);
    }

    private static void Scale(Tensor g, float coef)
    {
        if (!g.Device.IsCpu) { using (Torch.NoGrad()) g.Mul_(coef); return; }
        if (!g.IsContiguous) { using (Torch.NoGrad()) g.Mul_(coef); return; }
        var w = g.WriteSpan();
        if (w.Length < 2 * NormBlock) TensorPrimitives.Multiply(w, coef, w);
        else ScaleInRanges(w, coef);
    }

    // Element-wise, so the ranges do not change a bit; an LM's 6.5 M-weight embedding is worth the threads.
    private static unsafe void ScaleInRanges(Span<float> w, float coef)
    {
        fixed (float* p = w)
        {
            nint a = (nint)p;
            Parallelism.ForRanges(w.Length, Tensor.ParallelGrain, (s, n) => { var r = new Span<float>((float*)a + s, n); TensorPrimitives.Multiply(r, coef, r); });
        }
    }

    /// <summary>Σx² of a long gradient is summed per block of this many elements, blocks in parallel, then the blocks' sums in
    /// order: the blocks do not depend on the thread count, so neither does the norm.</summary>
    internal const int NormBlock = 1 << 16;

    /// <summary>p-norm accumulated in double (deterministic for a given length).</summary>
    internal static double Norm(ReadOnlySpan<float> x, double p)
    {
        if (double.IsPositiveInfinity(p) || double.IsNegativeInfinity(p))
        {
            if (x.Length == 0) return double.IsPositiveInfinity(p) ? 0 : double.PositiveInfinity;
            float m = Math.Abs(x[0]);
            for (int i = 1; i < x.Length; i++)
            {
                float a = Math.Abs(x[i]);
                if (float.IsNaN(a)) return double.NaN;
                if (double.IsPositiveInfinity(p) ? a > m : a < m) m = a;
            }
            return m;
        }
        if (p == 0)
        {
            int nz = 0;
            foreach (var v in x) if (v != 0) nz++;
            return nz;
        }
        if (p == 2) return Math.Sqrt(x.Length < 2 * NormBlock ? SumOfSquares(x) : BlockedSumOfSquares(x));
        if (p == 1)
        {
            double s = 0;
            foreach (var v in x) s += Math.Abs(v);
            return s;
        }
        double acc = 0;
        foreach (var v in x) acc += Math.Pow(Math.Abs(v), p);
        return Math.Pow(acc, 1 / p);
    }

    private static unsafe double BlockedSumOfSquares(ReadOnlySpan<float> x)
    {
        int n = x.Length, blocks = (n + NormBlock - 1) / NormBlock;
        var partial = new double[blocks];
        fixed (float* p = x)
        {
            nint a = (nint)p;
            Parallelism.For(blocks, b =>
            {
                int start = b * NormBlock;
                partial[b] = SumOfSquares(new ReadOnlySpan<float>((float*)a + start, Math.Min(NormBlock, n - start)));
            });
        }
        double sum = 0;
        foreach (double v in partial) sum += v;
        return sum;
    }

    /// <summary>Σx² in double: float32 elements are widened and summed in two vector accumulators, then the tail.</summary>
    private static double SumOfSquares(ReadOnlySpan<float> x)
    {
        int i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= 16)
        {
            var acc0 = Vector512<double>.Zero; var acc1 = Vector512<double>.Zero;
            ref float r = ref MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 16; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref r, (nuint)i));
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            s = Vector512.Sum(acc0 + acc1);
        }
        for (; i < x.Length; i++) s += (double)x[i] * x[i];
        return s;
    }
}
