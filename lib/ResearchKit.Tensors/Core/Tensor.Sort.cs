using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── sort / topk / kthvalue / median ─────────────────────────────

    /// <summary>
    /// Sorts along <paramref name="dim"/> and keeps <paramref name="take"/> entries (or picks one per line), returning
    /// values and Int64 source indices. Scalars are treated as one-element lines.
    /// </summary>
    private (Tensor Values, Tensor Indices, int Dim) SortCore(string op, int dim, bool descending, int take, int pick)
    {
        var x = _shape.Length == 0 ? AliasRaw().Reshape(1) : this;
        int d = ShapeUtil.NormDim(dim, x._shape.Length, op);
        var (outer, size, inner) = x.Around(d);
        int[] shape;
        if (pick == SortKernels.PickPrefix) { shape = (int[])x._shape.Clone(); shape[d] = take; }
        else
        {
            shape = new int[x._shape.Length - 1];
            for (int k = 0, j = 0; k < x._shape.Length; k++) if (k != d) shape[j++] = x._shape[k];
        }
        var idx = new long[ShapeUtil.Numel(shape)];
        Tensor values;
        var c = x.AliasRaw().Contiguous();
        if (_f is not null)
        {
            values = Empty((int[])shape.Clone());
            SortKernels.SortLinesFloat(c._f!, outer, size, inner, descending, take, pick, values._f!, idx);
        }
        else
        {
            var v = new long[idx.Length];
            if (descending) SortKernels.SortLines<long, LongDescending>(c._l!, outer, size, inner, take, pick, v, idx);
            else SortKernels.SortLines<long, LongAscending>(c._l!, outer, size, inner, take, pick, v, idx);
            values = new Tensor(v, shape);
        }
        return (values, new Tensor(idx, (int[])shape.Clone()), d);
    }

    /// <summary>Records the backward of a selection along <paramref name="d"/>: g scattered to the chosen indices of zeros.</summary>
    private Tensor RecordSelection(Tensor values, Tensor indices, int d, string name)
    {
        if (_f is null) return values;
        var inShape = _shape;
        return Record(values, name, this, g => inShape.Length == 0 ? g.Reshape(inShape) : ScatterAddIntoZeros(inShape, d, indices, g));
    }

    /// <summary>
    /// Sorts along <paramref name="dim"/> (<c>torch.sort</c>): NaN sorts as the largest value, ties keep their original
    /// order (the sort is always stable; <paramref name="stable"/> is accepted for API parity). Returns values and Int64
    /// indices into the input. Values are differentiable (gradient scattered back); works on Int64 tensors too.
    /// </summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false, bool stable = true)
    {
        _ = stable;
        int size = _shape.Length == 0 ? 1 : _shape[ShapeUtil.NormDim(dim, _shape.Length, "Sort")];
        var (v, i, d) = SortCore("Sort", dim, descending, size, SortKernels.PickPrefix);
        if (_shape.Length == 0) { v = v.Reshape(); i = i.Reshape(); }
        return (RecordSelection(v, i, d, "sort"), i);
    }

    /// <summary>Indices that sort along <paramref name="dim"/> (<c>torch.argsort</c>), Int64, stable, NaN last (first when descending).</summary>
    public Tensor Argsort(int dim = -1, bool descending = false, bool stable = true) => AliasRaw().Sort(dim, descending, stable).Indices;

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) entries along <paramref name="dim"/> and their Int64 indices
    /// (<c>torch.topk</c>). NaN counts as the largest value; ties keep original order. The result is always sorted
    /// (<paramref name="sorted"/> = false is allowed: PyTorch leaves that order unspecified). Differentiable.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative or larger than the dimension.</exception>
    public (Tensor Values, Tensor Indices) Topk(int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        _ = sorted;
        int size = _shape.Length == 0 ? 1 : _shape[ShapeUtil.NormDim(dim, _shape.Length, "Topk")];
        if (k < 0 || k > size)
            throw new ArgumentOutOfRangeException(nameof(k), $"Topk: k = {k} is out of range for dimension {dim} of size {size} (shape {Shape}); expected 0..{size}.");
        var (v, i, d) = SortCore("Topk", dim, largest, k, SortKernels.PickPrefix);
        if (_shape.Length == 0) { v = v.Reshape(); i = i.Reshape(); }
        return (RecordSelection(v, i, d, "topk"), i);
    }

    /// <summary>
    /// The <paramref name="k"/>-th smallest entry (1-based) along <paramref name="dim"/> and its Int64 index
    /// (<c>torch.kthvalue</c>); NaN counts as the largest. Differentiable.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside <c>1..size</c>.</exception>
    public (Tensor Values, Tensor Indices) Kthvalue(int k, int dim = -1, bool keepDim = false)
    {
        int size = _shape.Length == 0 ? 1 : _shape[ShapeUtil.NormDim(dim, _shape.Length, "Kthvalue")];
        if (k < 1 || k > size)
            throw new ArgumentOutOfRangeException(nameof(k), $"Kthvalue: k = {k} is out of range for dimension {dim} of size {size} (shape {Shape}); expected 1..{size}.");
        return PickOne("Kthvalue", dim, keepDim, k - 1, "kthvalue");
    }

    /// <summary>
    /// The lower median along <paramref name="dim"/> and its Int64 index (<c>torch.median(x, dim)</c>). If a line contains NaN,
    /// the result is NaN with the index of its first NaN, as in PyTorch. Differentiable.
    /// </summary>
    /// <exception cref="InvalidOperationException">The dimension is empty.</exception>
    public (Tensor Values, Tensor Indices) Median(int dim, bool keepDim = false)
    {
        int size = _shape.Length == 0 ? 1 : _shape[ShapeUtil.NormDim(dim, _shape.Length, "Median")];
        if (size == 0) throw new InvalidOperationException($"Median: cannot take the median over dimension {dim} of size 0 (shape {Shape}).");
        return PickOne("Median", dim, keepDim, SortKernels.PickMedian, "median");
    }

    /// <summary>The lower median of all elements (NaN if any), like <c>torch.median(x)</c>. Differentiable.</summary>
    /// <exception cref="InvalidOperationException">The tensor is empty.</exception>
    public Tensor Median()
    {
        if (_numel == 0) throw new InvalidOperationException("Median: the tensor is empty; specify a non-empty input.");
        return Reshape(-1).Median(0).Values;
    }

    private (Tensor Values, Tensor Indices) PickOne(string op, int dim, bool keepDim, int pick, string name)
    {
        var (v, i, d) = SortCore(op, dim, false, 0, pick);
        if (_shape.Length > 0 && keepDim) { v = v.Unsqueeze(d); i = i.Unsqueeze(d); }
        if (_f is null) return (v, i);
        var inShape = _shape;
        var vr = Record(v, name, this, g =>
        {
            if (inShape.Length == 0) return g.Reshape(inShape);
            var gk = keepDim ? g : g.Unsqueeze(d);
            var ik = keepDim ? i : i.Unsqueeze(d);
            return ScatterAddIntoZeros(inShape, d, ik, gk);
        });
        return (vr, i);
    }
}
