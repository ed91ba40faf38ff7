using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace ResearchKit.Tensors.Tests.Properties;

/// <summary>Sum, mean, max/min and argmax/argmin with dims (negative too) and keepDim agree with naive loops.</summary>
public class ReductionProperties
{
    /// <summary>A shape, a set of reduced dims as written by the caller (maybe negative), keepDim, and a layout.</summary>
    public sealed record Case(int[] Shape, int[] Dims, bool KeepDim, int Layout, int Seed)
    {
        public override string ToString() => $"shape={Ref.Fmt(Shape)} dims=[{string.Join(",", Dims)}] keepDim={KeepDim} layout={Layout} seed={Seed}";

        /// <summary>The reduced dims normalized to 0..rank-1.</summary>
        public bool[] Mask()
        {
            var m = new bool[Shape.Length];
            if (Dims.Length == 0) Array.Fill(m, true);
            foreach (int d in Dims) m[d < 0 ? d + Shape.Length : d] = true;
            return m;
        }
    }

    /// <summary>A random subset of dims (empty = all), each written as d or d - rank.</summary>
    private static readonly Gen<Case> SubsetCases =
        from shape in PropertyCheck.Shape()
        from pick in Gen.ArrayOf(Gen.Choose(0, 2), shape.Length)
        from keep in Gen.Elements(false, true)
        from layout in PropertyCheck.Layout
        from seed in PropertyCheck.DataSeed
        let dims = Enumerable.Range(0, shape.Length).Where(d => pick[d] > 0).Select(d => pick[d] == 2 ? d - shape.Length : d).ToArray()
        select new Case(shape, dims, keep, layout, seed);

    /// <summary>One dim of a tensor of rank ≥ 1.</summary>
    private static readonly Gen<Case> OneDimCases =
        from shape in PropertyCheck.Shape(1, 4)
        from d in Gen.Choose(0, shape.Length - 1)
        from neg in Gen.Elements(false, true)
        from keep in Gen.Elements(false, true)
        from layout in PropertyCheck.Layout
        from seed in PropertyCheck.DataSeed
        select new Case(shape, [neg ? d - shape.Length : d], keep, layout, seed);

    /// <summary>The output index of an input index: reduced dims dropped, or set to 0 when kept.</summary>
    private static int[] OutIndex(int[] idx, bool[] mask, bool keepDim) =>
        keepDim ? idx.Select((v, k) => mask[k] ? 0 : v).ToArray() : idx.Where((_, k) => !mask[k]).ToArray();

    private static int[] OutShape(int[] shape, bool[] mask, bool keepDim) =>
        keepDim ? shape.Select((v, k) => mask[k] ? 1 : v).ToArray() : shape.Where((_, k) => !mask[k]).ToArray();

    /// <summary>Naive reduction: folds every input element into its output slot in row-major order.</summary>
    private static TAcc[] Fold<T, TAcc>(Case c, T[] values, TAcc seed, Func<TAcc, T, int[], TAcc> f, out int[] outShape)
    {
        var mask = c.Mask();
        outShape = OutShape(c.Shape, mask, c.KeepDim);
        var acc = Enumerable.Repeat(seed, Ref.Numel(outShape)).ToArray();
        foreach (var idx in Ref.Indices(c.Shape))
        {
            int o = Ref.Ravel(OutIndex(idx, mask, c.KeepDim), outShape);
            acc[o] = f(acc[o], values[Ref.Ravel(idx, c.Shape)], idx);
        }
        return acc;
    }

    [Fact]
    public void Sum_Mean_OverDimSubsets_MatchNaiveLoops() => PropertyCheck.ForAll(SubsetCases, c =>
    {
        var v = Ref.SmallInts(new Random(c.Seed), Ref.Numel(c.Shape)); // integer-valued: the float sum is exact
        var x = Ref.WithLayout(v, c.Shape, c.Layout, c.Seed);
        var sum = Fold(c, v, 0.0, (a, e, _) => a + e, out var shape);
        var s = x.Sum(c.Dims, c.KeepDim);
        Assert.Equal(shape, s.Shape.ToArray());
        Assert.Equal(sum.Select(e => (float)e), s.ToArray());
        var count = Fold(c, v, 0, (a, _, _) => a + 1, out _);
        var mean = x.Mean(c.Dims, c.KeepDim).ToArray();
        for (int i = 0; i < mean.Length; i++) Assert.Equal(sum[i] / count[i], mean[i], 1e-5);
    });

    [Fact]
    public void Int64Sum_OverDimSubsets_IsExactWithWraparound() => PropertyCheck.ForAll(SubsetCases, c =>
    {
        var v = Ref.Longs(new Random(c.Seed), Ref.Numel(c.Shape));
        var x = Ref.WithLayout(v, c.Shape, c.Layout, c.Seed);
        var expected = Fold(c, v, 0L, (a, e, _) => unchecked(a + e), out var shape);
        var s = x.Sum(c.Dims, c.KeepDim);
        Assert.Equal(DType.Int64, s.DType);
        Assert.Equal(shape, s.Shape.ToArray());
        Assert.Equal(expected, s.ToInt64Array());
        // The sum of all elements equals the plain long sum of the array.
        long total = 0;
        foreach (long e in v) total = unchecked(total + e);
        Assert.Equal(total, x.Sum().ItemInt64());
    });

    [Fact]
    public void Max_Min_Argmax_Argmin_OverOneDim_MatchNaiveLoops() => PropertyCheck.ForAll(OneDimCases, c =>
    {
        var v = Ref.SmallInts(new Random(c.Seed), Ref.Numel(c.Shape), range: 2); // few values: many ties
        var x = Ref.WithLayout(v, c.Shape, c.Layout, c.Seed);
        int d = c.Dims[0] < 0 ? c.Dims[0] + c.Shape.Length : c.Dims[0];
        // Strictly greater replaces, so the first index wins ties (PyTorch's CPU rule).
        var max = Fold(c, v, (V: float.NegativeInfinity, I: -1L), (a, e, idx) => e > a.V ? (e, idx[d]) : a, out var shape);
        var min = Fold(c, v, (V: float.PositiveInfinity, I: -1L), (a, e, idx) => e < a.V ? (e, idx[d]) : a, out _);
        var (mv, mi) = x.Max(c.Dims[0], c.KeepDim);
        Assert.Equal(shape, mv.Shape.ToArray());
        Assert.Equal(shape, mi.Shape.ToArray());
        Assert.Equal(max.Select(m => m.V), mv.ToArray());
        Assert.Equal(max.Select(m => m.I), mi.ToInt64Array());
        Assert.Equal(max.Select(m => m.I), x.Argmax(c.Dims[0], c.KeepDim).ToInt64Array());
        Assert.Equal(min.Select(m => m.V), x.Min(c.Dims[0], c.KeepDim).Values.ToArray());
        Assert.Equal(min.Select(m => m.I), x.Argmin(c.Dims[0], c.KeepDim).ToInt64Array());
        Assert.Equal(v.Max(), x.Max().Item());
        Assert.Equal(v.Min(), x.Min().Item());
    });

    [Fact]
    public void Int64_Max_Argmax_OverOneDim_AreExact() => PropertyCheck.ForAll(OneDimCases, c =>
    {
        var v = Ref.Longs(new Random(c.Seed), Ref.Numel(c.Shape));
        var x = Ref.WithLayout(v, c.Shape, c.Layout, c.Seed);
        int d = c.Dims[0] < 0 ? c.Dims[0] + c.Shape.Length : c.Dims[0];
        var max = Fold(c, v, (V: long.MinValue, I: -1L), (a, e, idx) => a.I < 0 || e > a.V ? (e, idx[d]) : a, out var shape);
        var (mv, mi) = x.Max(c.Dims[0], c.KeepDim);
        Assert.Equal(DType.Int64, mv.DType);
        Assert.Equal(shape, mv.Shape.ToArray());
        Assert.Equal(max.Select(m => m.V), mv.ToInt64Array());
        Assert.Equal(max.Select(m => m.I), mi.ToInt64Array());
        Assert.Equal(v.Max(), x.Max().ItemInt64());
        Assert.Equal(v.Min(), x.Min().ItemInt64());
    });
}
