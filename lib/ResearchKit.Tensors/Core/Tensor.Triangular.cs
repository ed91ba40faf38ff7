namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── triangular masks and diagonals ─────────────────────────────

    /// <summary>
    /// Lower triangle of the last two dimensions (<c>torch.tril</c>): keeps element (i, j) when <c>j − i ≤ diagonal</c>,
    /// zero elsewhere. Batched over leading dims, differentiable (the gradient is masked the same way). Works on Int64 too.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has fewer than two dimensions.</exception>
    public Tensor Tril(int diagonal = 0) => Triangle("Tril", diagonal, lower: true);

    /// <summary>Upper triangle (<c>torch.triu</c>): keeps element (i, j) when <c>j − i ≥ diagonal</c>.</summary>
    /// <exception cref="ArgumentException">The tensor has fewer than two dimensions.</exception>
    public Tensor Triu(int diagonal = 0) => Triangle("Triu", diagonal, lower: false);

    private Tensor Triangle(string op, int diagonal, bool lower)
    {
        if (_shape.Length < 2) throw ThrowHelper.Rank(op, this, "a tensor with at least 2 dimensions (…, rows, cols)");
        int rows = _shape[^2], cols = _shape[^1];
        int mats = rows * cols == 0 ? 0 : _numel / (rows * cols);
        var r = AliasRaw().Clone();
        for (int m = 0; m < mats; m++)
            for (int i = 0; i < rows; i++)
            {
                // Columns to zero: tril keeps j ≤ i + diagonal, triu keeps j ≥ i + diagonal.
                int lo = lower ? Math.Clamp(i + diagonal + 1, 0, cols) : 0;
                int hi = lower ? cols : Math.Clamp(i + diagonal, 0, cols);
                int row = (m * rows + i) * cols;
                if (r._f is not null) r._f.AsSpan(row + lo, hi - lo).Clear();
                else r._l!.AsSpan(row + lo, hi - lo).Clear();
            }
        if (_f is null) return r;
        return Record(r, lower ? "tril" : "triu", this, g => lower ? g.Tril(diagonal) : g.Triu(diagonal), NoSaved);
    }

    /// <summary>
    /// The diagonal with <paramref name="offset"/> of the planes spanned by <paramref name="dim1"/> and <paramref name="dim2"/>,
    /// as a view appended as the last dimension (<c>torch.diagonal</c>). Offset &gt; 0 is above the main diagonal.
    /// </summary>
    /// <exception cref="ArgumentException">The two dims are equal.</exception>
    public Tensor Diagonal(int offset = 0, int dim1 = 0, int dim2 = 1)
    {
        const string op = "Diagonal";
        int n = _shape.Length;
        int a = ShapeUtil.NormDim(dim1, n, op), b = ShapeUtil.NormDim(dim2, n, op);
        if (a == b) throw new ArgumentException($"{op}: dim1 and dim2 must differ, both are {a} (shape {Shape}).");
        int len = offset >= 0 ? Math.Max(0, Math.Min(_shape[a], _shape[b] - offset)) : Math.Max(0, Math.Min(_shape[a] + offset, _shape[b]));
        int start = len == 0 ? _offset : _offset + (offset >= 0 ? offset * _strides[b] : -offset * _strides[a]);
        var sh = new int[n - 1]; var st = new int[n - 1];
        for (int i = 0, j = 0; i < n; i++) if (i != a && i != b) { sh[j] = _shape[i]; st[j] = _strides[i]; j++; }
        sh[^1] = len; st[^1] = _strides[a] + _strides[b];
        var inShape = _shape;
        return Record(MakeView(sh, st, start), "diagonal", this,
            g => IntoZeros(inShape, g, z => z.Diagonal(offset, a, b), "diagonal_backward"), NoSaved);
    }
}
