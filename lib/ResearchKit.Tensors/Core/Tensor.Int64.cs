using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── exact Int64 arithmetic ─────────────────────────────
    // Labels, indices, counts and hashes need exact integers: a float32 round trip turns 16_777_217 into 16_777_216.
    // Ops whose operands are both Int64 compute in long here; mixed Int64/Float32 promotes to Float32, as in PyTorch.

    /// <summary>
    /// The exact Int64 form of a broadcasting binary op when both operands are Int64, or null when the op has no integer
    /// rule (true division promotes to Float32, as <c>torch.div</c> does).
    /// </summary>
    private static Tensor? BinaryInt64<TOp>(Tensor a, Tensor b, string op) where TOp : struct, IBinaryOp
    {
        // typeof tests on a struct type argument are folded by the JIT: each instantiation keeps one branch.
        if (typeof(TOp) == typeof(AddOp)) return LongBinary<LAdd, long>(a, b, op);
        if (typeof(TOp) == typeof(SubOp)) return LongBinary<LSub, long>(a, b, op);
        if (typeof(TOp) == typeof(MulOp)) return LongBinary<LMul, long>(a, b, op);
        if (typeof(TOp) == typeof(MaxOp)) return LongBinary<LMax, long>(a, b, op);
        if (typeof(TOp) == typeof(MinOp)) return LongBinary<LMin, long>(a, b, op);
        if (typeof(TOp) == typeof(PowOp)) return LongBinary<LPow, long>(a, b, op);
        if (typeof(TOp) == typeof(CompareOp<EqC>)) return LongBinary<LEq, float>(a, b, op);
        if (typeof(TOp) == typeof(CompareOp<NeC>)) return LongBinary<LNe, float>(a, b, op);
        if (typeof(TOp) == typeof(CompareOp<LtC>)) return LongBinary<LLt, float>(a, b, op);
        if (typeof(TOp) == typeof(CompareOp<LeC>)) return LongBinary<LLe, float>(a, b, op);
        if (typeof(TOp) == typeof(CompareOp<GtC>)) return LongBinary<LGt, float>(a, b, op);
        if (typeof(TOp) == typeof(CompareOp<GeC>)) return LongBinary<LGe, float>(a, b, op);
        return null;
    }

    /// <summary>Runs an Int64 op with broadcasting into a new Int64 (<c>TOut = long</c>) or Float32 mask (<c>TOut = float</c>) tensor.</summary>
    private static Tensor LongBinary<TOp, TOut>(Tensor a, Tensor b, string op) where TOp : struct, ILongOp<TOut>
    {
        int[] shape = ShapeUtil.SameShape(a._shape, b._shape) ? (int[])a._shape.Clone() : ShapeUtil.Broadcast(a._shape, b._shape, op);
        var d = new TOut[ShapeUtil.Numel(shape)];
        LongBinaryDriver.Run<TOp, TOut>(shape, a._l!, a._offset, ShapeUtil.BroadcastStrides(a._shape, a._strides, shape),
            b._l!, b._offset, ShapeUtil.BroadcastStrides(b._shape, b._strides, shape), d);
        return d is long[] l ? new Tensor(l, shape) : new Tensor((float[])(object)d, shape);
    }

    /// <summary>A zero-dimensional Int64 tensor holding <paramref name="value"/> (<c>torch.tensor(value)</c> for a Python int).</summary>
    public static Tensor Scalar(long value) => new([value], []);

    /// <summary>Adds an integer scalar: Int64 stays Int64 (exact), Float32 stays Float32.</summary>
    public static Tensor operator +(Tensor a, long b) => a + Scalar(b);
    /// <summary>Adds an integer scalar.</summary>
    public static Tensor operator +(long a, Tensor b) => Scalar(a) + b;
    /// <summary>Subtracts an integer scalar.</summary>
    public static Tensor operator -(Tensor a, long b) => a - Scalar(b);
    /// <summary>Subtracts from an integer scalar.</summary>
    public static Tensor operator -(long a, Tensor b) => Scalar(a) - b;
    /// <summary>Multiplies by an integer scalar.</summary>
    public static Tensor operator *(Tensor a, long b) => a * Scalar(b);
    /// <summary>Multiplies by an integer scalar.</summary>
    public static Tensor operator *(long a, Tensor b) => Scalar(a) * b;
    /// <summary>True division by an integer scalar (always Float32, like <c>torch.div</c>; see <see cref="FloorDivide(Tensor)"/>).</summary>
    public static Tensor operator /(Tensor a, long b) => a / Scalar(b);
    /// <summary>True division of an integer scalar (always Float32).</summary>
    public static Tensor operator /(long a, Tensor b) => Scalar(a) / b;

    /// <summary>Exact comparison with an integer scalar (a Float32 0/1 mask, like the tensor forms).</summary>
    public Tensor Eq(long v) => Eq(Scalar(v));
    /// <summary>Exact comparison with an integer scalar.</summary>
    public Tensor Ne(long v) => Ne(Scalar(v));
    /// <summary>Exact comparison with an integer scalar.</summary>
    public Tensor Lt(long v) => Lt(Scalar(v));
    /// <summary>Exact comparison with an integer scalar.</summary>
    public Tensor Le(long v) => Le(Scalar(v));
    /// <summary>Exact comparison with an integer scalar.</summary>
    public Tensor Gt(long v) => Gt(Scalar(v));
    /// <summary>Exact comparison with an integer scalar.</summary>
    public Tensor Ge(long v) => Ge(Scalar(v));

    // ───────────────────────────── floor division and remainder ─────────────────────────────

    /// <summary>
    /// <c>floor(this / other)</c> with broadcasting (<c>torch.floor_divide</c>): rounds toward −∞, so <c>-7 // 2 = -4</c>.
    /// Int64 with Int64 stays Int64 (overflow wraps); otherwise Float32. Not differentiable (the result records no gradient).
    /// </summary>
    /// <exception cref="DivideByZeroException">An Int64 divisor is zero (PyTorch raises ZeroDivisionError).</exception>
    public Tensor FloorDivide(Tensor other) =>
        _l is not null && other._l is not null ? LongBinary<LFloorDiv, long>(this, other, "floor_divide") : FloatBinary(this, other, "floor_divide", FloatFloorOps.FloorDivide);

    /// <summary>Floor division by an integer scalar (Int64 stays Int64).</summary>
    public Tensor FloorDivide(long other) => FloorDivide(Scalar(other));

    /// <summary>Floor division by a float scalar (always Float32).</summary>
    public Tensor FloorDivide(float other) => FloorDivide(Scalar(other));

    /// <summary>
    /// <c>this - floor(this / other) · other</c> with broadcasting (<c>torch.remainder</c>, Python's <c>%</c>): the result takes
    /// the divisor's sign, so <c>-7 % 2 = 1</c> and <c>7 % -2 = -1</c>. Int64 with Int64 stays Int64. Float32 is differentiable:
    /// the gradient is g for this and <c>-g · floor(this / other)</c> for other.
    /// </summary>
    /// <exception cref="DivideByZeroException">An Int64 divisor is zero (PyTorch raises ZeroDivisionError).</exception>
    public Tensor Remainder(Tensor other)
    {
        if (_l is not null && other._l is not null) return LongBinary<LRemainder, long>(this, other, "remainder");
        var a = this;
        var y = FloatBinary(a, other, "remainder", FloatFloorOps.Remainder);
        return Record(y, "remainder", a, other, g =>
            (Needs(a) ? g.SumToShape(a._shape) : null,
             Needs(other) ? (-g * a.FloorDivide(other)).SumToShape(other._shape) : null));
    }

    /// <summary>Remainder by an integer scalar (Int64 stays Int64).</summary>
    public Tensor Remainder(long other) => Remainder(Scalar(other));

    /// <summary>Remainder by a float scalar (always Float32).</summary>
    public Tensor Remainder(float other) => Remainder(Scalar(other));

    /// <summary>A scalar float rule applied with broadcasting after promoting both operands to Float32 (no autograd).</summary>
    private static Tensor FloatBinary(Tensor a, Tensor b, string op, Func<float, float, float> f)
    {
        var shape = ShapeUtil.Broadcast(a._shape, b._shape, op);
        var x = a.Float().Expand(shape).ReadSpan();
        var y = b.Float().Expand(shape).ReadSpan();
        var r = Empty(shape);
        var d = r._f!;
        for (int i = 0; i < d.Length; i++) d[i] = f(x[i], y[i]);
        return r;
    }

    // ───────────────────────────── unary and select ─────────────────────────────

    /// <summary>Exact elementwise rule on an Int64 tensor (negation wraps: <c>-long.MinValue == long.MinValue</c>).</summary>
    private Tensor MapInt64(Func<long, long> f)
    {
        var src = ReadInt64Span();
        var d = new long[src.Length];
        for (int i = 0; i < d.Length; i++) d[i] = f(src[i]);
        return new Tensor(d, (int[])_shape.Clone());
    }

    private Tensor NegInt64() => MapInt64(static v => unchecked(-v));

    // Math.Abs throws on long.MinValue; PyTorch wraps it to itself.
    private Tensor AbsInt64() => MapInt64(static v => v < 0 ? unchecked(-v) : v);

    /// <summary><c>torch.where</c> on two Int64 operands: an exact Int64 select (the float path multiplies by the mask).</summary>
    private static Tensor WhereInt64(Tensor condition, Tensor a, Tensor b)
    {
        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition._shape, a._shape, "where"), b._shape, "where");
        var c = condition.Ne(0L).Expand(shape).ReadSpan();
        var x = a.Expand(shape).ReadInt64Span();
        var y = b.Expand(shape).ReadInt64Span();
        var d = new long[c.Length];
        for (int i = 0; i < d.Length; i++) d[i] = c[i] != 0 ? x[i] : y[i];
        return new Tensor(d, shape);
    }

    /// <summary>
    /// Replaces elements where <paramref name="mask"/> is non-zero with an integer <paramref name="value"/>: an Int64 tensor
    /// stays Int64 (exact), a Float32 tensor stays Float32.
    /// </summary>
    public Tensor MaskedFill(Tensor mask, long value) => Where(mask, _l is not null ? Scalar(value) : Scalar((float)value), this);

    // ───────────────────────────── reductions ─────────────────────────────

    /// <summary>Exact Int64 sum over the dims in <paramref name="mask"/> (wraps on overflow, like PyTorch).</summary>
    private Tensor SumInt64(bool[] mask, bool keepDim)
    {
        var order = new List<int>(_shape.Length);
        int outer = 1, red = 1;
        for (int i = 0; i < _shape.Length; i++) if (!mask[i]) { order.Add(i); outer *= _shape[i]; }
        for (int i = 0; i < _shape.Length; i++) if (mask[i]) { order.Add(i); red *= _shape[i]; }
        // Kept dims first, reduced dims last: each output is then a sum over one dense run.
        var src = AliasRaw().Permute(order.ToArray()).ReadInt64Span();
        var d = new long[outer];
        for (int o = 0; o < outer; o++)
        {
            long s = 0;
            var run = src.Slice(o * red, red);
            for (int r = 0; r < run.Length; r++) s = unchecked(s + run[r]);
            d[o] = s;
        }
        return new Tensor(d, KeptShape(mask, keepDim));
    }

    private static InvalidOperationException MeanOfInt64(string op, Tensor t) =>
        new($"{op}: could not infer output dtype. Input dtype must be a floating point dtype, got Int64 of shape {t.Shape} (torch raises the same); call .Float() first.");

    /// <summary>Max or min of all elements of an Int64 tensor, as an exact Int64 scalar.</summary>
    private Tensor GlobalExtremumInt64(bool max)
    {
        var x = ReadInt64Span();
        if (x.Length == 0) throw new InvalidOperationException($"{(max ? "Max" : "Min")}: the tensor is empty; specify a dimension or check the input.");
        long v = x[0];
        foreach (long e in x) v = max ? Math.Max(v, e) : Math.Min(v, e);
        return Scalar(v);
    }

    /// <summary>Values and first indices of the max or min along the middle of the (outer, red, inner) view of an Int64 tensor.</summary>
    private (Tensor Values, Tensor Indices) ExtremumInt64(int outer, int red, int inner, int[] outShape, bool max)
    {
        var src = ReadInt64Span();
        var vals = new long[outer * inner];
        var idx = new long[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int baseOff = o * red * inner + i;
                long best = src[baseOff]; int bi = 0;
                for (int r = 1; r < red; r++)
                {
                    long v = src[baseOff + r * inner];
                    if (max ? v > best : v < best) { best = v; bi = r; }
                }
                vals[o * inner + i] = best; idx[o * inner + i] = bi;
            }
        return (new Tensor(vals, outShape), new Tensor(idx, (int[])outShape.Clone()));
    }

    // ───────────────────────────── typed accessors ─────────────────────────────

    /// <summary>The exact value of a one-element Int64 tensor (<c>tensor.item()</c> for <c>torch.long</c>).</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than one element, or is Float32 (call <c>.Long()</c> to truncate deliberately).</exception>
    public long ItemInt64()
    {
        if (_numel != 1) throw new InvalidOperationException($"ItemInt64: only one-element tensors can be converted to a scalar, this one has shape {Shape}.");
        return _l is not null ? _l[_offset] : throw new InvalidOperationException($"ItemInt64: the tensor is Float32; use Item(), or .Long().ItemInt64() to truncate toward zero.");
    }

    /// <summary>The exact Int64 element at a full index (negative indices count from the end); the Int64 counterpart of the indexer.</summary>
    /// <exception cref="InvalidOperationException">The tensor is Float32.</exception>
    public long Int64At(params int[] index)
    {
        int off = ElementOffset(index);
        return _l is not null ? _l[off] : throw new InvalidOperationException("Int64At: the tensor is Float32; use the indexer this[...] instead.");
    }

    /// <summary>An Int64 element as float, refusing silent rounding (|v| above 2^24 is not always representable).</summary>
    private static float ExactFloat(long v, string op)
    {
        float f = v;
        // 2^63 is checked first: the conversion back would saturate to long.MaxValue and look exact.
        if (f < 9.223372036854775808E18f && (long)f == v) return f;
        throw new InvalidOperationException($"{op}: the Int64 value {v} is not exactly representable as float32; use ItemInt64()/Int64At(...) for the exact value, or .Float() to round deliberately.");
    }
}
