namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── movement (views) ─────────────────────────────

    private Tensor MakeView(int[] shape, int[] strides, int offset) => new(this, shape, strides, offset);

    /// <summary>A raw view with explicit geometry (<c>torch.as_strided</c> without autograd), for tests of view handling.</summary>
    internal Tensor AsStrided(int[] shape, int[] strides, int offset = 0) => MakeView((int[])shape.Clone(), (int[])strides.Clone(), _offset + offset);

    private int[] InferShape(int[] shape, string op)
    {
        var r = (int[])shape.Clone();
        int infer = -1; long known = 1;
        for (int i = 0; i < r.Length; i++)
        {
            if (r[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1, got {ShapeUtil.Format(shape)}.");
                infer = i;
            }
            else if (r[i] < 0) throw new ArgumentException($"{op}: invalid dimension {r[i]} in {ShapeUtil.Format(shape)}.");
            else known *= r[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || _numel % known != 0)
                throw new ArgumentException($"{op}: cannot infer -1 in {ShapeUtil.Format(shape)} for a tensor of shape {Shape} ({_numel} elements).");
            r[infer] = (int)(_numel / known);
        }
        else if (known != _numel)
            throw new ArgumentException($"{op}: shape {ShapeUtil.Format(shape)} ({known} elements) is invalid for a tensor of shape {Shape} ({_numel} elements).");
        return r;
    }

    /// <summary>Same data with a new shape; one dimension may be -1 (<c>tensor.view</c>). Requires a contiguous tensor.</summary>
    /// <exception cref="ArgumentException">Element counts differ.</exception>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous; use <see cref="Reshape"/>.</exception>
    public Tensor View(params int[] shape)
    {
        var s = InferShape(shape, "View");
        if (!IsContiguous)
            throw new InvalidOperationException($"View: tensor of shape {Shape} with strides {ShapeUtil.Format(_strides)} is not contiguous, so it cannot be viewed as {ShapeUtil.Format(s)}; use Reshape() (copies) or call Contiguous() first.");
        var inShape = _shape;
        return Record(MakeView(s, ShapeUtil.ContiguousStrides(s), _offset), "view", this, g => g.Reshape(inShape), NoSaved);
    }

    /// <summary>Like <see cref="View"/> but copies when the layout requires it (<c>tensor.reshape</c>).</summary>
    public Tensor Reshape(params int[] shape) => IsContiguous ? View(shape) : Contiguous().View(shape);

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one (<c>torch.flatten</c>).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (_shape.Length == 0) return Reshape(1);
        int s = ShapeUtil.NormDim(startDim, _shape.Length, "Flatten"), e = ShapeUtil.NormDim(endDim, _shape.Length, "Flatten");
        if (s > e) throw new ArgumentException($"Flatten: startDim ({startDim}) must not come after endDim ({endDim}).");
        var ns = new List<int>();
        for (int i = 0; i < s; i++) ns.Add(_shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= _shape[i];
        ns.Add(m);
        for (int i = e + 1; i < _shape.Length; i++) ns.Add(_shape[i]);
        return Reshape(ns.ToArray());
    }

    /// <summary>Reorders dimensions (<c>tensor.permute</c>).</summary>
    /// <exception cref="ArgumentException">The dims are not a permutation of 0..rank-1.</exception>
    public Tensor Permute(params int[] dims)
    {
        int n = _shape.Length;
        if (dims.Length != n) throw new ArgumentException($"Permute: got {dims.Length} dims for a tensor of rank {n} (shape {Shape}).");
        var seen = new bool[n];
        var sh = new int[n]; var st = new int[n]; var inv = new int[n];
        for (int i = 0; i < n; i++)
        {
            int d = ShapeUtil.NormDim(dims[i], n, "Permute");
            if (seen[d]) throw new ArgumentException($"Permute: dimension {d} repeats in {ShapeUtil.Format(dims)}.");
            seen[d] = true;
            sh[i] = _shape[d]; st[i] = _strides[d]; inv[d] = i;
        }
        return Record(MakeView(sh, st, _offset), "permute", this, g => g.Permute(inv), NoSaved);
    }

    /// <summary>Swaps two dimensions (<c>tensor.transpose</c>).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int n = _shape.Length;
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        int a = ShapeUtil.NormDim(dim0, n, "Transpose"), b = ShapeUtil.NormDim(dim1, n, "Transpose");
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(p);
    }

    /// <summary>Transpose of a matrix (<c>tensor.T</c> for 2-D).</summary>
    /// <exception cref="InvalidOperationException">The tensor is not 2-D.</exception>
    public Tensor T => _shape.Length == 2 ? Transpose(0, 1) : throw new InvalidOperationException($"T: expected a 2-D tensor, got shape {Shape}; use Transpose(dim0, dim1) or Permute.");

    /// <summary>Inserts a dimension of size one at <paramref name="dim"/> (<c>tensor.unsqueeze</c>).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int n = _shape.Length;
        int d = dim < 0 ? dim + n + 1 : dim;
        if (d < 0 || d > n) throw new ArgumentOutOfRangeException(nameof(dim), $"Unsqueeze: dimension {dim} is out of range for rank {n} (expected {-n - 1}..{n}).");
        var sh = new int[n + 1]; var st = new int[n + 1];
        for (int i = 0, j = 0; i <= n; i++)
        {
            if (i == d) { sh[i] = 1; st[i] = j < n ? _strides[j] * _shape[j] : 1; continue; }
            sh[i] = _shape[j]; st[i] = _strides[j]; j++;
        }
        var inShape = _shape;
        return Record(MakeView(sh, st, _offset), "unsqueeze", this, g => g.Reshape(inShape), NoSaved);
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is one (<c>tensor.squeeze(dim)</c>).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Squeeze");
        if (_shape.Length == 0 || _shape[d] != 1) return this;
        var sh = new int[_shape.Length - 1]; var st = new int[_shape.Length - 1];
        for (int i = 0, j = 0; i < _shape.Length; i++) if (i != d) { sh[j] = _shape[i]; st[j] = _strides[i]; j++; }
        var inShape = _shape;
        return Record(MakeView(sh, st, _offset), "squeeze", this, g => g.Reshape(inShape), NoSaved);
    }

    /// <summary>Removes every dimension of size one (<c>tensor.squeeze()</c>).</summary>
    public Tensor Squeeze()
    {
        var sh = new List<int>(); var st = new List<int>();
        for (int i = 0; i < _shape.Length; i++) if (_shape[i] != 1) { sh.Add(_shape[i]); st.Add(_strides[i]); }
        var inShape = _shape;
        return Record(MakeView(sh.ToArray(), st.ToArray(), _offset), "squeeze", this, g => g.Reshape(inShape), NoSaved);
    }

    /// <summary>Broadcasts size-one dimensions to <paramref name="shape"/> without copying; -1 keeps a size (<c>tensor.expand</c>).</summary>
    /// <exception cref="ArgumentException">The shape is not reachable by broadcasting.</exception>
    public Tensor Expand(params int[] shape)
    {
        int n = shape.Length, off = n - _shape.Length;
        if (off < 0) throw new ArgumentException($"Expand: target {ShapeUtil.Format(shape)} has fewer dimensions than the tensor's shape {Shape}.");
        var sh = new int[n]; var st = new int[n];
        for (int i = 0; i < n; i++)
        {
            int src = i - off;
            int want = shape[i];
            if (src < 0) { if (want < 0) throw new ArgumentException($"Expand: -1 is not allowed for new leading dimension {i}."); sh[i] = want; st[i] = 0; continue; }
            if (want == -1) want = _shape[src];
            if (_shape[src] == want) { sh[i] = want; st[i] = _strides[src]; }
            else if (_shape[src] == 1) { sh[i] = want; st[i] = 0; }
            else throw new ArgumentException($"Expand: the tensor of shape {Shape} cannot be expanded to {ShapeUtil.Format(shape)} (dimension {i}: {_shape[src]} vs {want}; only size-1 dimensions expand).");
        }
        if (ShapeUtil.SameShape(sh, _shape)) return this;
        var inShape = _shape;
        return Record(MakeView(sh, st, _offset), "expand", this, g => g.SumToShape(inShape), NoSaved);
    }

    /// <summary>Expands to the shape of <paramref name="other"/>.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other._shape);

    /// <summary>The slice <c>start..start+length-1</c> of dimension <paramref name="dim"/> as a view (<c>tensor.narrow</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range leaves the dimension.</exception>
    public Tensor Narrow(int dim, int start, int length) => Slice(dim, start, start + length);

    /// <summary>
    /// Elements <paramref name="start"/>, <c>start+step</c>, … below <paramref name="end"/> along <paramref name="dim"/>
    /// as a view (<c>tensor[:, start:end:step]</c>). Negative start/end count from the end; end is clamped.
    /// </summary>
    public Tensor Slice(int dim, int start, int? end = null, int step = 1)
    {
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Slice");
        int size = _shape[d];
        if (step <= 0) throw new ArgumentException($"Slice: step must be positive, got {step}.");
        int s = start < 0 ? start + size : start;
        int e = end is null ? size : end.Value < 0 ? end.Value + size : end.Value;
        e = Math.Min(e, size);
        if (s < 0 || s > size) throw new ArgumentOutOfRangeException(nameof(start), $"Slice: start {start} is out of range for dimension {d} of size {size}.");
        int len = Math.Max(0, (e - s + step - 1) / step);
        var sh = (int[])_shape.Clone(); var st = (int[])_strides.Clone();
        sh[d] = len; st[d] = _strides[d] * step;
        var inShape = _shape;
        return Record(MakeView(sh, st, _offset + s * _strides[d]), "slice", this,
            g => IntoZeros(inShape, g, z => z.Slice(d, s, e, step), "slice_backward"), NoSaved);
    }

    /// <summary>
    /// zeros(<paramref name="shape"/>) with <paramref name="g"/> written into the view <paramref name="viewOf"/> picks: the
    /// backward of a view op. Recorded, with that same view as its own backward, so double backward flows through it.
    /// </summary>
    internal static Tensor IntoZeros(int[] shape, Tensor g, Func<Tensor, Tensor> viewOf, string name)
    {
        var z = g._dev is null ? Zeros(shape) : FullOn(g.Device, shape, 0f);
        using (Torch.NoGrad()) viewOf(z).CopyFrom(g);
        return Record(z, name, g, gg => viewOf(gg), NoSaved);
    }

    /// <summary>Selects one index of <paramref name="dim"/>, removing the dimension (<c>tensor.select</c>, <c>x[i]</c>).</summary>
    public Tensor Select(int dim, int index)
    {
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Select");
        int i = index < 0 ? index + _shape[d] : index;
        if ((uint)i >= (uint)_shape[d]) throw new ArgumentOutOfRangeException(nameof(index), $"Select: index {index} is out of range for dimension {d} of size {_shape[d]}.");
        return Slice(d, i, i + 1).Squeeze(d);
    }

    /// <summary>Splits into views of <paramref name="splitSize"/> along <paramref name="dim"/>; the last may be smaller (<c>torch.split</c>).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Split");
        if (splitSize <= 0) throw new ArgumentException($"Split: splitSize must be positive, got {splitSize}.");
        int n = (_shape[d] + splitSize - 1) / splitSize;
        var r = new Tensor[n];
        for (int i = 0; i < n; i++) r[i] = Narrow(d, i * splitSize, Math.Min(splitSize, _shape[d] - i * splitSize));
        return r;
    }

    /// <summary>Splits into views with the given sizes along <paramref name="dim"/>.</summary>
    /// <exception cref="ArgumentException">The sizes do not add up to the dimension.</exception>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Split");
        int total = 0; foreach (int s in sizes) total += s;
        if (total != _shape[d]) throw new ArgumentException($"Split: sizes {ShapeUtil.Format(sizes)} sum to {total}, but dimension {d} has size {_shape[d]}.");
        var r = new Tensor[sizes.Length];
        for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++) r[i] = Narrow(d, start, sizes[i]);
        return r;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal views (<c>torch.chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        int d = ShapeUtil.NormDim(dim, _shape.Length, "Chunk");
        if (chunks <= 0) throw new ArgumentException($"Chunk: chunks must be positive, got {chunks}.");
        return Split((_shape[d] + chunks - 1) / chunks, d);
    }
}
