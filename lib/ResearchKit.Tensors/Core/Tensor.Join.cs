namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── joining ─────────────────────────────

    /// <summary>Concatenates along an existing dimension (<c>torch.cat</c>). All tensors must share dtype and the other dims.</summary>
    /// <exception cref="ArgumentException">The list is empty, or shapes/dtypes differ outside <paramref name="dim"/> (shapes are named).</exception>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Cat: expected a non-empty list of tensors.");
        var first = tensors[0];
        int rank = first.Dim;
        if (rank == 0) throw new ArgumentException("Cat: zero-dimensional tensor (at position 0) cannot be concatenated; use Stack, or Reshape(1) first.");
        int d = ShapeUtil.NormDim(dim, rank, "Cat");
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (t.DType != first.DType)
                throw new ArgumentException($"Cat: tensor {i} is {t.DType} but tensor 0 is {first.DType}; convert with .Float() or .Long().");
            if (t.Dim != rank)
                throw new ArgumentException($"Cat: tensor {i} has shape {t.Shape} but tensor 0 has shape {first.Shape}; all need rank {rank}.");
            for (int k = 0; k < rank; k++)
                if (k != d && t._shape[k] != first._shape[k])
                    throw new ArgumentException($"Cat: sizes must match except in dimension {d}: tensor 0 has shape {first.Shape}, tensor {i} has shape {t.Shape}.");
            total += t._shape[d];
        }
        var shape = (int[])first._shape.Clone();
        shape[d] = total;
        var r = tensors.Any(t => t._dev is not null) ? CatOnDevice(tensors, shape, d) : CatOnHost(tensors, shape, d);
        if (first.DType != DType.Float32) return r;
        var inputs = new Tensor[tensors.Count];
        var sizes = new int[inputs.Length]; // the rule keeps the sizes only, so a released graph frees the inputs
        for (int i = 0; i < inputs.Length; i++) { inputs[i] = tensors[i]; sizes[i] = inputs[i]._shape[d]; }
        return Record(r, "cat", inputs, g =>
        {
            var grads = new Tensor?[sizes.Length];
            for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++)
                if (NeedsInput(i)) grads[i] = g.Narrow(d, start, sizes[i]).Contiguous();
            return grads;
        }, NoSaved);
    }

    private static Tensor CatOnHost(IReadOnlyList<Tensor> tensors, int[] shape, int d)
    {
        int outer = 1, inner = 1, rank = shape.Length, total = shape[d];
        for (int k = 0; k < d; k++) outer *= shape[k];
        for (int k = d + 1; k < rank; k++) inner *= shape[k];
        Tensor r = tensors[0]._f is not null ? Empty(shape) : ZerosInt64(shape);
        int rowLen = total * inner, at = 0;
        foreach (var t in tensors)
        {
            int chunk = t._shape[d] * inner;
            if (t._f is not null)
            {
                var src = t.ReadSpan();
                for (int o = 0; o < outer; o++) src.Slice(o * chunk, chunk).CopyTo(r._f.AsSpan(o * rowLen + at, chunk));
            }
            else
            {
                var src = t.ToInt64Array();
                for (int o = 0; o < outer; o++) src.AsSpan(o * chunk, chunk).CopyTo(r._l.AsSpan(o * rowLen + at, chunk));
            }
            at += chunk;
        }
        return r;
    }

    // Each input is copied into its block of the result by the device's strided copy (views read in place).
    private static Tensor CatOnDevice(IReadOnlyList<Tensor> tensors, int[] shape, int d)
    {
        var lead = tensors.First(t => t._dev is not null);
        var backend = lead._dev!.Backend;
        foreach (var t in tensors)
            if (t.Device != lead.Device) throw MixedDevices("Cat", lead, t);
        if (lead.DType != DType.Float32) throw NoKernelOnDevice("Cat of Int64 labels", lead.Device);
        var r = EmptyOn(backend, shape);
        var rStrides = LongStrides(r._strides);
        long at = 0;
        foreach (var t in tensors)
        {
            if (t._numel > 0) backend.Copy(t._shape, t._dev!, LongStrides(t._strides), t._offset, r._dev!, rStrides, at * r._strides[d]);
            at += t._shape[d];
        }
        return r;
    }

    /// <summary>Stacks equally shaped tensors along a new dimension (<c>torch.stack</c>).</summary>
    /// <exception cref="ArgumentException">The list is empty or shapes differ.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack: expected a non-empty list of tensors.");
        var u = new Tensor[tensors.Count];
        for (int i = 0; i < u.Length; i++)
        {
            if (!ShapeUtil.SameShape(tensors[i]._shape, tensors[0]._shape))
                throw new ArgumentException($"Stack: all tensors need the same shape; tensor 0 has {tensors[0].Shape}, tensor {i} has {tensors[i].Shape}.");
            u[i] = tensors[i].Unsqueeze(dim);
        }
        return Cat(u, dim < 0 ? dim : dim);
    }
}
