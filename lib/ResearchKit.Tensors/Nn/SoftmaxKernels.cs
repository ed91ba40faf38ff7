using System.Numerics.Tensors;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Numerically stable softmax / log-softmax along one dimension of a dense tensor viewed as (outer, n, inner), with the
/// fused backward kernels. inner = 1 (the last dimension) works on contiguous rows; inner &gt; 1 reduces across rows
/// with SIMD along inner, so no transpose is needed.
/// </summary>
internal static class SoftmaxKernels
{
    /// <summary>y = softmax(x) or log_softmax(x) along n.</summary>
    public static void Forward(float[] x, int xOff, float[] y, int outer, int n, int inner, bool log)
    {
        int chunks = SpanMath.Chunks(outer, (long)outer * n * inner);
        Parallelism.For(chunks, ch =>
        {
            var (o0, o1) = SpanMath.Range(ch, chunks, outer);
            float[]? m = inner > 1 ? new float[inner] : null, s = inner > 1 ? new float[inner] : null;
            for (int o = o0; o < o1; o++)
            {
                int b = o * n * inner;
                if (inner == 1) Row(x.AsSpan(xOff + b, n), y.AsSpan(b, n), log);
                else Block(x.AsSpan(xOff + b, n * inner), y.AsSpan(b, n * inner), n, inner, m!, s!, log);
            }
        });
    }

    private static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        if (x.Length == 0) return;
        float m = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, m, y);
        TensorPrimitives.Exp(y, y);
        float sum = TensorPrimitives.Sum(y);
        if (log) TensorPrimitives.Subtract(x, m + MathF.Log(sum), y);
        else TensorPrimitives.Divide(y, sum, y);
    }

    private static void Block(ReadOnlySpan<float> x, Span<float> y, int n, int inner, float[] m, float[] s, bool log)
    {
        if (n == 0) return;
        x.Slice(0, inner).CopyTo(m);
        for (int r = 1; r < n; r++) TensorPrimitives.Max(m, x.Slice(r * inner, inner), m);
        Array.Clear(s);
        for (int r = 0; r < n; r++)
        {
            var yr = y.Slice(r * inner, inner);
            TensorPrimitives.Subtract(x.Slice(r * inner, inner), m, yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Add(s, yr, s);
        }
        if (log)
        {
            TensorPrimitives.Log(s, s);
            TensorPrimitives.Add(s, m, s);   // logsumexp per column
            for (int r = 0; r < n; r++) TensorPrimitives.Subtract(x.Slice(r * inner, inner), s, y.Slice(r * inner, inner));
        }
        else
            for (int r = 0; r < n; r++) { var yr = y.Slice(r * inner, inner); TensorPrimitives.Divide(yr, s, yr); }
    }

    /// <summary>
    /// Backward from the saved output y: softmax gx = y ⊙ (g − Σ g⊙y); log_softmax gx = g − e^y · Σ g.
    /// </summary>
    public static void Backward(float[] g, int gOff, float[] y, int yOff, float[] gx, int outer, int n, int inner, bool log)
    {
        int chunks = SpanMath.Chunks(outer, (long)outer * n * inner);
        Parallelism.For(chunks, ch =>
        {
            var (o0, o1) = SpanMath.Range(ch, chunks, outer);
            float[]? s = inner > 1 ? new float[inner] : null;
            for (int o = o0; o < o1; o++)
            {
                int b = o * n * inner, len = n * inner;
                var gg = g.AsSpan(gOff + b, len); var yy = y.AsSpan(yOff + b, len); var dd = gx.AsSpan(b, len);
                if (inner == 1)
                {
                    if (log)
                    {
                        float sum = TensorPrimitives.Sum(gg);
                        TensorPrimitives.Exp(yy, dd);
                        TensorPrimitives.MultiplyAdd(dd, -sum, gg, dd);
                    }
                    else
                    {
                        float dot = TensorPrimitives.Dot(gg, yy);
                        TensorPrimitives.Subtract(gg, dot, dd);
                        TensorPrimitives.Multiply(dd, yy, dd);
                    }
                    continue;
                }
                Array.Clear(s!);
                for (int r = 0; r < n; r++)
                {
                    var gr = gg.Slice(r * inner, inner);
                    if (log) TensorPrimitives.Add(s, gr, s);
                    else TensorPrimitives.MultiplyAdd(gr, yy.Slice(r * inner, inner), s, s);
                }
                for (int r = 0; r < n; r++)
                {
                    var gr = gg.Slice(r * inner, inner); var yr = yy.Slice(r * inner, inner); var dr = dd.Slice(r * inner, inner);
                    if (log)
                    {
                        TensorPrimitives.Exp(yr, dr);
                        TensorPrimitives.Multiply(dr, s, dr);
                        TensorPrimitives.Subtract(gr, dr, dr);
                    }
                    else
                    {
                        TensorPrimitives.Subtract(gr, s, dr);
                        TensorPrimitives.Multiply(dr, yr, dr);
                    }
                }
            }
        });
    }
}
