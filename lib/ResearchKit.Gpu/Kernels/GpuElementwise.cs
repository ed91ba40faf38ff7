using ILGPU;
using ILGPU.Runtime;
using ResearchKit.Tensors.Devices;

namespace ResearchKit.Gpu.Kernels;

/// <summary>
/// Element-wise ops with PyTorch broadcasting on a <see cref="GpuDevice"/>: the output is contiguous (row-major) with the
/// broadcast shape, each input is read through its own strides over that shape (stride 0 along a broadcast dimension) and
/// offset, so views (transposes, slices, expands) need no copy. Up to <see cref="MaxRank"/> dimensions.
/// </summary>
public static class GpuElementwise
{
    /// <summary>Most dimensions an element-wise op takes.</summary>
    public const int MaxRank = 6;

    /// <summary>Sizes or strides of up to six dimensions, innermost last (an unmanaged struct, as kernel parameters must be).</summary>
    internal readonly record struct Dims(long D0, long D1, long D2, long D3, long D4, long D5)
    {
        public long this[int i] => i switch { 0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, _ => D5 };

        // Left-padded to six dimensions with the given filler (size 1, stride 0).
        public static Dims From(ReadOnlySpan<long> v, long filler)
        {
            Span<long> d = stackalloc long[MaxRank];
            d.Fill(filler);
            v.CopyTo(d[(MaxRank - v.Length)..]);
            return new Dims(d[0], d[1], d[2], d[3], d[4], d[5]);
        }
    }

    /// <summary><paramref name="output"/>[i] = a[i] ⊕ b[i] over <paramref name="shape"/> (see the class remarks).</summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxRank"/> dimensions, a negative size, stride lists of another
    /// rank than the shape, an input view too short for its strides, or an output shorter than the shape.</exception>
    public static void Binary(GpuDevice device, DeviceBinaryOp op, ReadOnlySpan<int> shape,
        ArrayView<float> a, ReadOnlySpan<long> aStrides, long aOffset, ArrayView<float> b, ReadOnlySpan<long> bStrides, long bOffset,
        ArrayView<float> output)
    {
        ArgumentNullException.ThrowIfNull(device);
        long n = CheckShape("Binary", shape, output.Length);
        CheckInput("Binary", "a", shape, aStrides, aOffset, a.Length);
        CheckInput("Binary", "b", shape, bStrides, bOffset, b.Length);
        if (n == 0) return;
        var kernel = device.Kernel("elementwise-binary", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, BinaryArgs>(BinaryKernel));
        kernel((int)n, a, b, output, new BinaryArgs(Sizes(shape), Dims.From(aStrides, 0), Dims.From(bStrides, 0), aOffset, bOffset, (int)op));
    }

    /// <summary><paramref name="output"/>[i] = f(x[i]) over <paramref name="shape"/>, x read through its strides and offset.</summary>
    /// <exception cref="ArgumentException">As <see cref="Binary"/>.</exception>
    public static void Unary(GpuDevice device, DeviceUnaryOp op, ReadOnlySpan<int> shape, ArrayView<float> x, ReadOnlySpan<long> strides, long offset,
        ArrayView<float> output)
    {
        ArgumentNullException.ThrowIfNull(device);
        long n = CheckShape("Unary", shape, output.Length);
        CheckInput("Unary", "x", shape, strides, offset, x.Length);
        if (n == 0) return;
        var kernel = device.Kernel("elementwise-unary", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, UnaryArgs>(UnaryKernel));
        kernel((int)n, x, output, new UnaryArgs(Sizes(shape), Dims.From(strides, 0), offset, (int)op));
    }

    /// <summary>
    /// Strided copy: dst[dstOffset + Σ i_d·dstStrides_d] = src[srcOffset + Σ i_d·srcStrides_d] over <paramref name="shape"/> (a view
    /// made contiguous, a slice written into a larger tensor, a channel-padded shortcut). Destination positions must not repeat.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Binary"/>, or a destination stride of 0 along a dimension longer than 1.</exception>
    public static void Copy(GpuDevice device, ReadOnlySpan<int> shape, ArrayView<float> src, ReadOnlySpan<long> srcStrides, long srcOffset,
        ArrayView<float> dst, ReadOnlySpan<long> dstStrides, long dstOffset)
    {
        ArgumentNullException.ThrowIfNull(device);
        long n = CheckShape("Copy", shape, long.MaxValue);
        CheckInput("Copy", "src", shape, srcStrides, srcOffset, src.Length);
        CheckInput("Copy", "dst", shape, dstStrides, dstOffset, dst.Length);
        for (int i = 0; i < shape.Length; i++)
            if (dstStrides[i] == 0 && shape[i] > 1)
                throw new ArgumentException("GpuElementwise.Copy: a destination stride of 0 would write one element several times.");
        if (n == 0) return;
        var kernel = device.Kernel("elementwise-copy", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, CopyArgs>(CopyKernel));
        kernel((int)n, src, dst, new CopyArgs(Sizes(shape), Dims.From(srcStrides, 0), Dims.From(dstStrides, 0), srcOffset, dstOffset));
    }

    /// <summary>output[i] = <paramref name="value"/> for every element of <paramref name="output"/>.</summary>
    public static void Fill(GpuDevice device, ArrayView<float> output, float value)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (output.Length > int.MaxValue) throw new ArgumentException($"GpuElementwise.Fill: {output.Length} elements; at most {int.MaxValue} per launch.");
        if (output.Length == 0) return;
        var kernel = device.Kernel("elementwise-fill", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(FillKernel));
        kernel((int)output.Length, output, value);
    }

    private static void FillKernel(Index1D i, ArrayView<float> output, float value) => output[i] = value;

    internal readonly record struct CopyArgs(Dims Shape, Dims Src, Dims Dst, long SrcOffset, long DstOffset);

    private static void CopyKernel(Index1D i, ArrayView<float> src, ArrayView<float> dst, CopyArgs p) =>
        dst[Position(i, p.Shape, p.Dst, p.DstOffset)] = src[Position(i, p.Shape, p.Src, p.SrcOffset)];

    /// <summary>Row-major strides of a contiguous tensor of <paramref name="shape"/> (1 for the innermost dimension).</summary>
    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    internal readonly record struct BinaryArgs(Dims Shape, Dims A, Dims B, long AOffset, long BOffset, int Op);
    internal readonly record struct UnaryArgs(Dims Shape, Dims X, long Offset, int Op);

    private static Dims Sizes(ReadOnlySpan<int> shape)
    {
        Span<long> s = stackalloc long[shape.Length];
        for (int i = 0; i < shape.Length; i++) s[i] = shape[i];
        return Dims.From(s, 1);
    }

    private static long CheckShape(string op, ReadOnlySpan<int> shape, long outputLength)
    {
        if (shape.Length > MaxRank)
            throw new ArgumentException($"GpuElementwise.{op}: {shape.Length} dimensions; at most {MaxRank} (merge contiguous dimensions first).");
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"GpuElementwise.{op}: negative size in shape [{string.Join(", ", shape.ToArray())}].");
            n *= d;
        }
        if (n > int.MaxValue) throw new ArgumentException($"GpuElementwise.{op}: {n} elements; at most {int.MaxValue} per launch.");
        if (outputLength < n) throw new ArgumentException($"GpuElementwise.{op}: the output has {outputLength} elements; the shape needs {n}.");
        return n;
    }

    private static void CheckInput(string op, string name, ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, long offset, long length)
    {
        if (strides.Length != shape.Length)
            throw new ArgumentException($"GpuElementwise.{op}: {name} has {strides.Length} strides for a shape of {shape.Length} dimensions (use stride 0 to broadcast).");
        long last = offset;
        for (int i = 0; i < shape.Length; i++)
        {
            if (strides[i] < 0) throw new ArgumentException($"GpuElementwise.{op}: {name} has a negative stride.");
            if (shape[i] > 0) last += (shape[i] - 1) * strides[i];
        }
        if (offset < 0 || (shape.ToArray().All(d => d > 0) && last >= length))
            throw new ArgumentException($"GpuElementwise.{op}: {name} has {length} elements; offset {offset} and strides [{string.Join(", ", strides.ToArray())}] reach element {last}.");
    }

    // The input positions of output element i: i decomposed into coordinates over the (six-dimensional) shape.
    private static long Position(long i, Dims shape, Dims strides, long offset)
    {
        long pos = offset;
        for (int d = MaxRank - 1; d >= 0; d--)
        {
            long size = shape[d];
            pos += i % size * strides[d];
            i /= size;
        }
        return pos;
    }

    private static void BinaryKernel(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, BinaryArgs p)
    {
        float x = a[Position(i, p.Shape, p.A, p.AOffset)], y = b[Position(i, p.Shape, p.B, p.BOffset)];
        output[i] = Apply(p.Op, x, y);
    }

    // The op codes are DeviceBinaryOp's values.
    private static float Apply(int op, float x, float y) => op switch
    {
        0 => x + y,
        1 => x - y,
        2 => x * y,
        3 => x / y,
        4 => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : MathF.Max(x, y),
        5 => float.IsNaN(x) || float.IsNaN(y) ? float.NaN : MathF.Min(x, y),
        6 => y > 0f ? x : 0f,
        7 => x == y ? 1f : 0f,
        8 => x != y ? 1f : 0f,
        9 => x < y ? 1f : 0f,
        10 => x <= y ? 1f : 0f,
        11 => x > y ? 1f : 0f,
        12 => x >= y ? 1f : 0f,
        _ => DeviceMath.Pow(x, y),
    };

    private static void UnaryKernel(Index1D i, ArrayView<float> x, ArrayView<float> output, UnaryArgs p) =>
        output[i] = Apply(p.Op, x[Position(i, p.Shape, p.X, p.Offset)]);

    // The op codes are DeviceUnaryOp's values.
    private static float Apply(int op, float v) => op switch
    {
        0 => -v,
        1 => v > 0f || float.IsNaN(v) ? v : 0f,
        2 => DeviceMath.Exp(v),
        3 => DeviceMath.Log(v),
        4 => DeviceMath.Sigmoid(v),
        5 => DeviceMath.Tanh(v),
        6 => MathF.Abs(v),
        7 => MathF.Sqrt(v),
        8 => v > 0f ? 1f : v < 0f ? -1f : v,
        9 => MathF.Floor(v),
        10 => MathF.Ceiling(v),
        11 => DeviceMath.RoundHalfEven(v),
        12 => DeviceMath.Truncate(v),
        13 => v * v,
        14 => 1f / v,
        15 => 1f / MathF.Sqrt(v),
        16 => DeviceMath.Sin(v),
        _ => DeviceMath.Cos(v),
    };

    /// <summary>
    /// output[i] = condition[i] ≠ 0 ? a[i] : b[i] over <paramref name="shape"/> (<c>torch.where</c>, exact: no 0·∞), each
    /// input read through its strides and offset.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Binary"/>.</exception>
    public static void Where(GpuDevice device, ReadOnlySpan<int> shape, ArrayView<float> condition, ReadOnlySpan<long> cStrides, long cOffset,
        ArrayView<float> a, ReadOnlySpan<long> aStrides, long aOffset, ArrayView<float> b, ReadOnlySpan<long> bStrides, long bOffset,
        ArrayView<float> output)
    {
        ArgumentNullException.ThrowIfNull(device);
        long n = CheckShape("Where", shape, output.Length);
        CheckInput("Where", "condition", shape, cStrides, cOffset, condition.Length);
        CheckInput("Where", "a", shape, aStrides, aOffset, a.Length);
        CheckInput("Where", "b", shape, bStrides, bOffset, b.Length);
        if (n == 0) return;
        var kernel = device.Kernel("elementwise-where", acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WhereArgs>(WhereKernel));
        kernel((int)n, condition, a, b, output, new WhereArgs(Sizes(shape), Dims.From(cStrides, 0), Dims.From(aStrides, 0), Dims.From(bStrides, 0), cOffset, aOffset, bOffset));
    }

    internal readonly record struct WhereArgs(Dims Shape, Dims C, Dims A, Dims B, long COffset, long AOffset, long BOffset);

    private static void WhereKernel(Index1D i, ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float> output, WhereArgs p) =>
        output[i] = c[Position(i, p.Shape, p.C, p.COffset)] != 0f ? a[Position(i, p.Shape, p.A, p.AOffset)] : b[Position(i, p.Shape, p.B, p.BOffset)];
}
