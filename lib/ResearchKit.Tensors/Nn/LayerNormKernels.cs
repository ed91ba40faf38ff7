using System.Numerics.Tensors;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors.Nn;

/// <summary>Layer-norm kernels on a dense input viewed as (rows, m): each row is normalized over its m elements.</summary>
internal static class LayerNormKernels
{
    /// <summary>y = (x − mean)·invstd (·w + b); saves per-row mean and 1/√(var + eps).</summary>
    public static void Forward(float[] x, int xOff, float[] y, int rows, int m, float[]? w, float[]? b, float eps, float[] mean, float[] invstd)
    {
        int chunks = SpanMath.Chunks(rows, (long)rows * m);
        Parallelism.For(chunks, ch =>
        {
            var (r0, r1) = SpanMath.Range(ch, chunks, rows);
            for (int r = r0; r < r1; r++)
            {
                var xr = x.AsSpan(xOff + r * m, m); var yr = y.AsSpan(r * m, m);
                float mu = m == 0 ? 0f : (float)((double)TensorPrimitives.Sum(xr) / m);
                float v = m == 0 ? 0f : (float)(SpanMath.SumSquaredDeviation(xr, mu) / m);
                float inv = (float)(1.0 / Math.Sqrt(v + (double)eps));
                mean[r] = mu; invstd[r] = inv;
                TensorPrimitives.Subtract(xr, mu, yr);
                TensorPrimitives.Multiply(yr, inv, yr);
                if (w is not null && b is not null) TensorPrimitives.MultiplyAdd(yr, w, b, yr);
                else if (w is not null) TensorPrimitives.Multiply(yr, w, yr);
                else if (b is not null) TensorPrimitives.Add(yr, b, yr);
            }
        });
    }

    /// <summary>
    /// gx = invstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w; gw = Σ_rows g·x̂; gb = Σ_rows g.
    /// Parameter gradients are summed per chunk, then over chunks in order (deterministic for a thread count).
    /// </summary>
    public static void Backward(float[] g, int gOff, float[] x, int xOff, int rows, int m, float[]? w, float[] mean, float[] invstd,
        float[]? gx, float[]? gw, float[]? gb)
    {
        int chunks = SpanMath.Chunks(rows, (long)rows * m);
        var pw = new float[chunks][]; var pb = new float[chunks][];
        Parallelism.For(chunks, ch =>
        {
            var (r0, r1) = SpanMath.Range(ch, chunks, rows);
            var xhat = new float[m]; var gh = new float[m];
            var aw = gw is not null ? new float[m] : null; var ab = gb is not null ? new float[m] : null;
            for (int r = r0; r < r1; r++)
            {
                var xr = x.AsSpan(xOff + r * m, m); var gr = g.AsSpan(gOff + r * m, m);
                float mu = mean[r], inv = invstd[r];
                TensorPrimitives.Subtract(xr, mu, xhat);
                TensorPrimitives.Multiply(xhat, inv, xhat);
                if (aw is not null) TensorPrimitives.MultiplyAdd(gr, xhat, aw, aw);
                if (ab is not null) TensorPrimitives.Add(ab, gr, ab);
                if (gx is null) continue;
                if (w is not null) TensorPrimitives.Multiply(gr, w, gh); else gr.CopyTo(gh);
                float c1 = TensorPrimitives.Sum(gh) / m;
                float c2 = TensorPrimitives.Dot(gh, xhat) / m;
                SpanMath.NormGradInput(gh, xr, gx.AsSpan(r * m, m), inv, c1, mu, inv * c2);
            }
            pw[ch] = aw!; pb[ch] = ab!;
        });
        for (int ch = 0; ch < chunks; ch++)
        {
            if (gw is not null) TensorPrimitives.Add(gw, pw[ch], gw);
            if (gb is not null) TensorPrimitives.Add(gb, pb[ch], gb);
        }
    }
}
