using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── matrix products ─────────────────────────────

    /// <summary>
    /// Matrix product with PyTorch's <c>torch.matmul</c> rules: 1-D·1-D dot, 2-D·2-D matrix product, 1-D operands are
    /// promoted and the added dimension removed, and leading (batch) dimensions broadcast.
    /// </summary>
    /// <exception cref="ArgumentException">Inner dimensions differ (both shapes are named) or an operand is 0-D.</exception>
    public Tensor Matmul(Tensor other)
    {
        var a = this; var b = other;
        if (a.Dim == 0 || b.Dim == 0)
            throw new ArgumentException($"Matmul: both arguments need at least one dimension, got {a.Shape} and {b.Shape}; use * for scalars.");
        bool aVec = a.Dim == 1, bVec = b.Dim == 1;
        var a2 = aVec ? a.Unsqueeze(0) : a;
        var b2 = bVec ? b.Unsqueeze(-1) : b;
        int k = a2._shape[^1];
        if (b2._shape[^2] != k)
            throw new ArgumentException($"Matmul: inner dimensions differ: {a.Shape} @ {b.Shape} ({k} vs {b2._shape[^2]}).");
        var r = a2.Dim == 2 && b2.Dim == 2 ? Mm(a2, b2) : BatchedMatmul(a2, b2);
        if (aVec) r = r.Squeeze(-2);
        if (bVec) r = r.Squeeze(-1);
        return r;
    }

    /// <summary>Batched matrix product of 3-D tensors (<c>torch.bmm</c>): (B, n, k) @ (B, k, m) → (B, n, m).</summary>
    /// <exception cref="ArgumentException">Operands are not 3-D with the same batch and matching inner dimensions.</exception>
    public Tensor Bmm(Tensor other)
    {
        if (Dim != 3 || other.Dim != 3 || _shape[0] != other._shape[0] || _shape[2] != other._shape[1])
            throw new ArgumentException($"Bmm: expected (B, n, k) and (B, k, m), got {Shape} and {other.Shape}.");
        return BatchedMatmul(this, other);
    }

    /// <summary>Reads a 2-D operand as a GEMM argument: returns storage, offset, leading dimension and whether it is transposed.</summary>
    private static (float[] Data, int Offset, int Ld, bool Trans, Tensor Keep) GemmOperand(Tensor t)
    {
        t = t.Float();
        int r = t._shape[0], c = t._shape[1];
        if ((t._strides[1] == 1 || c == 1) && t._strides[0] >= c) return (t._f!, t._offset, Math.Max(t._strides[0], c), false, t);
        if ((t._strides[0] == 1 || r == 1) && t._strides[1] >= r) return (t._f!, t._offset, Math.Max(t._strides[1], r), true, t);
        var cc = t.Contiguous();
        return (cc._f!, 0, c, false, cc);
    }

    /// <summary>2-D product without autograd into a new tensor: uses transposed views directly, no copies.</summary>
    internal static Tensor MmRaw(Tensor a, Tensor b)
    {
        if (a._dev is not null || b._dev is not null) return DeviceMm(a, b);
        int m = a._shape[0], k = a._shape[1], n = b._shape[1];
        var (ad, ao, lda, ta, _) = GemmOperand(a);
        var (bd, bo, ldb, tb, _) = GemmOperand(b);
        var c = Empty([m, n]);
        if (k == 0) { c._f!.AsSpan().Clear(); return c; }
        Gemm.Sgemm(ta, tb, m, n, k, 1f, ad.AsSpan(ao), lda, bd.AsSpan(bo), ldb, 0f, c._f!, n);
        return c;
    }

    private static Tensor Mm(Tensor a, Tensor b) =>
        Record(MmRaw(a, b), "mm", a, b, g =>
            (Needs(a) ? MmOrRecord(g, b.T) : null, Needs(b) ? MmOrRecord(a.T, g) : null));

    private static Tensor MmOrRecord(Tensor x, Tensor y) => GradMode.IsEnabled ? Mm(x, y) : MmRaw(x, y);

    private static Tensor BatchedMatmul(Tensor a, Tensor b)
    {
        int n = a._shape[^2], k = a._shape[^1], m = b._shape[^1];
        var batchA = a._shape[..^2]; var batchB = b._shape[..^2];
        var batch = ShapeUtil.Broadcast(batchA, batchB, "Matmul");
        int nb = ShapeUtil.Numel(batch);
        var ae = a.Expand([.. batch, n, k]).Contiguous().Float();
        var be = b.Expand([.. batch, k, m]).Contiguous().Float();
        var c = Empty([.. batch, n, m]);
        var ad = ae._f!; var bd = be._f!; var cd = c._f!;
        int aOff = ae._offset, bOff = be._offset;
        // Many small products: parallelize across the batch; one large product: let GEMM parallelize inside.
        if (nb > 1 && (long)n * m * k < 64 * 64 * 64)
            Parallelism.For(nb, i => Gemm.Sgemm(false, false, n, m, k, 1f, ad.AsSpan(aOff + i * n * k, n * k), k, bd.AsSpan(bOff + i * k * m, k * m), m, 0f, cd.AsSpan(i * n * m, n * m), m));
        else
            for (int i = 0; i < nb; i++)
                Gemm.Sgemm(false, false, n, m, k, 1f, ad.AsSpan(aOff + i * n * k, n * k), k, bd.AsSpan(bOff + i * k * m, k * m), m, 0f, cd.AsSpan(i * n * m, n * m), m);
        var aShape = a._shape; var bShape = b._shape;
        return Record(c, "bmm", a, b, g =>
            (Needs(a) ? g.Matmul(b.Transpose(-1, -2)).SumToShape(aShape) : null,
             Needs(b) ? a.Transpose(-1, -2).Matmul(g).SumToShape(bShape) : null));
    }

    /// <summary>Inner product of two 1-D tensors.</summary>
    public Tensor Dot(Tensor other)
    {
        if (Dim != 1 || other.Dim != 1 || _numel != other._numel)
            throw new ArgumentException($"Dot: expected two 1-D tensors of the same length, got {Shape} and {other.Shape}.");
        return Matmul(other);
    }
}
