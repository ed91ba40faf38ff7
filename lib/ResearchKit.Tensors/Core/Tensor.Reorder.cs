namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── flip / roll / repeat ─────────────────────────────

    /// <summary>Reverses the order of elements along <paramref name="dims"/> (<c>torch.flip</c>; returns a copy). Works on Int64 too.</summary>
    /// <exception cref="ArgumentException">A dimension repeats.</exception>
    public Tensor Flip(params int[] dims)
    {
        int n = _shape.Length;
        var st = (int[])_strides.Clone();
        int off = _offset;
        var seen = new bool[Math.Max(n, 1)];
        foreach (int dim in dims)
        {
            int d = ShapeUtil.NormDim(dim, n, "Flip");
            if (seen[d]) throw new ArgumentException($"Flip: dimension {d} appears twice in {ShapeUtil.Format(dims)}.");
            seen[d] = true;
            if (n == 0 || _shape[d] == 0) continue;
            // A negative stride starting at the last element reads the dimension backwards.
            off += (_shape[d] - 1) * _strides[d];
            st[d] = -_strides[d];
        }
        var shape = (int[])_shape.Clone();
        Tensor r;
        if (_f is not null)
        {
            r = Empty(shape);
            if (_numel > 0) StridedCopy.Gather(_f, off, shape, st, r._f!);
        }
        else
        {
            var data = new long[_numel];
            if (_numel > 0) StridedCopy.Gather(_l!, off, shape, st, data);
            r = new Tensor(data, shape);
        }
        var flipDims = (int[])dims.Clone();
        return Record(r, "flip", this, g => g.Flip(flipDims), NoSaved);
    }

    /// <summary>
    /// Rolls elements by <paramref name="shifts"/> along <paramref name="dim"/> (elements leaving one end re-enter at the other),
    /// like <c>torch.roll</c>. Without a dim the tensor is rolled as if flattened, then restored to its shape.
    /// </summary>
    public Tensor Roll(int shifts, int? dim = null)
    {
        if (dim is null) return Reshape(-1).Roll([shifts], [0]).Reshape(_shape);
        return Roll([shifts], [dim.Value]);
    }

    /// <summary>Rolls by <c>shifts[i]</c> along <c>dims[i]</c> for every i (<c>torch.roll(x, shifts, dims)</c>).</summary>
    /// <exception cref="ArgumentException">The two arrays differ in length.</exception>
    public Tensor Roll(int[] shifts, int[] dims)
    {
        if (shifts.Length != dims.Length || shifts.Length == 0)
            throw new ArgumentException($"Roll: shifts {ShapeUtil.Format(shifts)} and dims {ShapeUtil.Format(dims)} must be non-empty and of equal length.");
        var r = this;
        bool copied = false;
        for (int i = 0; i < dims.Length; i++)
        {
            int d = ShapeUtil.NormDim(dims[i], _shape.Length, "Roll");
            int size = _shape[d];
            if (size == 0) continue;
            int s = ((shifts[i] % size) + size) % size;
            if (s == 0) continue;
            // out[j] = x[(j - s) mod size]: the last s entries move to the front.
            r = Cat([r.Narrow(d, size - s, s), r.Narrow(d, 0, size - s)], d);
            copied = true;
        }
        return copied ? r : Clone();
    }

    /// <summary>
    /// Tiles the tensor <paramref name="repeats"/>[i] times along each dimension (<c>tensor.repeat</c>); extra leading repeats
    /// add dimensions. The gradient sums the tiles. Works on Int64 too.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer repeats than dimensions, or a negative repeat.</exception>
    public Tensor Repeat(params int[] repeats)
    {
        int n = repeats.Length;
        if (n < _shape.Length)
            throw new ArgumentException($"Repeat: {n} repeats {ShapeUtil.Format(repeats)} given for a tensor of shape {Shape}; the number of repeats must be at least the number of dimensions ({_shape.Length}).");
        foreach (int r in repeats)
            if (r < 0) throw new ArgumentException($"Repeat: repeats must be non-negative, got {ShapeUtil.Format(repeats)}.");
        // View as (1, s0, 1, s1, …), expand to (r0, s0, r1, s1, …), then merge each pair: expand's backward sums the tiles.
        var padded = new int[n];
        for (int i = 0; i < n; i++) padded[i] = i < n - _shape.Length ? 1 : _shape[i - (n - _shape.Length)];
        var inter = new int[2 * n]; var expanded = new int[2 * n]; var outShape = new int[n];
        for (int i = 0; i < n; i++)
        {
            inter[2 * i] = 1; inter[2 * i + 1] = padded[i];
            expanded[2 * i] = repeats[i]; expanded[2 * i + 1] = padded[i];
            outShape[i] = repeats[i] * padded[i];
        }
        return Reshape(inter).Expand(expanded).Reshape(outShape);
    }

    /// <summary>
    /// Repeats each element <paramref name="repeats"/> times along <paramref name="dim"/> (<c>torch.repeat_interleave</c>);
    /// without a dim the input is flattened first. Differentiable.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="repeats"/> is negative.</exception>
    public Tensor RepeatInterleave(int repeats, int? dim = null)
    {
        if (repeats < 0) throw new ArgumentException($"RepeatInterleave: repeats must be non-negative, got {repeats}.");
        var x = dim is null ? Reshape(-1) : this;
        int d = ShapeUtil.NormDim(dim ?? 0, x._shape.Length, "RepeatInterleave");
        var sh = (int[])x._shape.Clone();
        var ex = new int[sh.Length + 1];
        for (int i = 0, j = 0; i < ex.Length; i++) ex[i] = i == d + 1 ? repeats : sh[j++];
        sh[d] *= repeats;
        return x.Unsqueeze(d + 1).Expand(ex).Reshape(sh);
    }

    /// <summary>
    /// Repeats element i of dimension <paramref name="dim"/> <c>repeats[i]</c> times (<c>torch.repeat_interleave</c> with a
    /// tensor of counts; a one-element tensor applies to all). Without a dim the input is flattened first.
    /// </summary>
    /// <exception cref="ArgumentException">Counts are not Int64, have the wrong length, or are negative.</exception>
    public Tensor RepeatInterleave(Tensor repeats, int? dim = null)
    {
        const string op = "RepeatInterleave";
        ThrowHelper.RequireInt64(op, repeats, "repeats");
        var x = dim is null ? Reshape(-1) : this;
        int d = ShapeUtil.NormDim(dim ?? 0, x._shape.Length, op);
        var counts = repeats.ReadInt64Span();
        int size = x._shape[d];
        if (repeats.Dim > 1 || (counts.Length != size && counts.Length != 1))
            throw new ArgumentException($"{op}: repeats of shape {repeats.Shape} must be 1-D with {size} entries (the size of dimension {d} of shape {x.Shape}) or a single entry.");
        var idx = new List<long>();
        for (int i = 0; i < size; i++)
        {
            long c = counts.Length == 1 ? counts[0] : counts[i];
            if (c < 0) throw new ArgumentException($"{op}: repeats must be non-negative, got {c} at position {i}.");
            for (long k = 0; k < c; k++) idx.Add(i);
        }
        return x.IndexSelect(d, new Tensor(idx.ToArray(), [idx.Count]));
    }
}
