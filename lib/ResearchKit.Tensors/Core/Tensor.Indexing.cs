using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── shared helpers for index ops ─────────────────────────────

    /// <summary>Contiguous read-only span over an Int64 tensor's elements, copying only when needed.</summary>
    internal ReadOnlySpan<long> ReadInt64Span() => IsContiguous ? L.AsSpan(_offset, _numel) : Contiguous().L.AsSpan(0, _numel);

    /// <summary>A zero-filled contiguous tensor of this tensor's dtype.</summary>
    private Tensor NewOfSameType(int[] shape) => _f is not null ? Zeros(shape) : ZerosInt64(shape);

    /// <summary>Sizes of the dims before, at and after <paramref name="d"/>: the tensor seen as (outer, size, inner).</summary>
    private (int Outer, int Size, int Inner) Around(int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < _shape.Length; i++) inner *= _shape[i];
        return (outer, _shape[d], inner);
    }

    private void RequireRank1(string op)
    {
        if (_shape.Length == 0) throw new ArgumentException($"{op}: expected a tensor with at least one dimension, got a scalar (shape ()); call Reshape(1) first.");
    }

    /// <summary>Reads and range-checks index values for dimension <paramref name="dim"/> of size <paramref name="size"/>.</summary>
    private static int[] CheckedIndices(string op, Tensor index, int dim, int size, bool allowNegative)
    {
        ThrowHelper.RequireInt64(op, index, "index");
        var v = index.ReadInt64Span();
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            long x = v[i];
            if (allowNegative && x < 0) x += size;
            if (x < 0 || x >= size)
                throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {v[i]} is out of range for dimension {dim} of size {size} (valid: {(allowNegative ? -size : 0)}..{size - 1}).");
            r[i] = (int)x;
        }
        return r;
    }

    // ───────────────────────────── index_select / x[idx] / masked_select ─────────────────────────────

    /// <summary>
    /// The entries of <paramref name="index"/> (1-D Int64, repeats allowed) along <paramref name="dim"/> (<c>torch.index_select</c>).
    /// The gradient accumulates into repeated positions. Works on Float32 and Int64 tensors.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="index"/> is not Int64 or not 1-D.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>0..size-1</c> (PyTorch rejects negative indices here too).</exception>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        const string op = "IndexSelect";
        RequireRank1(op);
        int d = ShapeUtil.NormDim(dim, _shape.Length, op);
        ThrowHelper.RequireInt64(op, index, "index");
        if (index.Dim > 1) throw new ArgumentException($"{op}: index must be 1-D (or a scalar), got shape {index.Shape}; use Index() for multi-dimensional indices along dim 0, or flatten the index.");
        var idx = CheckedIndices(op, index, d, _shape[d], allowNegative: false);
        var (outer, size, inner) = Around(d);
        var shape = (int[])_shape.Clone();
        shape[d] = idx.Length;
        Tensor r;
        if (_f is not null) { r = Empty(shape); IndexKernels.IndexSelect(ReadSpan(), outer, size, inner, idx, r._f!); }
        else { r = ZerosInt64(shape); IndexKernels.IndexSelect(ReadInt64Span(), outer, size, inner, idx, r._l!); }
        var inShape = _shape;
        return Record(r, "index_select", this, g => IndexAddIntoZeros(inShape, d, index, idx, g));
    }

    /// <summary>
    /// Advanced indexing on dimension 0, <c>x[index]</c>: the result has shape <c>index.shape + x.shape[1:]</c>.
    /// Negative indices count from the end, as in PyTorch. Differentiable (repeats accumulate).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="index"/> is not Int64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>-size..size-1</c>.</exception>
    public Tensor Index(Tensor index)
    {
        const string op = "Index";
        RequireRank1(op);
        var idx = CheckedIndices(op, index, 0, _shape[0], allowNegative: true);
        var flat = new long[idx.Length];
        for (int i = 0; i < idx.Length; i++) flat[i] = idx[i];
        var shape = new int[index.Dim + _shape.Length - 1];
        index._shape.CopyTo(shape, 0);
        Array.Copy(_shape, 1, shape, index.Dim, _shape.Length - 1);
        return IndexSelect(0, new Tensor(flat, [flat.Length])).Reshape(shape);
    }

    /// <summary>
    /// The elements where <paramref name="mask"/> is non-zero, as a 1-D tensor in row-major order (<c>torch.masked_select</c>).
    /// <paramref name="mask"/> (Float32 or Int64) and this tensor broadcast together. The gradient is scattered back.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast.</exception>
    public Tensor MaskedSelect(Tensor mask)
    {
        var shape = ShapeUtil.Broadcast(_shape, mask._shape, "MaskedSelect");
        var m = mask.Expand(shape).Contiguous();
        var pos = new List<long>();
        if (m._f is not null)
        {
            var s = m.ReadSpan();
            for (int i = 0; i < s.Length; i++) if (s[i] != 0f) pos.Add(i);
        }
        else
        {
            var s = m.ReadInt64Span();
            for (int i = 0; i < s.Length; i++) if (s[i] != 0) pos.Add(i);
        }
        var flat = ShapeUtil.SameShape(shape, _shape) ? Reshape(-1) : Expand(shape).Reshape(-1);
        return flat.IndexSelect(0, new Tensor(pos.ToArray(), [pos.Count]));
    }

    /// <summary>
    /// <c>zeros(shape).index_add(d, index, src)</c> without copying the zeros (the backward of index_select);
    /// differentiable with respect to <paramref name="src"/>. <paramref name="idx"/> are the validated index values.
    /// </summary>
    private static Tensor IndexAddIntoZeros(int[] shape, int d, Tensor index, int[] idx, Tensor src)
    {
        var z = Zeros(shape);
        var (outer, size, inner) = z.Around(d);
        IndexKernels.IndexAdd(z._f!, outer, size, inner, idx, src.Float().ReadSpan(), 1f);
        return Record(z, "index_add", src, g => g.IndexSelect(d, index));
    }

    /// <summary><c>zeros(shape).scatter_add(d, index, src)</c> without the copy (the backward of gather, sort, topk).</summary>
    private static Tensor ScatterAddIntoZeros(int[] shape, int d, Tensor index, Tensor src)
    {
        var z = Zeros(shape);
        var baseOff = IndexKernels.Offsets(index._shape, ShapeUtil.ContiguousStrides(shape), d);
        var srcOff = IndexKernels.Offsets(index._shape, ShapeUtil.ContiguousStrides(src._shape), -1);
        IndexKernels.ScatterAdd(z._f.AsSpan(0, z._numel), baseOff, index.ReadInt64Span(), ShapeUtil.ContiguousStrides(shape)[d], src.Float().ReadSpan(), srcOff);
        var srcShape = src._shape;
        return Record(z, "scatter_add", src, g => GatherToShape(g, d, index, srcShape));
    }

    // ───────────────────────────── index_add / index_copy / index_put ─────────────────────────────

    private int[] CheckIndexSource(string op, int d, Tensor index, Tensor source)
    {
        ThrowHelper.RequireInt64(op, index, "index");
        if (index.Dim > 1) throw new ArgumentException($"{op}: index must be 1-D (or a scalar), got shape {index.Shape}.");
        if (source.DType != DType)
            throw new ArgumentException($"{op}: source is {source.DType} but self is {DType}; convert with .Float() or .Long().");
        bool ok = source.Dim == _shape.Length && source._shape[d] == index.Numel;
        for (int k = 0; ok && k < _shape.Length; k++) if (k != d && source._shape[k] != _shape[k]) ok = false;
        if (!ok)
            throw new ArgumentException($"{op}: source shape {source.Shape} does not fit self shape {Shape} with {index.Numel} indices along dimension {d}; source must equal self's shape except size {index.Numel} in dimension {d}.");
        return CheckedIndices(op, index, d, _shape[d], allowNegative: false);
    }

    /// <summary>
    /// Out-of-place <c>index_add</c>: a copy of this tensor with <c>alpha · source</c> slices added at <paramref name="index"/>
    /// along <paramref name="dim"/>; repeated indices accumulate in index order (deterministic).
    /// </summary>
    /// <exception cref="ArgumentException">The index is not 1-D Int64, dtypes differ, or source's shape does not fit (both shapes named).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>0..size-1</c>.</exception>
    public Tensor IndexAdd(int dim, Tensor index, Tensor source, float alpha = 1f)
    {
        const string op = "IndexAdd";
        RequireRank1(op);
        int d = ShapeUtil.NormDim(dim, _shape.Length, op);
        var idx = CheckIndexSource(op, d, index, source);
        var (outer, size, inner) = Around(d);
        var r = AliasRaw().Clone();
        if (_f is not null) IndexKernels.IndexAdd(r._f!, outer, size, inner, idx, source.ReadSpan(), alpha);
        else IndexKernels.IndexAdd(r._l!, outer, size, inner, idx, source.ReadInt64Span(), (long)alpha);
        if (_f is null) return r;
        return Record(r, "index_add", this, source, g =>
            (Needs(this) ? g : null, Needs(source) ? (alpha == 1f ? g.IndexSelect(d, index) : g.IndexSelect(d, index) * alpha) : null));
    }

    /// <summary>
    /// Out-of-place <c>index_copy</c>: a copy of this tensor with the slices of <paramref name="source"/> written at <paramref name="index"/>
    /// along <paramref name="dim"/> (on repeats the last write wins). Gradient: zero at the overwritten slices for self,
    /// gathered slices for source.
    /// </summary>
    public Tensor IndexCopy(int dim, Tensor index, Tensor source)
    {
        const string op = "IndexCopy";
        RequireRank1(op);
        int d = ShapeUtil.NormDim(dim, _shape.Length, op);
        var idx = CheckIndexSource(op, d, index, source);
        var (outer, size, inner) = Around(d);
        var r = AliasRaw().Clone();
        if (_f is not null) IndexKernels.IndexCopy<float>(r._f!, outer, size, inner, idx, source.ReadSpan());
        else IndexKernels.IndexCopy<long>(r._l!, outer, size, inner, idx, source.ReadInt64Span());
        if (_f is null) return r;
        var srcShape = source._shape;
        return Record(r, "index_copy", this, source, g =>
            (Needs(this) ? g.IndexCopy(d, index, Zeros(srcShape)) : null, Needs(source) ? g.IndexSelect(d, index) : null));
    }

    /// <summary>
    /// Out-of-place <c>x[index] = values</c> (or <c>+=</c> with <paramref name="accumulate"/>) on dimension 0, like
    /// <c>torch.index_put</c> with one 1-D index. Negative indices count from the end; <paramref name="values"/> broadcasts
    /// to <c>(index.numel,) + x.shape[1:]</c>. Without accumulate, repeats keep the last write.
    /// </summary>
    public Tensor IndexPut(Tensor index, Tensor values, bool accumulate = false)
    {
        const string op = "IndexPut";
        RequireRank1(op);
        var idx = CheckedIndices(op, index, 0, _shape[0], allowNegative: true);
        if (index.Dim > 1) throw new ArgumentException($"{op}: index must be 1-D (or a scalar), got shape {index.Shape}.");
        var flat = new long[idx.Length];
        for (int i = 0; i < idx.Length; i++) flat[i] = idx[i];
        var it = new Tensor(flat, [flat.Length]);
        var target = (int[])_shape.Clone();
        target[0] = idx.Length;
        var b = ShapeUtil.Broadcast(target, values._shape, op);
        if (!ShapeUtil.SameShape(b, target))
            throw new ArgumentException($"{op}: values of shape {values.Shape} cannot be broadcast to the indexed shape {ShapeUtil.Format(target)} (self shape {Shape}, {idx.Length} indices).");
        var v = values.Expand(target);
        return accumulate ? IndexAdd(0, it, v.Contiguous()) : IndexCopy(0, it, v.Contiguous());
    }

    // ───────────────────────────── gather / scatter ─────────────────────────────

    /// <summary>Checks the PyTorch gather/scatter shape rules and returns the validated dim.</summary>
    private int CheckScatterShapes(string op, int dim, Tensor index, Tensor? src)
    {
        RequireRank1(op);
        int d = ShapeUtil.NormDim(dim, _shape.Length, op);
        ThrowHelper.RequireInt64(op, index, "index");
        if (index.Dim != _shape.Length)
            throw new ArgumentException($"{op}: index shape {index.Shape} must have as many dimensions as self shape {Shape}; unsqueeze the index.");
        for (int k = 0; k < _shape.Length; k++)
            if (k != d && index._shape[k] > _shape[k])
                throw new ArgumentException($"{op}: index shape {index.Shape} is larger than self shape {Shape} in dimension {k}; index.size(k) <= self.size(k) is required for every k != dim ({d}).");
        if (src is not null)
        {
            if (src.DType != DType)
                throw new ArgumentException($"{op}: src is {src.DType} but self is {DType}; convert with .Float() or .Long().");
            if (src.Dim != _shape.Length)
                throw new ArgumentException($"{op}: src shape {src.Shape} must have as many dimensions as self shape {Shape}.");
            for (int k = 0; k < _shape.Length; k++)
                if (index._shape[k] > src._shape[k])
                    throw new ArgumentException($"{op}: index shape {index.Shape} is larger than src shape {src.Shape} in dimension {k}; index.size(k) <= src.size(k) is required for every k.");
        }
        // Range check (values are read again by the kernel from the same contiguous copy).
        var v = index.ReadInt64Span();
        int size = _shape[d];
        for (int i = 0; i < v.Length; i++)
            if ((ulong)v[i] >= (ulong)size)
                throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {v[i]} is out of range for dimension {d} of size {size} (valid: 0..{size - 1}).");
        return d;
    }

    /// <summary>
    /// <c>out[i][j][k] = self[index[i][j][k]][j][k]</c> for dim 0 (and likewise for other dims), like <c>torch.gather</c>.
    /// The result has the index's shape; the gradient scatter-adds into self (repeats accumulate).
    /// </summary>
    /// <exception cref="ArgumentException">Index not Int64, ranks differ, or index larger than self outside <paramref name="dim"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index value is outside <c>0..size-1</c>.</exception>
    public Tensor Gather(int dim, Tensor index)
    {
        int d = CheckScatterShapes("Gather", dim, index, null);
        var strides = ShapeUtil.ContiguousStrides(_shape);
        var baseOff = IndexKernels.Offsets(index._shape, strides, d);
        var iv = index.ReadInt64Span();
        var shape = (int[])index._shape.Clone();
        Tensor r;
        if (_f is not null) { r = Empty(shape); IndexKernels.Gather(ReadSpan(), baseOff, iv, strides[d], r._f!.AsSpan(0, r._numel)); }
        else { r = ZerosInt64(shape); IndexKernels.Gather(ReadInt64Span(), baseOff, iv, strides[d], r._l!.AsSpan(0, r._numel)); }
        var inShape = _shape;
        return Record(r, "gather", this, g => ScatterAddIntoZeros(inShape, d, index, g));
    }

    /// <summary>Gathers <paramref name="g"/> at <paramref name="index"/> and zero-pads it to <paramref name="srcShape"/> (src may be larger than index).</summary>
    private static Tensor GatherToShape(Tensor g, int d, Tensor index, int[] srcShape)
    {
        var r = g.Gather(d, index);
        if (ShapeUtil.SameShape(r._shape, srcShape)) return r;
        var pad = new int[2 * srcShape.Length];
        for (int k = 0; k < srcShape.Length; k++) pad[2 * (srcShape.Length - 1 - k) + 1] = srcShape[k] - index._shape[k];
        return r.Pad(pad);
    }

    private Tensor ScatterCore(string op, int dim, Tensor index, Tensor? src, float value, bool add)
    {
        int d = CheckScatterShapes(op, dim, index, src);
        var strides = ShapeUtil.ContiguousStrides(_shape);
        var baseOff = IndexKernels.Offsets(index._shape, strides, d);
        var srcOff = src is null ? null : IndexKernels.Offsets(index._shape, ShapeUtil.ContiguousStrides(src._shape), -1);
        var iv = index.ReadInt64Span();
        var r = AliasRaw().Clone();
        if (_f is not null)
        {
            var dst = r._f!.AsSpan(0, r._numel);
            if (src is null) IndexKernels.ScatterValue(dst, baseOff, iv, strides[d], value);
            else if (add) IndexKernels.ScatterAdd(dst, baseOff, iv, strides[d], src.ReadSpan(), srcOff);
            else IndexKernels.Scatter(dst, baseOff, iv, strides[d], src.ReadSpan(), srcOff);
        }
        else
        {
            var dst = r._l!.AsSpan(0, r._numel);
            if (src is null) IndexKernels.ScatterValue(dst, baseOff, iv, strides[d], (long)value);
            else if (add) IndexKernels.ScatterAdd(dst, baseOff, iv, strides[d], src.ReadInt64Span(), srcOff);
            else IndexKernels.Scatter(dst, baseOff, iv, strides[d], src.ReadInt64Span(), srcOff);
        }
        return r;
    }

    /// <summary>
    /// Out-of-place <c>torch.scatter</c>: a copy of this tensor with <c>out[index[i][j]][j] = src[i][j]</c> (dim 0 shown).
    /// Only the leading <c>index.shape</c> block of <paramref name="src"/> is used. On repeated targets the last element in
    /// row-major order wins (PyTorch leaves this unspecified). Gradient: self gets g with zeros at written places, src gets
    /// <c>g.gather(dim, index)</c> (like PyTorch, every duplicate receives it).
    /// </summary>
    /// <exception cref="ArgumentException">Index not Int64, dtypes or ranks differ, or the shape rules are broken (shapes named).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index value is outside <c>0..size-1</c>.</exception>
    public Tensor Scatter(int dim, Tensor index, Tensor src)
    {
        var r = ScatterCore("Scatter", dim, index, src, 0f, add: false);
        if (_f is null) return r;
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Scatter");
        var srcShape = src._shape;
        return Record(r, "scatter", this, src, g =>
            (Needs(this) ? g.Scatter(d, index, 0f) : null, Needs(src) ? GatherToShape(g, d, index, srcShape) : null));
    }

    /// <summary>Out-of-place <c>torch.scatter(dim, index, value)</c>: writes one value at every indexed place.</summary>
    public Tensor Scatter(int dim, Tensor index, float value)
    {
        var r = ScatterCore("Scatter", dim, index, null, value, add: false);
        if (_f is null) return r;
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Scatter");
        return Record(r, "scatter", this, g => g.Scatter(d, index, 0f));
    }

    /// <summary>
    /// Out-of-place <c>torch.scatter_add</c>: a copy of this tensor with <c>out[index[i][j]][j] += src[i][j]</c> (dim 0 shown).
    /// Repeated targets accumulate in row-major order of the index, so the result is deterministic.
    /// Gradient: g for self, <c>g.gather(dim, index)</c> for src.
    /// </summary>
    /// <exception cref="ArgumentException">Index not Int64, dtypes or ranks differ, or the shape rules are broken (shapes named).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index value is outside <c>0..size-1</c>.</exception>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src)
    {
        var r = ScatterCore("ScatterAdd", dim, index, src, 0f, add: true);
        if (_f is null) return r;
        int d = ShapeUtil.NormDim(dim, _shape.Length, "ScatterAdd");
        var srcShape = src._shape;
        return Record(r, "scatter_add", this, src, g =>
            (Needs(this) ? g : null, Needs(src) ? GatherToShape(g, d, index, srcShape) : null));
    }
}
