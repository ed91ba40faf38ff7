namespace ResearchKit.Tensors.Kernels;

/// <summary>A binary elementwise rule on Int64 operands producing <typeparamref name="TOut"/> (long for arithmetic, float for 0/1 masks).</summary>
/// <remarks>Arithmetic wraps on overflow (two's complement), as PyTorch's int64 kernels do.</remarks>
internal interface ILongOp<TOut>
{
    static abstract TOut Invoke(long x, long y);
}

internal readonly struct LAdd : ILongOp<long> { public static long Invoke(long x, long y) => unchecked(x + y); }
internal readonly struct LSub : ILongOp<long> { public static long Invoke(long x, long y) => unchecked(x - y); }
internal readonly struct LMul : ILongOp<long> { public static long Invoke(long x, long y) => unchecked(x * y); }
internal readonly struct LMax : ILongOp<long> { public static long Invoke(long x, long y) => Math.Max(x, y); }
internal readonly struct LMin : ILongOp<long> { public static long Invoke(long x, long y) => Math.Min(x, y); }

/// <summary>Integer power by squaring (wraps on overflow); negative exponents are rejected as in PyTorch.</summary>
internal readonly struct LPow : ILongOp<long>
{
    public static long Invoke(long x, long y)
    {
        if (y < 0)
        {
            // torch allows these two bases (the result is still an integer) and rejects the rest.
            if (x == 1) return 1;
            if (x == -1) return (y & 1) == 0 ? 1 : -1;
            throw new ArgumentException($"pow: integers to negative integer powers are not allowed ({x} ** {y}); convert with .Float() first.");
        }
        long r = 1;
        unchecked
        {
            while (y != 0)
            {
                if ((y & 1) != 0) r *= x;
                x *= x;
                y >>= 1;
            }
        }
        return r;
    }
}

/// <summary><c>floor(x / y)</c> on integers (<c>torch.floor_divide</c>): rounds toward −∞.</summary>
internal readonly struct LFloorDiv : ILongOp<long>
{
    public static long Invoke(long x, long y)
    {
        if (y == 0) throw new DivideByZeroException("FloorDivide: integer division by zero (torch raises ZeroDivisionError); convert with .Float() to get ±inf/NaN.");
        if (y == -1) return unchecked(-x); // long.MinValue / -1 traps in .NET; two's complement wraps to MinValue.
        long q = x / y;
        return (x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q;
    }
}

/// <summary><c>x - floor(x / y)·y</c> on integers (<c>torch.remainder</c>): the result has the divisor's sign.</summary>
internal readonly struct LRemainder : ILongOp<long>
{
    public static long Invoke(long x, long y)
    {
        if (y == 0) throw new DivideByZeroException("Remainder: integer division by zero (torch raises ZeroDivisionError); convert with .Float() to get NaN.");
        if (y == -1) return 0; // avoids the long.MinValue % -1 trap
        long r = x % y;
        return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
    }
}

internal readonly struct LEq : ILongOp<float> { public static float Invoke(long x, long y) => x == y ? 1f : 0f; }
internal readonly struct LNe : ILongOp<float> { public static float Invoke(long x, long y) => x != y ? 1f : 0f; }
internal readonly struct LLt : ILongOp<float> { public static float Invoke(long x, long y) => x < y ? 1f : 0f; }
internal readonly struct LLe : ILongOp<float> { public static float Invoke(long x, long y) => x <= y ? 1f : 0f; }
internal readonly struct LGt : ILongOp<float> { public static float Invoke(long x, long y) => x > y ? 1f : 0f; }
internal readonly struct LGe : ILongOp<float> { public static float Invoke(long x, long y) => x >= y ? 1f : 0f; }

/// <summary>Float <c>floor_divide</c> and <c>remainder</c> with PyTorch's rounding rules (computed through <c>fmod</c>).</summary>
internal static class FloatFloorOps
{
    /// <summary>PyTorch's <c>div_floor_floating</c>: exact for representable quotients, ±inf/NaN when dividing by zero.</summary>
    public static float FloorDivide(float a, float b)
    {
        if (b == 0) return a / b;
        float mod = a % b; // C# % on floats is C's fmod
        float div = (a - mod) / b;
        if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
        if (div == 0) return MathF.CopySign(0f, a / b);
        float fl = MathF.Floor(div);
        return div - fl > 0.5f ? fl + 1 : fl;
    }

    /// <summary>PyTorch's float remainder: <c>fmod</c> shifted by the divisor when the signs differ.</summary>
    public static float Remainder(float a, float b)
    {
        float mod = a % b;
        return mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod;
    }
}

/// <summary>Broadcasting driver for <see cref="ILongOp{TOut}"/>s over strided Int64 inputs (integer ops are not hot: one simple loop).</summary>
internal static class LongBinaryDriver
{
    /// <summary>
    /// <c>dst = op(x, y)</c> where x and y are strided views already broadcast to <paramref name="shape"/>
    /// (stride 0 on broadcast dims) and dst is dense row-major.
    /// </summary>
    public static void Run<TOp, TOut>(int[] shape, long[] x, int xOff, int[] xs, long[] y, int yOff, int[] ys, Span<TOut> dst)
        where TOp : struct, ILongOp<TOut>
    {
        int rank = shape.Length, n = dst.Length;
        if (n == 0) return;
        if (rank == 0) { dst[0] = TOp.Invoke(x[xOff], y[yOff]); return; }
        Span<int> idx = stackalloc int[rank];
        idx.Clear();
        int inner = shape[rank - 1], ix = xs[rank - 1], iy = ys[rank - 1];
        int ox = xOff, oy = yOff;
        for (int d = 0; d < n; d += inner)
        {
            for (int j = 0; j < inner; j++) dst[d + j] = TOp.Invoke(x[ox + j * ix], y[oy + j * iy]);
            for (int k = rank - 2; k >= 0; k--)
            {
                idx[k]++; ox += xs[k]; oy += ys[k];
                if (idx[k] < shape[k]) break;
                ox -= xs[k] * shape[k]; oy -= ys[k] * shape[k]; idx[k] = 0;
            }
        }
    }
}
