using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Kernels;

/// <summary>A binary elementwise operator: a scalar rule and span forms for the three broadcasting patterns.</summary>
/// <remarks>Static abstract members let the generic driver specialize per operator: no virtual call per element.</remarks>
internal interface IBinaryOp
{
    static abstract float Invoke(float x, float y);
    static abstract void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d);
    static abstract void Invoke(ReadOnlySpan<float> x, float y, Span<float> d);
    static abstract void Invoke(float x, ReadOnlySpan<float> y, Span<float> d);
}

/// <summary><c>x + y</c>.</summary>
internal readonly struct AddOp : IBinaryOp
{
    public static float Invoke(float x, float y) => x + y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Add(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(y, x, d);
}

/// <summary><c>x - y</c>.</summary>
internal readonly struct SubOp : IBinaryOp
{
    public static float Invoke(float x, float y) => x - y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
}

/// <summary><c>x · y</c>.</summary>
internal readonly struct MulOp : IBinaryOp
{
    public static float Invoke(float x, float y) => x * y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(y, x, d);
}

/// <summary><c>x / y</c> (IEEE: division by zero gives ±inf or NaN, as in PyTorch).</summary>
internal readonly struct DivOp : IBinaryOp
{
    public static float Invoke(float x, float y) => x / y;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
}

/// <summary><c>x ^ y</c>.</summary>
internal readonly struct PowOp : IBinaryOp
{
    public static float Invoke(float x, float y) => MathF.Pow(x, y);
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
}

/// <summary><c>max(x, y)</c>, NaN-propagating like <c>torch.maximum</c>.</summary>
internal readonly struct MaxOp : IBinaryOp
{
    public static float Invoke(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : Math.Max(x, y);
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Max(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(y, x, d);
}

/// <summary><c>min(x, y)</c>, NaN-propagating like <c>torch.minimum</c>.</summary>
internal readonly struct MinOp : IBinaryOp
{
    public static float Invoke(float x, float y) => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : Math.Min(x, y);
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(x, y, d);
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Min(x, y, d);
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(y, x, d);
}

/// <summary>Comparison producing 1 or 0; the span forms fall back to scalar loops (comparisons are never hot).</summary>
internal interface ICompare { static abstract bool Test(float x, float y); }

internal readonly struct CompareOp<TC> : IBinaryOp where TC : struct, ICompare
{
    public static float Invoke(float x, float y) => TC.Test(x, y) ? 1f : 0f;
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = TC.Test(x[i], y[i]) ? 1f : 0f; }
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = TC.Test(x[i], y) ? 1f : 0f; }
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = TC.Test(x, y[i]) ? 1f : 0f; }
}

internal readonly struct EqC : ICompare { public static bool Test(float x, float y) => x == y; }
internal readonly struct NeC : ICompare { public static bool Test(float x, float y) => x != y; }
internal readonly struct LtC : ICompare { public static bool Test(float x, float y) => x < y; }
internal readonly struct LeC : ICompare { public static bool Test(float x, float y) => x <= y; }
internal readonly struct GtC : ICompare { public static bool Test(float x, float y) => x > y; }
internal readonly struct GeC : ICompare { public static bool Test(float x, float y) => x >= y; }

/// <summary>Broadcasting driver for <see cref="IBinaryOp"/>s over strided inputs.</summary>
internal static class BinaryDriver
{
    /// <summary>
    /// Computes <c>dst = op(x, y)</c> where x and y are strided views already broadcast to <paramref name="shape"/>
    /// (stride 0 on broadcast dims) and dst is dense. Dimensions are coalesced so the inner loop is a long span.
    /// </summary>
    public static void Run<TOp>(int[] shape, float[] x, int xOff, int[] xs, float[] y, int yOff, int[] ys, Span<float> dst)
        where TOp : struct, IBinaryOp
    {
        int rank = shape.Length;
        if (rank == 0) { dst[0] = TOp.Invoke(x[xOff], y[yOff]); return; }
        Span<int> sh = stackalloc int[rank], sx = stackalloc int[rank], sy = stackalloc int[rank];
        int r = 0;
        for (int i = 0; i < rank; i++)
        {
            if (shape[i] == 1) continue;
            if (r > 0 && sx[r - 1] == xs[i] * shape[i] && sy[r - 1] == ys[i] * shape[i])
            {
                sh[r - 1] *= shape[i]; sx[r - 1] = xs[i]; sy[r - 1] = ys[i];
            }
            else { sh[r] = shape[i]; sx[r] = xs[i]; sy[r] = ys[i]; r++; }
        }
        if (r == 0) { if (dst.Length > 0) dst[0] = TOp.Invoke(x[xOff], y[yOff]); return; }
        int inner = sh[r - 1], ix = sx[r - 1], iy = sy[r - 1];
        int outer = dst.Length / inner;
        Span<int> idx = stackalloc int[r];
        idx.Clear();
        int ox = xOff, oy = yOff, d = 0;
        for (int o = 0; o < outer; o++)
        {
            var dd = dst.Slice(d, inner);
            if (ix == 1 && iy == 1) TOp.Invoke(x.AsSpan(ox, inner), y.AsSpan(oy, inner), dd);
            else if (ix == 1 && iy == 0) TOp.Invoke(x.AsSpan(ox, inner), y[oy], dd);
            else if (ix == 0 && iy == 1) TOp.Invoke(x[ox], y.AsSpan(oy, inner), dd);
            else for (int j = 0; j < inner; j++) dd[j] = TOp.Invoke(x[ox + j * ix], y[oy + j * iy]);
            d += inner;
            for (int k = r - 2; k >= 0; k--)
            {
                idx[k]++; ox += sx[k]; oy += sy[k];
                if (idx[k] < sh[k]) break;
                ox -= sx[k] * sh[k]; oy -= sy[k] * sh[k]; idx[k] = 0;
            }
        }
    }
}
