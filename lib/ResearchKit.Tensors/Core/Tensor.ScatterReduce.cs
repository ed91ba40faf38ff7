using ResearchKit.Tensors.Kernels;

namespace ResearchKit.Tensors;

public sealed partial class Tensor
{
    // ───────────────────────────── scatter_reduce ─────────────────────────────

    /// <summary>
    /// Out-of-place <c>torch.scatter_reduce</c> (Float32): combines <paramref name="src"/> into a copy of this tensor at
    /// <paramref name="index"/> along <paramref name="dim"/> with <paramref name="reduce"/> = "sum", "prod", "mean", "amax" or
    /// "amin". With <paramref name="includeSelf"/> = false, the original values at the indexed places are ignored. Places that
    /// receive nothing keep self. Differentiable as in PyTorch: amax/amin share the gradient evenly among the values equal to the
    /// result, mean divides by the count, prod handles zeros exactly (its backward is first-order only).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown reduction, Int64 data, or the gather/scatter shape and index rules are broken.</exception>
    public Tensor ScatterReduce(int dim, Tensor index, Tensor src, string reduce, bool includeSelf = true)
    {
        const string op = "ScatterReduce";
        var red = reduce switch
        {
            "sum" => ScatterReduction.Sum, "prod" => ScatterReduction.Prod, "mean" => ScatterReduction.Mean,
            "amax" => ScatterReduction.Amax, "amin" => ScatterReduction.Amin,
            _ => throw new ArgumentException($"{op}: unknown reduce '{reduce}'; expected 'sum', 'prod', 'mean', 'amax' or 'amin'."),
        };
        ThrowHelper.RequireFloat(op, this);
        int d = CheckScatterShapes(op, dim, index, src);
        var r = ScatterReduceRaw(d, index, src, red, includeSelf, out var count);
        var self = this;
        var srcShape = src._shape;
        return Record(r, "scatter_reduce", this, src, g => ScatterReduceBackward(g, self, d, index, src, srcShape, r, count, red, includeSelf));
    }

    private Tensor ScatterReduceRaw(int d, Tensor index, Tensor src, ScatterReduction red, bool includeSelf, out int[] count)
    {
        var strides = ShapeUtil.ContiguousStrides(_shape);
        var baseOff = IndexKernels.Offsets(index._shape, strides, d);
        var srcOff = IndexKernels.Offsets(index._shape, ShapeUtil.ContiguousStrides(src._shape), -1);
        var r = AliasRaw().Clone();
        count = new int[_numel];
        ScatterReduceKernel.Run(r._f.AsSpan(0, r._numel), baseOff, index.ReadInt64Span(), strides[d], src.ReadSpan(), srcOff, red, includeSelf, count);
        return r;
    }

    private static (Tensor?, Tensor?) ScatterReduceBackward(Tensor g, Tensor self, int d, Tensor index, Tensor src, int[] srcShape,
        Tensor result, int[] count, ScatterReduction red, bool includeSelf)
    {
        // hit = 1 where some src value landed; selfIn = 1 where self takes part in the reduction.
        var hitArr = new float[count.Length];
        for (int i = 0; i < count.Length; i++) hitArr[i] = count[i] > 0 ? 1f : 0f;
        var hit = new Tensor(hitArr, (int[])self._shape.Clone());
        var selfIn = includeSelf ? OnesLike(hit) : 1f - hit;
        Tensor? gs = null, gsrc = null;
        switch (red)
        {
            case ScatterReduction.Sum:
                gs = g * selfIn;
                gsrc = GatherToShape(g, d, index, srcShape);
                break;
            case ScatterReduction.Mean:
            {
                var n = new float[count.Length];
                for (int i = 0; i < n.Length; i++) n[i] = Math.Max(count[i], 1);
                var gn = g / new Tensor(n, (int[])self._shape.Clone());
                gs = gn * selfIn;
                gsrc = GatherToShape(gn, d, index, srcShape);
                break;
            }
            case ScatterReduction.Amax:
            case ScatterReduction.Amin:
            {
                Tensor selfIs, srcIs, n;
                using (Torch.NoGrad())
                {
                    selfIs = self.Eq(result) * selfIn;
                    var srcPart = src.Narrow(0, 0, index._shape[0]);
                    for (int k = 1; k < srcShape.Length; k++) srcPart = srcPart.Narrow(k, 0, index._shape[k]);
                    srcIs = srcPart.Eq(result.Gather(d, index));
                    n = selfIs.ScatterAdd(d, index, srcIs);
                    n = Where(n.Eq(0f), OnesLike(n), n);
                }
                var gn = g / n;
                gs = gn * selfIs;
                gsrc = (GatherToShape(gn, d, index, index._shape) * srcIs).Pad(PadTo(index._shape, srcShape));
                break;
            }
            case ScatterReduction.Prod:
            {
                if (GradMode.IsEnabled)
                    throw new NotSupportedException("scatter_reduce: double backward (createGraph: true) of the 'prod' reduction is not supported; its backward handles zeros with masks computed under NoGrad.");
                // Products without the element itself: P/x when the reduction has no zero, the product of the non-zeros
                // for the single zero, and 0 otherwise.
                Tensor others, srcOthers;
                using (Torch.NoGrad())
                {
                    var selfV = Where(selfIn.Eq(0f), OnesLike(self), self);
                    var selfZ = selfV.Eq(0f);
                    var srcPart = src.Narrow(0, 0, index._shape[0]);
                    for (int k = 1; k < srcShape.Length; k++) srcPart = srcPart.Narrow(k, 0, index._shape[k]);
                    var srcZ = srcPart.Eq(0f);
                    var nzProd = Where(selfZ, OnesLike(selfV), selfV).ScatterReduceRaw(d, index, Where(srcZ, OnesLike(srcZ), srcPart).Contiguous(), ScatterReduction.Prod, true, out _);
                    var zeros = selfZ.ScatterAdd(d, index, srcZ.Contiguous());
                    others = Excluding(nzProd, zeros, selfV, selfZ);
                    var nzG = nzProd.Gather(d, index); var zG = zeros.Gather(d, index);
                    srcOthers = Excluding(nzG, zG, srcPart, srcZ);
                }
                gs = g * others * selfIn;
                gsrc = (g.Gather(d, index) * srcOthers).Pad(PadTo(index._shape, srcShape));
                break;
            }
        }
        return (Needs(self) ? gs : null, Needs(src) ? gsrc : null);
    }

    /// <summary>Π of the other factors given the non-zero product, the zero count and the factor itself.</summary>
    private static Tensor Excluding(Tensor nzProd, Tensor zeros, Tensor x, Tensor xIsZero)
    {
        var noZero = nzProd / Where(xIsZero, OnesLike(x), x);
        var r = Where(zeros.Eq(0f), noZero, ZerosLike(noZero));
        return Where(zeros.Eq(1f) * xIsZero, nzProd, r);
    }

    /// <summary>F.pad amounts that grow <paramref name="from"/> to <paramref name="to"/> at the end of every dim.</summary>
    private static int[] PadTo(int[] from, int[] to)
    {
        var pad = new int[2 * to.Length];
        for (int k = 0; k < to.Length; k++) pad[2 * (to.Length - 1 - k) + 1] = to[k] - from[k];
        return pad;
    }
}
