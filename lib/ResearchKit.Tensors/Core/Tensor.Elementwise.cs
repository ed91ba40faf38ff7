using System.Numerics.Tensors;
using ResearchKit.Tensors.Devices;
using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── broadcasting binary ops ─────────────────────────────

    /// <summary>Computes op(a, b) with broadcasting, without recording autograd.</summary>
    internal static Tensor BinaryRaw<TOp>(Tensor a, Tensor b, string op) where TOp : struct, IBinaryOp
    {
        if (a._dev is not null || b._dev is not null)
            return DeviceOpOf<TOp>() is DeviceBinaryOp dop ? DeviceBinary(a, b, dop, op) : throw NoKernelOnDevice(op, a._dev?.Device ?? b.Device);
        if (a._l is not null && b._l is not null && BinaryInt64<TOp>(a, b, op) is { } exact) return exact;
        a = a.Float(); b = b.Float();
        int[] shape = ShapeUtil.SameShape(a._shape, b._shape) ? a._shape : ShapeUtil.Broadcast(a._shape, b._shape, op);
        var r = Empty((int[])shape.Clone());
        var dst = r._f!.AsSpan(0, r._numel);
        float[] af = a._f!, bf = b._f!, rf = r._f!;
        int ao = a._offset, bo = b._offset;
        if (a.IsContiguous && b.IsContiguous && a._numel == r._numel && b._numel == r._numel)
            Parallelism.ForRanges(r._numel, ParallelGrain, (s, n) => TOp.Invoke(af.AsSpan(ao + s, n), bf.AsSpan(bo + s, n), rf.AsSpan(s, n)));
        else if (a.IsContiguous && a._numel == r._numel && b._numel == 1)
        {
            float bv = bf[bo];
            Parallelism.ForRanges(r._numel, ParallelGrain, (s, n) => TOp.Invoke(af.AsSpan(ao + s, n), bv, rf.AsSpan(s, n)));
        }
        else if (b.IsContiguous && b._numel == r._numel && a._numel == 1)
        {
            float av = af[ao];
            Parallelism.ForRanges(r._numel, ParallelGrain, (s, n) => TOp.Invoke(av, bf.AsSpan(bo + s, n), rf.AsSpan(s, n)));
        }
        else
            BinaryDriver.Run<TOp>(shape, a._f!, a._offset, ShapeUtil.BroadcastStrides(a._shape, a._strides, shape),
                b._f!, b._offset, ShapeUtil.BroadcastStrides(b._shape, b._strides, shape), dst);
        return r;
    }

    /// <summary>Elementwise sum with broadcasting (<c>a + b</c>).</summary>
    public static Tensor operator +(Tensor a, Tensor b)
    {
        int[] sa = a._shape, sb = b._shape; // the rule keeps shapes only, so a released graph frees a and b
        return Record(BinaryRaw<AddOp>(a, b, "add"), "add", a, b, g => (g.SumToShape(sa), g.SumToShape(sb)), NoSaved);
    }

    /// <summary>Elementwise difference with broadcasting (<c>a - b</c>).</summary>
    public static Tensor operator -(Tensor a, Tensor b)
    {
        int[] sa = a._shape, sb = b._shape;
        return Record(BinaryRaw<SubOp>(a, b, "sub"), "sub", a, b, g => (g.SumToShape(sa), NeedsInput(1) ? (-g).SumToShape(sb) : null), NoSaved);
    }

    /// <summary>Elementwise product with broadcasting (<c>a * b</c>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) =>
        Record(BinaryRaw<MulOp>(a, b, "mul"), "mul", a, b, g =>
            (Needs(a) ? (g * b).SumToShape(a._shape) : null, Needs(b) ? (g * a).SumToShape(b._shape) : null));

    /// <summary>Elementwise quotient with broadcasting (<c>a / b</c>).</summary>
    public static Tensor operator /(Tensor a, Tensor b) =>
        Record(BinaryRaw<DivOp>(a, b, "div"), "div", a, b, g =>
            (Needs(a) ? (g / b).SumToShape(a._shape) : null, Needs(b) ? (-g * a / (b * b)).SumToShape(b._shape) : null));

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, float b) => a + Scalar(b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(float a, Tensor b) => Scalar(a) + b;
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, float b) => a - Scalar(b);
    /// <summary>Subtracts from a scalar.</summary>
    public static Tensor operator -(float a, Tensor b) => Scalar(a) - b;
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, float b) => a * Scalar(b);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(float a, Tensor b) => Scalar(a) * b;
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, float b) => a / Scalar(b);
    /// <summary>Divides a scalar.</summary>
    public static Tensor operator /(float a, Tensor b) => Scalar(a) / b;
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary><c>this + alpha · other</c> (<c>torch.add(x, y, alpha=...)</c>).</summary>
    public Tensor Add(Tensor other, float alpha = 1f) => alpha == 1f ? this + other : this + other * alpha;

    /// <summary>Elementwise power with broadcasting (<c>torch.pow(a, b)</c>).</summary>
    public Tensor Pow(Tensor exponent)
    {
        var a = this; var b = exponent;
        var y = BinaryRaw<PowOp>(a, b, "pow");
        return Record(y, "pow", a, b, g =>
            (Needs(a) ? (g * b * a.Pow(b - 1f)).SumToShape(a._shape) : null,
             Needs(b) ? (g * y * a.Log()).SumToShape(b._shape) : null), [a, b, y]);
    }

    /// <summary>Elementwise maximum with broadcasting; ties split the gradient equally (<c>torch.maximum</c>).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) =>
        Record(BinaryRaw<MaxOp>(a, b, "maximum"), "maximum", a, b, g => TieSplit(g, a, b, BinaryRaw<CompareOp<GtC>>(a, b, "maximum")));

    /// <summary>Elementwise minimum with broadcasting; ties split the gradient equally (<c>torch.minimum</c>).</summary>
    public static Tensor Minimum(Tensor a, Tensor b) =>
        Record(BinaryRaw<MinOp>(a, b, "minimum"), "minimum", a, b, g => TieSplit(g, a, b, BinaryRaw<CompareOp<LtC>>(a, b, "minimum")));

    private static (Tensor?, Tensor?) TieSplit(Tensor g, Tensor a, Tensor b, Tensor aWins)
    {
        var tie = BinaryRaw<CompareOp<EqC>>(a, b, "tie");
        var wa = aWins + tie * 0.5f;
        var wb = 1f - wa;
        return (Needs(a) ? (g * wa).SumToShape(a._shape) : null, Needs(b) ? (g * wb).SumToShape(b._shape) : null);
    }

    // ───────────────────────────── comparisons (0/1 Float32 masks, no gradient) ─────────────────────────────

    /// <summary>1 where equal, else 0 (<c>torch.eq</c>); two Int64 inputs compare exactly.</summary>
    public Tensor Eq(Tensor other) => BinaryRaw<CompareOp<EqC>>(this, other, "eq");
    /// <summary>1 where different (<c>torch.ne</c>).</summary>
    public Tensor Ne(Tensor other) => BinaryRaw<CompareOp<NeC>>(this, other, "ne");
    /// <summary>1 where this &lt; other (<c>torch.lt</c>).</summary>
    public Tensor Lt(Tensor other) => BinaryRaw<CompareOp<LtC>>(this, other, "lt");
    /// <summary>1 where this ≤ other (<c>torch.le</c>).</summary>
    public Tensor Le(Tensor other) => BinaryRaw<CompareOp<LeC>>(this, other, "le");
    /// <summary>1 where this &gt; other (<c>torch.gt</c>).</summary>
    public Tensor Gt(Tensor other) => BinaryRaw<CompareOp<GtC>>(this, other, "gt");
    /// <summary>1 where this ≥ other (<c>torch.ge</c>).</summary>
    public Tensor Ge(Tensor other) => BinaryRaw<CompareOp<GeC>>(this, other, "ge");
    /// <summary>Comparison with a scalar.</summary>
    public Tensor Eq(float v) => Eq(Scalar(v));
    /// <summary>Comparison with a scalar.</summary>
    public Tensor Ne(float v) => Ne(Scalar(v));
    /// <summary>Comparison with a scalar.</summary>
    public Tensor Lt(float v) => Lt(Scalar(v));
    /// <summary>Comparison with a scalar.</summary>
    public Tensor Le(float v) => Le(Scalar(v));
    /// <summary>Comparison with a scalar.</summary>
    public Tensor Gt(float v) => Gt(Scalar(v));
    /// <summary>Comparison with a scalar.</summary>
    public Tensor Ge(float v) => Ge(Scalar(v));

    /// <summary>Picks <paramref name="a"/> where <paramref name="condition"/> is non-zero, else <paramref name="b"/>, with broadcasting (<c>torch.where</c>).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (a._l is not null && b._l is not null) return WhereInt64(condition, a, b);
        if (condition._dev is not null || a._dev is not null || b._dev is not null) return WhereOnDevice(condition, a, b);
        var c = condition.Ne(0f);
        var y = BinaryRaw<AddOp>(BinaryRaw<MulOp>(c, a, "where"), BinaryRaw<MulOp>(1f - c, b, "where"), "where");
        // Multiplying by the mask would turn inf·0 into NaN; fix those lanes with an exact select.
        if (HasNonFinite(a) || HasNonFinite(b)) y = SelectExact(c, a, b, y._shape);
        int[] sa = a._shape, sb = b._shape;
        return Record(y, "where", a, b, g =>
            (NeedsInput(0) ? (g * c).SumToShape(sa) : null, NeedsInput(1) ? (g * (1f - c)).SumToShape(sb) : null), NoSaved);
    }

    // One exact select kernel (no 0·∞ to repair); the gradient masks come from the same kernel with 1 and 0.
    private static Tensor WhereOnDevice(Tensor condition, Tensor a, Tensor b)
    {
        var lead = condition._dev is not null ? condition : a._dev is not null ? a : b;
        var backend = lead._dev!.Backend;
        foreach (var t in (ReadOnlySpan<Tensor>)[condition, a, b])
            if (t.Device != backend.Device && !(t.Device.IsCpu && t.Dim == 0)) throw MixedDevices("where", lead, t);
        if (condition.DType != DType.Float32 || a.DType != DType.Float32 || b.DType != DType.Float32) throw NoKernelOnDevice("where on Int64 tensors", backend.Device);
        Tensor c = OnBackend(condition, backend), av = OnBackend(a, backend), bv = OnBackend(b, backend);
        var shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(c._shape, av._shape, "where"), bv._shape, "where");
        Tensor Select(Tensor x, Tensor y)
        {
            var r = EmptyOn(backend, (int[])shape.Clone());
            backend.Where(shape, c._dev!, LongStrides(ShapeUtil.BroadcastStrides(c._shape, c._strides, shape)), c._offset,
                x._dev!, LongStrides(ShapeUtil.BroadcastStrides(x._shape, x._strides, shape)), x._offset,
                y._dev!, LongStrides(ShapeUtil.BroadcastStrides(y._shape, y._strides, shape)), y._offset, r._dev!);
            return r;
        }
        var result = Select(av, bv);
        int[] sa = a._shape, sb = b._shape;
        return Record(result, "where", a, b, g =>
        {
            var zero = Scalar(0f);
            return (NeedsInput(0) ? Where(c, g, zero).SumToShape(sa) : null, NeedsInput(1) ? Where(c, zero, g).SumToShape(sb) : null);
        }, NoSaved);
    }

    private static bool HasNonFinite(Tensor t)
    {
        if (t._l is not null) return false;
        foreach (float v in t.ReadSpan()) if (!float.IsFinite(v)) return true;
        return false;
    }

    private static Tensor SelectExact(Tensor c, Tensor a, Tensor b, int[] shape)
    {
        var cc = c.Expand(shape).Contiguous().ReadSpan();
        var aa = a.Float().Expand(shape).Contiguous().ReadSpan();
        var bb = b.Float().Expand(shape).Contiguous().ReadSpan();
        var r = Empty((int[])shape.Clone());
        var d = r._f!;
        for (int i = 0; i < d.Length; i++) d[i] = cc[i] != 0 ? aa[i] : bb[i];
        return r;
    }

    /// <summary>Replaces elements where <paramref name="mask"/> is non-zero with <paramref name="value"/> (<c>masked_fill</c>).</summary>
    public Tensor MaskedFill(Tensor mask, float value) => Where(mask, FullLike(this, value), this);

    // ───────────────────────────── unary ops ─────────────────────────────

    /// <summary>Elementwise kernels split across threads above this many elements (memory-bound: ~2× on 2 cores).</summary>
    internal const int ParallelGrain = 1 << 17;

    private delegate void SpanMap(ReadOnlySpan<float> x, Span<float> d);

    private Tensor Map(SpanMap f, DeviceUnaryOp? deviceOp = null)
    {
        if (_dev is not null) return deviceOp is DeviceUnaryOp op ? DeviceUnary(op) : throw NoKernelOnDevice();
        var x = Float();
        if (!x.IsContiguous) x = x.Contiguous();
        var r = Empty((int[])_shape.Clone());
        float[] src = x._f!, dst = r._f!;
        int off = x._offset;
        Parallelism.ForRanges(r._numel, ParallelGrain, (s, n) => f(src.AsSpan(off + s, n), dst.AsSpan(s, n)));
        return r;
    }

    /// <summary><c>-x</c>.</summary>
    public Tensor Neg() => _l is not null ? NegInt64() : Record(Map(TensorPrimitives.Negate, DeviceUnaryOp.Neg), "neg", this, g => -g, NoSaved);

    /// <summary><c>eˣ</c>.</summary>
    public Tensor Exp() { var y = Map(TensorPrimitives.Exp, DeviceUnaryOp.Exp); return Record(y, "exp", this, g => g * y, [y]); }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Record(Map(TensorPrimitives.Log, DeviceUnaryOp.Log), "log", this, g => g / this);

    /// <summary>Square root.</summary>
    public Tensor Sqrt() { var y = Map(TensorPrimitives.Sqrt, DeviceUnaryOp.Sqrt); return Record(y, "sqrt", this, g => g / (2f * y), [y]); }

    /// <summary>Reciprocal square root.</summary>
    public Tensor Rsqrt() { var y = Map(static (x, d) => { TensorPrimitives.Sqrt(x, d); TensorPrimitives.Divide(1f, d, d); }, DeviceUnaryOp.Rsqrt); return Record(y, "rsqrt", this, g => -0.5f * g * y * y * y, [y]); }

    /// <summary><c>1/x</c>.</summary>
    public Tensor Reciprocal() { var y = Map((x, d) => TensorPrimitives.Divide(1f, x, d), DeviceUnaryOp.Reciprocal); return Record(y, "reciprocal", this, g => -g * y * y, [y]); }

    /// <summary><c>x²</c>.</summary>
    public Tensor Square() => Record(Map((x, d) => TensorPrimitives.Multiply(x, x, d), DeviceUnaryOp.Square), "square", this, g => 2f * g * this);

    /// <summary><c>xᵖ</c> for a scalar exponent.</summary>
    public Tensor Pow(float p)
    {
        var y = _dev is not null ? DeviceBinary(this, Scalar(p), DeviceBinaryOp.Pow, "pow") : Map((x, d) => TensorPrimitives.Pow(x, p, d));
        return Record(y, "pow", this, g => g * p * Pow(p - 1f));
    }

    /// <summary>|x|; the gradient at 0 is 0 (as <c>torch.abs</c>).</summary>
    public Tensor Abs() => _l is not null ? AbsInt64() : Record(Map(TensorPrimitives.Abs, DeviceUnaryOp.Abs), "abs", this, g => g * Sign());

    /// <summary>Sign: −1, 0 or 1 (zero gradient).</summary>
    public Tensor Sign() => Map(static (x, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[i] > 0 ? 1f : x[i] < 0 ? -1f : x[i]; }, DeviceUnaryOp.Sign);

    /// <summary>Round down (zero gradient; wrap in a straight-through <see cref="Function"/> for QAT).</summary>
    public Tensor Floor() => Map(TensorPrimitives.Floor, DeviceUnaryOp.Floor);

    /// <summary>Round up (zero gradient).</summary>
    public Tensor Ceil() => Map(TensorPrimitives.Ceiling, DeviceUnaryOp.Ceil);

    /// <summary>Round half to even, as <c>torch.round</c> (zero gradient).</summary>
    public Tensor Round() => Map(TensorPrimitives.Round, DeviceUnaryOp.Round);

    /// <summary>Round toward zero (zero gradient).</summary>
    public Tensor Trunc() => Map(TensorPrimitives.Truncate, DeviceUnaryOp.Trunc);

    /// <summary>Sine.</summary>
    public Tensor Sin() => Record(Map(TensorPrimitives.Sin, DeviceUnaryOp.Sin), "sin", this, g => g * Cos());

    /// <summary>Cosine.</summary>
    public Tensor Cos() => Record(Map(TensorPrimitives.Cos, DeviceUnaryOp.Cos), "cos", this, g => -g * Sin());

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() { var y = Map(static (x, d) => Kernels.SimdActivations.Tanh(x, d), DeviceUnaryOp.Tanh); return Record(y, "tanh", this, g => g * (1f - y * y), [y]); }

    /// <summary>Logistic sigmoid <c>1/(1+e⁻ˣ)</c>.</summary>
    public Tensor Sigmoid() { var y = Map(TensorPrimitives.Sigmoid, DeviceUnaryOp.Sigmoid); return Record(y, "sigmoid", this, g => g * y * (1f - y), [y]); }

    /// <summary><c>max(x, 0)</c>; gradient 0 at 0 as in PyTorch.</summary>
    public Tensor Relu()
    {
        var y = Map(static (x, d) => TensorPrimitives.Max(x, 0f, d), DeviceUnaryOp.Relu);
        // Under createGraph the rule must stay differentiable in g: multiply by the (constant) mask instead.
        return Record(y, "relu", this, g => GradMode.IsEnabled ? g * y.Gt(0f) : MaskedGrad(g, y, 0f), [y]);
    }

    /// <summary>g where <paramref name="reference"/> &gt; threshold, else 0 (shared by ReLU-like backward rules).</summary>
    internal static Tensor MaskedGrad(Tensor g, Tensor reference, float threshold)
    {
        if (g._dev is not null || reference._dev is not null)
            return threshold == 0f ? DeviceBinary(g, reference, DeviceBinaryOp.ReluBackward, "relu_backward") : throw NoKernelOnDevice("a masked gradient with a non-zero threshold", g.Device);
        var gc = g.Contiguous(); var rc = reference.Contiguous();
        float[] gf = gc._f!, rf = rc._f!;
        int go = gc._offset, ro = rc._offset;
        var r = Empty((int[])g._shape.Clone());
        float[] df = r._f!;
        Parallelism.ForRanges(r._numel, ParallelGrain, (s, n) => SimdKernels.SelectGreater(rf.AsSpan(ro + s, n), threshold, gf.AsSpan(go + s, n), df.AsSpan(s, n)));
        return r;
    }

    /// <summary>LeakyReLU: <c>x</c> if x &gt; 0 else <c>slope·x</c>.</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.01f)
    {
        var pos = Gt(0f);
        var w = pos + (1f - pos) * negativeSlope;
        var y = BinaryRaw<MulOp>(this, w, "leaky_relu");
        // The rule rebuilds the slope mask from x (saved) rather than holding w, a second full-size tensor.
        return Record(y, "leaky_relu", this, g => { var p = Gt(0f); return g * (p + (1f - p) * negativeSlope); });
    }

    /// <summary>ELU: <c>x</c> if x &gt; 0 else <c>α(eˣ−1)</c>.</summary>
    public Tensor Elu(float alpha = 1f)
    {
        Tensor pos, em1;
        using (Torch.NoGrad()) { pos = Gt(0f); em1 = Exp() - 1f; }
        var y = BinaryRaw<AddOp>(BinaryRaw<MulOp>(pos, this, "elu"), BinaryRaw<MulOp>(1f - pos, em1 * alpha, "elu"), "elu");
        // For createGraph the factor is rebuilt from x with recorded ops, so its own derivative (αeˣ below 0) is kept.
        return Record(y, "elu", this, g => GradMode.IsEnabled
            ? g * (pos + (1f - pos) * Exp() * alpha)
            : g * (pos + (1f - pos) * (em1 + 1f) * alpha));
    }

    /// <summary>SiLU / swish: <c>x·σ(x)</c>.</summary>
    public Tensor Silu()
    {
        Tensor s;
        using (Torch.NoGrad()) s = Sigmoid();
        var y = BinaryRaw<MulOp>(this, s, "silu");
        return Record(y, "silu", this, g =>
        {
            var sg = GradMode.IsEnabled ? Sigmoid() : s; // recorded under createGraph, so σ' enters the second derivative
            return g * sg * (1f + this * (1f - sg));
        });
    }

    /// <summary>GELU with the tanh approximation (<c>approximate='tanh'</c>).</summary>
    public Tensor GeluTanh()
    {
        const float c = 0.7978845608f; // √(2/π)
        var inner = (this + this.Pow(3f) * 0.044715f) * c;
        return this * 0.5f * (inner.Tanh() + 1f);
    }

    /// <summary>Softplus <c>log(1+e^{βx})/β</c>, linear above <paramref name="threshold"/> as in PyTorch.</summary>
    public Tensor Softplus(float beta = 1f, float threshold = 20f)
    {
        var src = ReadSpan();
        var y = Empty((int[])_shape.Clone());
        var d = y._f!;
        for (int i = 0; i < d.Length; i++)
        {
            float bx = beta * src[i];
            d[i] = bx > threshold ? src[i] : MathF.Log(1f + MathF.Exp(bx)) / beta;
        }
        return Record(y, "softplus", this, g =>
        {
            var bx = this * beta;
            return g * Where(bx.Gt(threshold), OnesLike(this), bx.Sigmoid());
        });
    }

    /// <summary>Clamps into [<paramref name="min"/>, <paramref name="max"/>] (<c>torch.clamp</c>); gradient passes where min ≤ x ≤ max.</summary>
    public Tensor Clamp(float? min = null, float? max = null)
    {
        float lo = min ?? float.NegativeInfinity, hi = max ?? float.PositiveInfinity;
        if (lo > hi) throw new ArgumentException($"Clamp: min ({lo}) must not exceed max ({hi}).");
        if (_dev is not null) return ClampOnDevice(lo, hi);
        var y = Map((x, d) => { TensorPrimitives.Max(x, lo, d); TensorPrimitives.Min(d, hi, d); });
        return Record(y, "clamp", this, g =>
        {
            var xx = ReadSpan();
            var mask = Empty((int[])_shape.Clone());
            var m = mask._f!;
            for (int i = 0; i < m.Length; i++) m[i] = xx[i] >= lo && xx[i] <= hi ? 1f : 0f;
            return g * mask; // recorded in g under createGraph: the mask is piecewise constant in x
        });
    }

    // Composed from device kernels: max then min with the bounds as scalars, and the gradient's mask from two comparisons.
    private Tensor ClampOnDevice(float lo, float hi)
    {
        var y = DeviceBinary(DeviceBinary(this, Scalar(lo), DeviceBinaryOp.Maximum, "clamp"), Scalar(hi), DeviceBinaryOp.Minimum, "clamp");
        return Record(y, "clamp", this, g => g * (DeviceBinary(this, Scalar(lo), DeviceBinaryOp.Ge, "clamp") * DeviceBinary(this, Scalar(hi), DeviceBinaryOp.Le, "clamp")));
    }

    /// <summary>Clamps elementwise between tensors (broadcasting), like <c>torch.clamp(x, min=t1, max=t2)</c>.</summary>
    public Tensor Clamp(Tensor min, Tensor max) => Minimum(Maximum(this, min), max);

    // ───────────────────────────── in-place (no autograd; for optimizers and buffers) ─────────────────────────────

    // Each op checks and records the write (CheckInPlace) before computing the new value under NoGrad, so the guard
    // sees the caller's grad mode, not the NoGrad the op itself opens.

    private Tensor InPlace(Tensor value)
    {
        if (_dev is not null || value._dev is not null) return StridedWrite(value);
        if (IsContiguous && ShapeUtil.SameShape(value._shape, _shape) && value.IsContiguous)
        {
            value.ReadSpan().CopyTo(F.AsSpan(_offset, _numel));
            return this;
        }
        return StridedWrite(value);
    }

    /// <summary><c>this += alpha · other</c> in place (<c>add_</c>).</summary>
    public Tensor Add_(Tensor other, float alpha = 1f)
    {
        CheckInPlace("Add_");
        if (_dev is null && other._dev is null && IsContiguous && other.IsContiguous && other._f is not null && ShapeUtil.SameShape(other._shape, _shape))
        {
            var d = F.AsSpan(_offset, _numel);
            if (alpha == 1f) TensorPrimitives.Add(d, other.ReadSpan(), d);
            else TensorPrimitives.MultiplyAdd(other.ReadSpan(), alpha, d, d);
            return this;
        }
        using (Torch.NoGrad()) return InPlace(this + (alpha == 1f ? other : other * alpha));
    }

    /// <summary>Adds a scalar in place.</summary>
    public Tensor Add_(float value)
    {
        CheckInPlace("Add_");
        using (Torch.NoGrad()) return InPlace(this + value);
    }

    /// <summary>Multiplies by a scalar in place (<c>mul_</c>).</summary>
    public Tensor Mul_(float value)
    {
        CheckInPlace("Mul_");
        if (_dev is null && IsContiguous) { var d = F.AsSpan(_offset, _numel); TensorPrimitives.Multiply(d, value, d); return this; }
        using (Torch.NoGrad()) return InPlace(this * value);
    }

    /// <summary>Multiplies by a tensor in place (broadcasting the other).</summary>
    public Tensor Mul_(Tensor other)
    {
        CheckInPlace("Mul_");
        using (Torch.NoGrad()) return InPlace(this * other);
    }

    /// <summary>Subtracts in place.</summary>
    public Tensor Sub_(Tensor other, float alpha = 1f) => Add_(other, -alpha);

    /// <summary>Divides by a tensor in place.</summary>
    public Tensor Div_(Tensor other)
    {
        CheckInPlace("Div_");
        using (Torch.NoGrad()) return InPlace(this / other);
    }

    /// <summary>Clamps in place.</summary>
    public Tensor Clamp_(float? min = null, float? max = null)
    {
        CheckInPlace("Clamp_");
        using (Torch.NoGrad()) return InPlace(Clamp(min, max));
    }

    /// <summary>Accumulates a gradient (engine use): contiguous fast path, broadcasting never needed.</summary>
    internal void AddInPlace(Tensor g)
    {
        BumpVersion();
        if (_dev is not null || g._dev is not null) { DeviceAddInPlace(g); return; }
        if (IsContiguous && g.IsContiguous && ShapeUtil.SameShape(g._shape, _shape))
        {
            var d = F.AsSpan(_offset, _numel);
            TensorPrimitives.Add(d, g.ReadSpan(), d);
        }
        else using (Torch.NoGrad()) InPlace(this + g);
    }
}
