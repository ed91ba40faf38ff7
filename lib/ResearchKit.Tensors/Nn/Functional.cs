using System.Numerics.Tensors;

namespace ResearchKit.Tensors.Nn;

/// <summary>
/// Stateless layer functions, like <c>torch.nn.functional</c>: use <c>using F = ResearchKit.Tensors.Nn.Functional;</c>
/// and write <c>F.Relu(F.Linear(x, w, b))</c>. Split by kind into partial files (activations, normalization, losses).
/// </summary>
/// <remarks>
/// Hot ops (linear, softmax, batch/layer norm, cross-entropy) run fused span kernels forward and backward. When a
/// backward pass is itself recorded (<c>createGraph: true</c>), their rules switch to differentiable tensor formulas,
/// so higher-order gradients stay correct.
/// </remarks>
public static partial class Functional
{
    // ───────────────────────────── shared helpers ─────────────────────────────

    /// <summary>
    /// <paramref name="t"/> itself when contiguous, else a contiguous copy (outside the graph). Kernels read
    /// <c>.F</c> from <c>._offset</c> on; a backward rule keeps this tensor, never its bare array, so the storage stays
    /// its own while the rule may run (see <see cref="CachingAllocator"/>).
    /// </summary>
    internal static Tensor Dense(Tensor t)
    {
        if (t.IsContiguous) return t;
        using (Torch.NoGrad()) return t.Contiguous();
    }

    private static readonly string[] Reductions = ["mean", "sum", "none"];

    /// <summary>Throws unless <paramref name="reduction"/> is one of <paramref name="allowed"/> (default mean/sum/none).</summary>
    internal static void CheckReduction(string op, string reduction, string[]? allowed = null)
    {
        allowed ??= Reductions;
        if (Array.IndexOf(allowed, reduction) < 0)
            throw new ArgumentException($"{op}: unknown reduction '{reduction}'; expected one of {string.Join(", ", Array.ConvertAll(allowed, a => "'" + a + "'"))}.");
    }

    /// <summary>Applies "mean", "sum" or "none" to an elementwise loss.</summary>
    internal static Tensor Reduce(Tensor loss, string reduction) => reduction switch
    {
        "mean" => loss.Mean(),
        "sum" => loss.Sum(),
        _ => loss,
    };

    /// <summary>Elementwise losses need the target shaped like the input (broadcasting here is almost always a bug).</summary>
    internal static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        ThrowHelper.RequireFloat(op, input);
        if (target.DType != DType.Float32)
            throw new ArgumentException($"{op}: the target must be Float32 like the input, got Int64 of shape {target.Shape}; call target.Float().");
        if (input.Shape != target.Shape)
            throw new ArgumentException($"{op}: the input has shape {input.Shape} but the target has shape {target.Shape}; they must match " +
                "(e.g. squeeze a trailing size-1 dimension with Squeeze(-1), or reshape the target).");
    }

    // ───────────────────────────── linear ─────────────────────────────

    /// <summary>
    /// Affine map <c>y = x Wᵀ + b</c> (<c>F.linear</c>). Shape: x <c>(*, in)</c> with any leading dims, W <c>(out, in)</c>,
    /// b <c>(out)</c> → y <c>(*, out)</c>. One 2-D GEMM on the flattened input; Wᵀ is a view, never copied.
    /// </summary>
    /// <exception cref="ArgumentException">The last input dimension is not W's in_features (both shapes are named), or W/b are malformed.</exception>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ThrowHelper.RequireFloat("Linear", input);
        ThrowHelper.RequireFloat("Linear", weight);
        if (weight.Dim != 2) throw ThrowHelper.Rank("Linear", weight, "a 2-D weight of shape (out_features, in_features)");
        int outF = weight.Size(0), inF = weight.Size(1);
        if (input.Dim == 0) throw ThrowHelper.Rank("Linear", input, $"an input of shape (*, {inF})");
        if (input.Size(-1) != inF)
            throw new ArgumentException($"Linear: the input of shape {input.Shape} has {input.Size(-1)} features in its last dimension, but the weight of shape {weight.Shape} " +
                $"expects in_features={inF}. Flatten or reshape the input so its last dimension is {inF} (e.g. x.Flatten(1)), or create the layer with in_features={input.Size(-1)}.");
        if (bias is not null)
        {
            ThrowHelper.RequireFloat("Linear", bias);
            if (bias.Dim != 1 || bias.Size(0) != outF)
                throw new ArgumentException($"Linear: the bias has shape {bias.Shape} but the weight of shape {weight.Shape} needs a bias of shape ({outF},).");
        }
        int rows = 1;
        for (int i = 0; i < input.Dim - 1; i++) rows *= input._shape[i];
        if (input._dev is not null || weight._dev is not null || bias?._dev is not null)
        {
            // On a device: the same map composed from device ops, whose rules give the gradients.
            var yd2 = input.Reshape(rows, inF).Matmul(weight.T);
            if (bias is not null) yd2 += bias;
            return yd2.Reshape([.. input._shape[..^1], outF]);
        }
        var xd = Dense(input);
        var x2 = Tensor.AliasOf(xd, [rows, inF], [inF, 1], xd._offset);
        var wT = Tensor.AliasOf(weight, [inF, outF], [weight._strides[1], weight._strides[0]], weight._offset);
        var y2 = Tensor.MmRaw(x2, wT);
        if (bias is not null)
        {
            var bs = bias.ReadSpan();
            var yd = y2.F;
            for (int r = 0; r < rows; r++) { var row = yd.AsSpan(r * outF, outF); TensorPrimitives.Add(row, bs, row); }
        }
        int[] outShape = [.. input._shape[..^1], outF];
        var y = Tensor.AliasOf(y2, outShape);
        var inShape = input._shape;
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        return Tensor.Record(y, "linear", inputs, g =>
        {
            bool nx = Tensor.Needs(input), nw = Tensor.Needs(weight), nb = bias is not null && Tensor.Needs(bias);
            Tensor? gx = null, gw = null, gb = null;
            if (GradMode.IsEnabled)
            {
                var g2 = g.Reshape(rows, outF);
                if (nx) gx = g2.Matmul(weight).Reshape(inShape);
                if (nw) gw = g2.T.Matmul(input.Reshape(rows, inF));
                if (nb) gb = g2.Sum(0);
            }
            else
            {
                var gd = Dense(g);
                var (ga, go) = (gd.F, gd._offset);
                var g2 = Tensor.AliasOf(gd, [rows, outF], [outF, 1], go);
                if (nx) gx = Tensor.AliasOf(Tensor.MmRaw(g2, weight), (int[])inShape.Clone());
                if (nw) gw = Tensor.MmRaw(Tensor.AliasOf(gd, [outF, rows], [1, outF], go), x2);
                if (nb)
                {
                    var acc = new float[outF];
                    for (int r = 0; r < rows; r++) TensorPrimitives.Add(acc, ga.AsSpan(go + r * outF, outF), acc);
                    gb = new Tensor(acc, [outF]);
                }
            }
            return bias is null ? [gx, gw] : [gx, gw, gb];
        });
    }

    // ───────────────────────────── dropout ─────────────────────────────

    /// <summary>
    /// Inverted dropout (<c>F.dropout</c>): in training, zeroes each element with probability <paramref name="p"/> and
    /// scales the rest by 1/(1−p), so evaluation is the identity (the input itself is returned).
    /// </summary>
    /// <param name="input">Any shape.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="training">False returns <paramref name="input"/> unchanged.</param>
    /// <param name="generator">Source of the mask (default <see cref="Generator.Default"/>): pass one for reproducible runs.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public static Tensor Dropout(Tensor input, float p = 0.5f, bool training = true, Generator? generator = null)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout: the drop probability must be between 0 and 1, got {p}.");
        ThrowHelper.RequireFloat("Dropout", input);
        if (!training || p == 0f) return input;
        var gen = generator ?? Generator.Default;
        var m = Tensor.Empty((int[])input._shape.Clone());
        var mask = m.F;
        float keep = 1f - p, scale = p == 1f ? 0f : 1f / keep;
        for (int i = 0; i < mask.Length; i++) mask[i] = gen.NextFloat() < keep ? scale : 0f;
        if (input._dev is not null)
        {
            // The mask is drawn on the host (the same numbers as on the CPU for one seed) and uploaded once.
            var dm = m.To(input.Device);
            Tensor masked;
            using (Torch.NoGrad()) masked = input * dm;
            return Tensor.Record(masked, "dropout", input, g => g * dm);
        }
        var y = Tensor.Empty((int[])input._shape.Clone());
        TensorPrimitives.Multiply(input.ReadSpan(), mask, y.F.AsSpan(0, y.Numel));
        return Tensor.Record(y, "dropout", input, g => g * m);
    }

    // ───────────────────────────── embedding ─────────────────────────────

    /// <summary>
    /// Looks up rows of <paramref name="weight"/> (<c>F.embedding</c>). Shape: indices Int64 <c>(*)</c>, weight
    /// <c>(num, dim)</c> → <c>(*, dim)</c>. The weight gradient scatter-adds rows (repeated indices accumulate);
    /// the <paramref name="paddingIdx"/> row never receives gradient.
    /// </summary>
    /// <exception cref="ArgumentException">Indices are not Int64, an index is outside [0, num), or padding_idx is out of range.</exception>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null)
    {
        if (indices.Device.IsCpu || indices.DType != DType.Int64) ThrowHelper.RequireInt64("Embedding", indices, "indices");
        ThrowHelper.RequireFloat("Embedding", weight);
        if (weight.Dim != 2) throw ThrowHelper.Rank("Embedding", weight, "a 2-D weight of shape (num_embeddings, embedding_dim)");
        int num = weight.Size(0), dim = weight.Size(1);
        int pad = NormalizePaddingIdx("Embedding", paddingIdx, num);
        if (indices.DeviceLabelsKnownIn(0, num)) return EmbeddingOnDevice(indices, weight, pad);   // in range: no read-back
        var idx = indices.ToInt64Array();
        for (int i = 0; i < idx.Length; i++)
            if ((ulong)idx[i] >= (ulong)num)
                throw new ArgumentException($"Embedding: index {idx[i]} (element {i} of the indices of shape {indices.Shape}) is out of range for a table of {num} rows; valid indices are 0..{num - 1}.");
        if (!indices.Device.IsCpu || !weight.Device.IsCpu) return EmbeddingOnDevice(indices, weight, pad);
        var wd = Dense(weight);
        var (wa, wo) = (wd.F, wd._offset);
        var y = Tensor.Empty([.. indices._shape, dim]);
        var yd = y.F;
        for (int i = 0; i < idx.Length; i++) wa.AsSpan(wo + (int)idx[i] * dim, dim).CopyTo(yd.AsSpan(i * dim, dim));
        return Tensor.Record(y, "embedding", weight, g => EmbeddingBackward(g, indices, idx, num, dim, pad));
    }

    // On a device the lookup is one-hot(indices) @ W: every output row is exactly its table row (the other terms are 0·w),
    // and the gradient one-hotᵀ @ g sums each row's contributions in a fixed order (deterministic, no atomics). The padding
    // row is read through a detached copy of the table, so it gets no gradient, as on the CPU.
    private static Tensor EmbeddingOnDevice(Tensor indices, Tensor weight, int pad)
    {
        if (indices.Device != weight.Device)
            throw new ArgumentException($"Embedding: the indices are on {indices.Device} and the table on {weight.Device}; move both to one device (indices.To(device)).");
        int num = weight.Size(0), dim = weight.Size(1);
        var oneHot = indices.Reshape(-1).OneHotOnDevice(num);
        Tensor rows;
        if (pad < 0) rows = oneHot.Matmul(weight);
        else
        {
            var keep = Tensor.Ones([num], weight.Device);
            keep.Select(0, pad).Zero_();
            rows = (oneHot * keep).Matmul(weight) + (oneHot * (1f - keep)).Matmul(weight.Detach());
        }
        return rows.Reshape([.. indices._shape, dim]);
    }

    internal static int NormalizePaddingIdx(string op, int? paddingIdx, int num)
    {
        if (paddingIdx is not { } p) return -1;
        if (p >= num || p < -num) throw new ArgumentException($"{op}: padding_idx {p} must be within [-{num}, {num}) for {num} embeddings.");
        return p < 0 ? p + num : p;
    }

    private static Tensor EmbeddingBackward(Tensor g, Tensor indices, long[] idx, int num, int dim, int pad)
    {
        var gd = Dense(g);
        var (ga, go) = (gd.F, gd._offset);
        var gw = Tensor.Zeros(num, dim);
        var d = gw.F;
        for (int i = 0; i < idx.Length; i++)
        {
            if (idx[i] == pad) continue;
            var row = d.AsSpan((int)idx[i] * dim, dim);
            TensorPrimitives.Add(row, ga.AsSpan(go + i * dim, dim), row);
        }
        // The scatter is linear in g; its own derivative is the gather (recorded only under createGraph).
        return Tensor.Record(gw, "embedding_backward", g, gg =>
        {
            var r = Embedding(indices, gg);
            if (pad < 0) return r;
            var keep = new float[idx.Length];
            for (int i = 0; i < keep.Length; i++) keep[i] = idx[i] == pad ? 0f : 1f;
            return r * new Tensor(keep, [.. indices._shape, 1]);
        });
    }

    /// <summary>The one-hot rows (*, <paramref name="classes"/>) as Float32 of Int64 labels on a device, computed there.</summary>
    /// <exception cref="ArgumentException">The labels are not on a device, or a label is outside [0, classes).</exception>
    public static Tensor DeviceOneHot(Tensor labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Device.IsCpu || labels.DType != DType.Int64)
            throw new ArgumentException($"DeviceOneHot: Int64 labels on a device expected, got {labels.DType} on {labels.Device}; on the CPU use OneHot(labels, classes).Float().");
        if (!labels.DeviceLabelsKnownIn(0, classes))
            foreach (long v in labels.ToInt64Array())
                if ((ulong)v >= (ulong)classes) throw new ArgumentException($"DeviceOneHot: label {v} is outside [0, {classes}).");
        return labels.Contiguous().OneHotOnDevice(classes);
    }

    /// <summary>
    /// One-hot encoding (<c>F.one_hot</c>): Int64 <c>(*)</c> → Int64 <c>(*, numClasses)</c>; −1 infers max + 1.
    /// </summary>
    /// <exception cref="ArgumentException">Indices are not Int64, a value is negative, or a value is ≥ numClasses.</exception>
    public static Tensor OneHot(Tensor indices, int numClasses = -1)
    {
        ThrowHelper.RequireInt64("OneHot", indices, "indices");
        var idx = indices.ToInt64Array();
        long max = -1;
        foreach (long v in idx)
        {
            if (v < 0) throw new ArgumentException($"OneHot: class values must be non-negative, got {v}.");
            max = Math.Max(max, v);
        }
        if (numClasses == -1)
        {
            if (idx.Length == 0) throw new ArgumentException("OneHot: cannot infer the number of classes from empty indices; pass numClasses.");
            numClasses = (int)max + 1;
        }
        else if (numClasses < 1) throw new ArgumentException($"OneHot: numClasses must be positive or -1 (infer), got {numClasses}.");
        else if (max >= numClasses) throw new ArgumentException($"OneHot: class value {max} is not smaller than numClasses={numClasses}.");
        var r = new long[idx.Length * numClasses];
        for (int i = 0; i < idx.Length; i++) r[i * numClasses + idx[i]] = 1;
        return new Tensor(r, [.. indices._shape, numClasses]);
    }

    // ───────────────────────────── similarity and distance ─────────────────────────────

    /// <summary>
    /// Cosine similarity along <paramref name="dim"/> (<c>F.cosine_similarity</c>, PyTorch ≥ 1.12 form):
    /// Σ (a/max(‖a‖, ε))·(b/max(‖b‖, ε)). Inputs broadcast; the result drops <paramref name="dim"/>.
    /// </summary>
    public static Tensor CosineSimilarity(Tensor a, Tensor b, int dim = 1, float eps = 1e-8f)
    {
        ThrowHelper.RequireFloat("CosineSimilarity", a);
        ThrowHelper.RequireFloat("CosineSimilarity", b);
        var shape = ShapeUtil.Broadcast(a._shape, b._shape, "CosineSimilarity");
        a = a.Expand(shape); b = b.Expand(shape);
        int d = ShapeUtil.NormDim(dim, shape.Length, "CosineSimilarity");
        var na = ClampMinValueOnly(a.Norm(2f, [d], keepDim: true), eps);
        var nb = ClampMinValueOnly(b.Norm(2f, [d], keepDim: true), eps);
        return (a / na * (b / nb)).Sum(d);
    }

    /// <summary>max(x, lo) in value, identity in gradient: PyTorch clamps the norms in place under no_grad.</summary>
    private static Tensor ClampMinValueOnly(Tensor x, float lo)
    {
        Tensor shift;
        using (Torch.NoGrad()) shift = x.Clamp(min: lo) - x;
        return x + shift;
    }

    /// <summary>
    /// Lp-normalizes along <paramref name="dim"/> (<c>F.normalize</c>): x / max(‖x‖ₚ, ε).
    /// </summary>
    public static Tensor Normalize(Tensor x, float p = 2f, int dim = 1, float eps = 1e-12f)
    {
        ThrowHelper.RequireFloat("Normalize", x);
        int d = ShapeUtil.NormDim(dim, x.Dim, "Normalize");
        return x / x.Norm(p, [d], keepDim: true).Clamp(min: eps);
    }

    /// <summary>
    /// ‖x1 − x2 + ε‖ₚ over the last dimension (<c>F.pairwise_distance</c>); inputs broadcast.
    /// </summary>
    public static Tensor PairwiseDistance(Tensor x1, Tensor x2, float p = 2f, float eps = 1e-6f, bool keepDim = false)
    {
        ThrowHelper.RequireFloat("PairwiseDistance", x1);
        ThrowHelper.RequireFloat("PairwiseDistance", x2);
        return (x1 - x2 + eps).Norm(p, [-1], keepDim);
    }
}
