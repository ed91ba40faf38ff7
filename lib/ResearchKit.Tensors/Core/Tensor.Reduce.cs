using System.Numerics.Tensors;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── reductions ─────────────────────────────

    private bool[] ReduceMask(int[]? dims, string op)
    {
        int n = _shape.Length;
        var m = new bool[n];
        if (dims is null || dims.Length == 0) { Array.Fill(m, true); return m; }
        foreach (int d in dims)
        {
            int k = ShapeUtil.NormDim(d, n, op);
            if (m[k]) throw new ArgumentException($"{op}: dimension {k} appears twice in {ShapeUtil.Format(dims)}.");
            m[k] = true;
        }
        return m;
    }

    private int[] KeptShape(bool[] mask, bool keepDim)
    {
        var r = new List<int>(_shape.Length);
        for (int i = 0; i < _shape.Length; i++)
            if (!mask[i]) r.Add(_shape[i]);
            else if (keepDim) r.Add(1);
        return r.ToArray();
    }

    /// <summary>Sums the dims in <paramref name="mask"/> of a Float32 tensor (no autograd), result in keepdim shape.</summary>
    private Tensor SumRaw(bool[] mask)
    {
        if (_dev is not null) return DeviceSumRaw(mask);
        var x = Float().Contiguous();
        var shape = (int[])_shape.Clone();
        var cur = x;   // the tensor whose storage `data` is (kept, so pooled storage stays ours)
        var data = x._f!;
        int len = x._numel;
        // Reduce one block of adjacent dims at a time: view as (outer, R, inner).
        for (int hi = shape.Length - 1; hi >= 0; hi--)
        {
            if (!mask[hi] || shape[hi] == 1) continue;
            int lo = hi;
            while (lo > 0 && mask[lo - 1]) lo--;
            int outer = 1, red = 1, inner = 1;
            for (int i = 0; i < lo; i++) outer *= shape[i];
            for (int i = lo; i <= hi; i++) red *= shape[i];
            for (int i = hi + 1; i < shape.Length; i++) inner *= shape[i];
            var dstT = Empty([outer * inner]);
            var dst = dstT._f!;
            var src = data.AsSpan(0, len);
            if (inner == 1)
                for (int o = 0; o < outer; o++) dst[o] = TensorPrimitives.Sum(src.Slice(o * red, red));
            else
                for (int o = 0; o < outer; o++)
                {
                    var acc = dst.AsSpan(o * inner, inner);
                    var block = src.Slice(o * red * inner, red * inner);
                    block.Slice(0, inner).CopyTo(acc);
                    for (int r = 1; r < red; r++) TensorPrimitives.Add(acc, block.Slice(r * inner, inner), acc);
                }
            for (int i = lo; i <= hi; i++) shape[i] = 1;
            cur = dstT; data = dst; len = dst.Length;
            hi = lo;
        }
        for (int i = 0; i < shape.Length; i++) if (mask[i]) shape[i] = 1;
        if (ReferenceEquals(cur, x))
        {
            var copy = Empty(shape);
            data.AsSpan(0, len).CopyTo(copy._f);
            return copy;
        }
        return AliasOf(cur, shape);
    }

    /// <summary>Sum over <paramref name="dims"/> (all when none), like <c>tensor.sum(dim, keepdim)</c>; Int64 sums exactly to Int64 (wrapping on overflow).</summary>
    public Tensor Sum(int[]? dims = null, bool keepDim = false)
    {
        var mask = ReduceMask(dims, "Sum");
        if (_l is not null) return SumInt64(mask, keepDim);
        var y = SumRaw(mask);
        var outShape = KeptShape(mask, keepDim);
        var keptShape = y._shape;
        var inShape = _shape;
        y = y.View(outShape);
        return Record(y, "sum", this, g => g.Reshape(keptShape).Expand(inShape), NoSaved);
    }

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean over <paramref name="dims"/> (all when none), like <c>tensor.mean</c>.</summary>
    /// <exception cref="InvalidOperationException">The tensor is Int64: like <c>torch.mean</c>, no output dtype is inferred; call <c>.Float()</c> first.</exception>
    public Tensor Mean(int[]? dims = null, bool keepDim = false)
    {
        if (_l is not null) throw MeanOfInt64("Mean", this);
        var mask = ReduceMask(dims, "Mean");
        int count = 1;
        for (int i = 0; i < mask.Length; i++) if (mask[i]) count *= _shape[i];
        return Sum(dims, keepDim) * (1f / count);
    }

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>
    /// Variance over <paramref name="dims"/> with Bessel's <paramref name="correction"/> (1 = unbiased, PyTorch's default; 0 = population).
    /// </summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        if (_l is not null) throw MeanOfInt64("Var", this);
        var mask = ReduceMask(dims, "Var");
        int count = 1;
        for (int i = 0; i < mask.Length; i++) if (mask[i]) count *= _shape[i];
        var centered = this - Mean(dims, keepDim: true);
        return centered.Square().Sum(dims, keepDim) * (1f / Math.Max(count - correction, 0));
    }

    /// <summary>Standard deviation (square root of <see cref="Var"/>).</summary>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>Sum of all elements reduced into <paramref name="shape"/> (the adjoint of broadcasting).</summary>
    internal Tensor SumToShape(int[] shape)
    {
        if (ShapeUtil.SameShape(shape, _shape)) return this;
        int lead = _shape.Length - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < _shape.Length; i++)
            if (i < lead || (shape[i - lead] == 1 && _shape[i] != 1)) dims.Add(i);
        var s = dims.Count == 0 ? this : Sum(dims.ToArray(), keepDim: true);
        return s.Reshape(shape);
    }

    // ───────────────────────────── max / min / arg ─────────────────────────────

    /// <summary>(values, Int64 indices) of the max over <paramref name="dim"/>, first index on ties (<c>torch.max(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => Extremum(dim, keepDim, true);

    /// <summary>(values, Int64 indices) of the min over <paramref name="dim"/> (<c>torch.min(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => Extremum(dim, keepDim, false);

    /// <summary>Index of the max over <paramref name="dim"/> as Int64 (<c>argmax</c>).</summary>
    public Tensor Argmax(int dim, bool keepDim = false) => Extremum(dim, keepDim, true).Indices;

    /// <summary>Index of the min over <paramref name="dim"/> as Int64 (<c>argmin</c>).</summary>
    public Tensor Argmin(int dim, bool keepDim = false) => Extremum(dim, keepDim, false).Indices;

    /// <summary>Largest element (NaN if any), differentiable: ties share the gradient equally as in PyTorch.</summary>
    public Tensor Max() => GlobalExtremum(true);

    /// <summary>Smallest element (NaN if any).</summary>
    public Tensor Min() => GlobalExtremum(false);

    private Tensor GlobalExtremum(bool max)
    {
        if (_l is not null) return GlobalExtremumInt64(max);
        if (_dev is not null) return GlobalExtremumOnDevice(max);
        var x = Float().ReadSpan();
        if (x.Length == 0) throw new InvalidOperationException($"{(max ? "Max" : "Min")}: the tensor is empty; specify a dimension or check the input.");
        float v = max ? TensorPrimitives.Max(x) : TensorPrimitives.Min(x);
        var y = Scalar(v);
        return Record(y, max ? "max" : "min", this, g =>
        {
            var m = Eq(v);
            return m * (g / m.Sum());
        });
    }

    private (Tensor Values, Tensor Indices) Extremum(int dim, bool keepDim, bool max)
    {
        string op = max ? "Max" : "Min";
        if (_shape.Length == 0) dim = 0;
        int d = ShapeUtil.NormDim(dim, _shape.Length, op);
        int outer = 1, red = _shape.Length == 0 ? 1 : _shape[d], inner = 1;
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < _shape.Length; i++) inner *= _shape[i];
        if (red == 0) throw new InvalidOperationException($"{op}: cannot reduce over dimension {d} of size 0 (shape {Shape}).");
        var mask = new bool[Math.Max(_shape.Length, 1)];
        mask[d] = true;
        int[] outShape = _shape.Length == 0 ? [] : KeptShape(mask, keepDim);
        if (_l is not null) return ExtremumInt64(outer, red, inner, outShape, max);
        if (_dev is not null) return ExtremumOnDevice(d, outer, red, inner, outShape, keepDim, max);
        var x = Contiguous();
        var values = Empty(outShape);
        var vals = values._f!;
        var idx = new long[outer * inner];
        var src = x._f!;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int baseOff = o * red * inner + i;
                float best = src[baseOff]; int bi = 0;
                if (!float.IsNaN(best))
                    for (int r = 1; r < red; r++)
                    {
                        float v = src[baseOff + r * inner];
                        if (float.IsNaN(v)) { best = v; bi = r; break; }
                        if (max ? v > best : v < best) { best = v; bi = r; }
                    }
                vals[o * inner + i] = best; idx[o * inner + i] = bi;
            }
        var indices = new Tensor(idx, (int[])outShape.Clone());
        var inShape = _shape;
        values = Record(values, max ? "max" : "min", this, g =>
        {
            if (GradMode.IsEnabled) // createGraph: scatter through a recorded op, so the rule stays differentiable in g
            {
                if (inShape.Length == 0) return g.Reshape(inShape);
                var ik = keepDim ? indices : indices.Unsqueeze(d);
                return ScatterAddIntoZeros(inShape, d, ik, keepDim ? g : g.Unsqueeze(d));
            }
            var gi = Zeros(inShape);
            var gs = g.Contiguous().ReadSpan();
            var gd = gi._f!;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    gd[o * red * inner + (int)idx[o * inner + i] * inner + i] = gs[o * inner + i];
            return gi;
        });
        return (values, indices);
    }

    // The device kernel gives values and indices as the CPU loop does; the gradient goes back through the one-hot mask of the
    // indices times g (recorded ops, so the rule stays differentiable in g).
    private (Tensor Values, Tensor Indices) ExtremumOnDevice(int d, int outer, int red, int inner, int[] outShape, bool keepDim, bool max)
    {
        var backend = _dev!.Backend;
        if (_dev.DType != DType.Float32) throw NoKernelOnDevice($"{(max ? "Max" : "Min")} of Int64 labels");
        var x = IsContiguous ? this : CloneOnDevice();
        var values = EmptyOn(backend, (int[])outShape.Clone());
        var indices = OnDevice(backend.AllocateLabels((long)outer * inner), (int[])outShape.Clone());
        backend.Extremum(x._dev!, x._offset, outer, red, inner, max, values._dev!, indices._dev!);
        var inShape = _shape;
        values = Record(values, max ? "max" : "min", this, g =>
        {
            var mask = EmptyOn(backend, (int[])inShape.Clone());
            backend.OneHot(indices._dev!, outer, red, inner, mask._dev!);
            return mask * (keepDim || inShape.Length == 0 ? g : g.Unsqueeze(d));
        });
        return (values, indices);
    }

    // Ties share the gradient equally, as on the CPU.
    private Tensor GlobalExtremumOnDevice(bool max)
    {
        if (_numel == 0) throw new InvalidOperationException($"{(max ? "Max" : "Min")}: the tensor is empty; specify a dimension or check the input.");
        Tensor v;
        using (Torch.NoGrad())
        {
            var flat = Reshape(-1);
            v = (max ? flat.Max(0) : flat.Min(0)).Values;
        }
        return Record(v, max ? "max" : "min", this, g =>
        {
            var m = Eq(v);
            return m * (g / m.Sum());
        });
    }

    // ───────────────────────────── norms ─────────────────────────────

    /// <summary>
    /// Vector p-norm over <paramref name="dims"/> (all when none): p = 1, 2 or <see cref="float.PositiveInfinity"/>,
    /// or any p &gt; 0 (<c>torch.linalg.vector_norm</c>). The gradient at 0 is 0.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="p"/> is not positive.</exception>
    public Tensor Norm(float p = 2f, int[]? dims = null, bool keepDim = false)
    {
        if (!(p > 0)) throw new ArgumentException($"Norm: p must be positive (1, 2, inf or any p > 0), got {p}.");
        if (p == 1f) return Abs().Sum(dims, keepDim);
        if (float.IsPositiveInfinity(p))
        {
            if (dims is null || dims.Length == 0) return Abs().Max();
            if (dims.Length != 1) return Abs().AmaxMulti(dims, keepDim);
            return Abs().Max(dims[0], keepDim).Values;
        }
        Tensor n;
        using (Torch.NoGrad()) n = (p == 2f ? Square() : Abs().Pow(p)).Sum(dims, keepDim).Pow(1f / p);
        var x = this;
        var mask = ReduceMask(dims, "Norm");
        var keptShape = KeptShape(mask, true);
        var inShape = _shape;
        return Record(n, "norm", this, g =>
        {
            var nk = n.Reshape(keptShape); var gk = g.Reshape(keptShape);
            // d‖x‖/dx = x|x|^{p-2} / ‖x‖^{p-1}; define 0 where ‖x‖ = 0.
            var safe = Where(nk.Eq(0f), OnesLike(nk), nk);
            var num = p == 2f ? x : x * x.Abs().Pow(p - 2f);
            var r = gk * num / safe.Pow(p - 1f);
            return Where(nk.Eq(0f).Expand(inShape), ZerosLike(x), r);
        });
    }

    private Tensor AmaxMulti(int[] dims, bool keepDim)
    {
        var sorted = (int[])dims.Clone();
        for (int i = 0; i < sorted.Length; i++) sorted[i] = ShapeUtil.NormDim(sorted[i], _shape.Length, "Norm");
        Array.Sort(sorted);
        var r = this;
        for (int i = sorted.Length - 1; i >= 0; i--) r = r.Max(sorted[i], keepDim: true).Values;
        if (!keepDim) for (int i = sorted.Length - 1; i >= 0; i--) r = r.Squeeze(sorted[i]);
        return r;
    }

    /// <summary>Numerically stable <c>log Σ exp(x)</c> over <paramref name="dim"/>.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        Tensor m;
        using (Torch.NoGrad())
        {
            m = Max(dim, keepDim: true).Values;
            m = Where(m.Abs().Eq(float.PositiveInfinity), ZerosLike(m), m);
        }
        var r = (this - m).Exp().Sum(dim, keepDim: true).Log() + m;
        return keepDim ? r : r.Squeeze(dim);
    }
}
