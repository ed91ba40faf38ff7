using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── cumulative scans ─────────────────────────────

    /// <summary>
    /// Cumulative sum along <paramref name="dim"/> (<c>torch.cumsum</c>), accumulated in double for Float32 as PyTorch's CPU
    /// kernel does; Int64 stays Int64. Gradient: the reversed cumulative sum of g.
    /// </summary>
    public Tensor Cumsum(int dim)
    {
        var x = _shape.Length == 0 ? AliasRaw().Reshape(1) : this;
        int d = ShapeUtil.NormDim(dim, x._shape.Length, "Cumsum");
        var (outer, size, inner) = x.Around(d);
        var shape = (int[])_shape.Clone();
        Tensor r;
        if (_f is not null) { r = Empty(shape); ScanKernels.Cumsum(x.ReadSpan(), outer, size, inner, r._f.AsSpan(0, r._numel)); }
        else { r = ZerosInt64(shape); ScanKernels.Cumsum(x.ReadInt64Span(), outer, size, inner, r._l.AsSpan(0, r._numel)); }
        if (_f is null) return r;
        return Record(r, "cumsum", this, g => g.Dim == 0 ? g : g.Flip(d).Cumsum(d).Flip(d), NoSaved);
    }

    /// <summary>
    /// Cumulative product along <paramref name="dim"/> (<c>torch.cumprod</c>), accumulated in double for Float32.
    /// The gradient is exact when the input contains zeros (computed by a dedicated kernel, so it is not itself differentiable).
    /// </summary>
    public Tensor Cumprod(int dim)
    {
        var x = _shape.Length == 0 ? AliasRaw().Reshape(1) : this;
        int d = ShapeUtil.NormDim(dim, x._shape.Length, "Cumprod");
        var (outer, size, inner) = x.Around(d);
        var shape = (int[])_shape.Clone();
        Tensor r;
        if (_f is not null) { r = Empty(shape); ScanKernels.Cumprod(x.ReadSpan(), outer, size, inner, r._f.AsSpan(0, r._numel)); }
        else { r = ZerosInt64(shape); ScanKernels.Cumprod(x.ReadInt64Span(), outer, size, inner, r._l.AsSpan(0, r._numel)); }
        if (_f is null) return r;
        var self = this;
        return Record(r, "cumprod", this, g =>
        {
            if (GradMode.IsEnabled)
                throw new NotSupportedException("cumprod: double backward (createGraph: true) is not supported; its backward is a span kernel that handles zeros exactly. Use Log/Exp of a positive input (Cumsum of Log, then Exp) if you need higher-order gradients.");
            var dx = Empty(shape);
            ScanKernels.CumprodBackward(self.ReadSpan(), g.Float().ReadSpan(), outer, size, inner, dx._f.AsSpan(0, dx._numel));
            return dx;
        });
    }
}
