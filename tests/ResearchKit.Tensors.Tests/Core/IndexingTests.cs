using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tensors.Tests.Core;

/// <summary>index_select, x[idx], masked_select, gather, scatter, scatter_add, index_add/copy/put: values, gradients, errors.</summary>
public class IndexingTests
{
    private static Tensor Idx(params long[] v) => Tensor.FromArray(v);

    private static Tensor Rand(int seed, params int[] shape) => Tensor.Uniform(shape, -1f, 1f, new Generator(seed));

    /// <summary>Naive index_select through the public indexer.</summary>
    private static float[] NaiveIndexSelect(Tensor x, int d, long[] idx)
    {
        var shape = x.Shape.ToArray();
        var outShape = (int[])shape.Clone(); outShape[d] = idx.Length;
        var r = new float[ShapeUtil.Numel(outShape)];
        var p = new int[shape.Length];
        for (int e = 0; e < r.Length; e++)
        {
            int rem = e;
            for (int k = shape.Length - 1; k >= 0; k--) { p[k] = rem % outShape[k]; rem /= outShape[k]; }
            var q = (int[])p.Clone(); q[d] = (int)idx[p[d]];
            r[e] = x[q];
        }
        return r;
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(-1)]
    public void IndexSelect_MatchesNaive_AllDims(int dim)
    {
        var x = Rand(1, 3, 4, 5);
        int d = dim < 0 ? dim + 3 : dim;
        long[] idx = [2, 0, 2, 1];
        var y = x.IndexSelect(dim, Idx(idx));
        var expShape = x.Shape.ToArray(); expShape[d] = 4;
        Assert.Equal(new Shape(expShape), y.Shape);
        Assert.Equal(NaiveIndexSelect(x, d, idx), y.ToArray());
    }

    [Fact]
    public void IndexSelect_NonContiguousInput_AndInt64Data()
    {
        var x = Tensor.Arange(12).Reshape(3, 4).T; // (4, 3) transposed view
        Assert.Equal(new[] { 3f, 7, 11, 0, 4, 8 }, x.IndexSelect(0, Idx(3, 0)).ToArray());
        var xl = Tensor.FromArray(new long[] { 10, 20, 30, 40, 50, 60 }, 2, 3);
        var yl = xl.IndexSelect(1, Idx(2, 2, 0));
        Assert.Equal(DType.Int64, yl.DType);
        Assert.Equal(new long[] { 30, 30, 10, 60, 60, 40 }, yl.ToInt64Array());
        Assert.Equal(new Shape(3, 0), x.T.IndexSelect(1, Tensor.ZerosInt64(0)).Shape);
    }

    [Fact]
    public void IndexSelect_GradCheck_RepeatedIndices()
    {
        var x = GradCheck.Leaf(2, 3, 4);
        GradCheck.Check(t => t[0].IndexSelect(1, Idx(3, 1, 3, 3, 0)), [x]);
        // Direct check of accumulation: index 3 appears three times.
        x.Grad = null;
        x.IndexSelect(1, Idx(3, 1, 3, 3)).Sum().Backward();
        Assert.Equal(new[] { 0f, 1, 0, 3, 0, 1, 0, 3, 0, 1, 0, 3 }, x.Grad!.ToArray());
    }

    [Fact]
    public void IndexSelect_Errors_NameTheProblem()
    {
        var x = Tensor.Zeros(2, 4);
        var e1 = Assert.Throws<ArgumentException>(() => x.IndexSelect(1, Tensor.FromArray([1f, 2f])));
        Assert.Contains(".Long()", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(1, Idx(0, 5)));
        Assert.Contains("index 5", e2.Message); Assert.Contains("dimension 1", e2.Message); Assert.Contains("size 4", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Idx(-1)));
        Assert.Contains("index -1", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.ZerosInt64(1, 1)));
        Assert.Contains("1-D", e4.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(2, Idx(0)));
    }

    [Fact]
    public void Index_MultiDimIndex_NegativeWraps_AndGrad()
    {
        var x = Tensor.Arange(12).Reshape(4, 3);
        var y = x.Index(Tensor.FromArray(new long[] { -1, 0, 1, -1 }, 2, 2));
        Assert.Equal(new Shape(2, 2, 3), y.Shape);
        Assert.Equal(new[] { 9f, 10, 11, 0, 1, 2, 3, 4, 5, 9, 10, 11 }, y.ToArray());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Index(Idx(-5)));
        Assert.Contains("index -5", e.Message); Assert.Contains("size 4", e.Message);
        GradCheck.Check(t => t[0].Index(Tensor.FromArray(new long[] { 2, -1, 0, 2 }, 2, 2)), [GradCheck.Leaf(3, 4, 3)]);
    }

    [Fact]
    public void MaskedSelect_BroadcastMask_FloatAndInt64()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        Assert.Equal(new[] { 0f, 1, 2 }, x.MaskedSelect(Tensor.FromArray([1f, 0f], 2, 1)).ToArray());
        Assert.Equal(new[] { 0f, 2, 3, 5 }, x.MaskedSelect(Tensor.FromArray(new long[] { 7, 0, -1 }, 3)).ToArray());
        Assert.Equal(new[] { 3f, 1, 2 }, x.T.MaskedSelect(Tensor.FromArray([0f, 1, 1, 0, 1, 0], 3, 2)).ToArray());
        // Self broadcasts to the mask: a (3,) row against a (2, 3) mask selects from both copies.
        Assert.Equal(new[] { 0f, 1, 2 }, Tensor.Arange(3).MaskedSelect(Tensor.FromArray([1f, 0, 0, 0, 1, 1], 2, 3)).ToArray());
        var ex = Assert.Throws<ArgumentException>(() => x.MaskedSelect(Tensor.Ones(2)));
        Assert.Contains("(2, 3)", ex.Message); Assert.Contains("(2,)", ex.Message);
    }

    [Fact]
    public void MaskedSelect_GradCheck_WithBroadcastSelf()
    {
        var mask = Tensor.FromArray([1f, 0, 1, 1, 0, 1], 2, 3);
        GradCheck.Check(t => t[0].MaskedSelect(mask), [GradCheck.Leaf(4, 2, 3)]);
        GradCheck.Check(t => t[0].MaskedSelect(mask), [GradCheck.Leaf(5, 3)]);
    }

    // ───────── gather ─────────

    [Fact]
    public void Gather_MatchesPyTorchAndNaive()
    {
        var x = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 2, 3);
        // torch: x.gather(0, [[1,0,1],[0,0,1],[1,1,0]]) is out-of-range for dim 0? no: values are 0/1 < 2; index rows (3) > self rows fine for dim.
        var y = x.Gather(0, Tensor.FromArray(new long[] { 1, 0, 1, 0, 0, 1, 1, 1, 0 }, 3, 3));
        Assert.Equal(new[] { 3f, 1, 5, 0, 1, 5, 3, 4, 2 }, y.ToArray());
        // dim=-1 with an index narrower than self, on a transposed view.
        var xt = Tensor.Arange(12).Reshape(4, 3).T; // (3, 4)
        var idx = Tensor.FromArray(new long[] { 3, 0, 1, 1, 2, 2 }, 3, 2);
        var g = xt.Gather(-1, idx);
        var exp = new float[6];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) exp[i * 2 + j] = xt[i, (int)idx[i, j]];
        Assert.Equal(exp, g.ToArray());
        var gl = Tensor.FromArray(new long[] { 5, 6, 7, 8 }, 2, 2).Gather(1, Tensor.FromArray(new long[] { 1, 1, 0, 1 }, 2, 2));
        Assert.Equal(new long[] { 6, 6, 7, 8 }, gl.ToInt64Array());
    }

    [Fact]
    public void Gather_GradCheck_RepeatedIndices()
    {
        var idx = Tensor.FromArray(new long[] { 0, 0, 2, 1, 1, 1, 3, 0 }, 2, 4);
        GradCheck.Check(t => t[0].Gather(1, idx), [GradCheck.Leaf(6, 3, 4)]);
        GradCheck.Check(t => t[0].Gather(0, Tensor.FromArray(new long[] { 2, 2, 0, 1, 0, 2 }, 2, 3)), [GradCheck.Leaf(7, 3, 4)]);
    }

    [Fact]
    public void Gather_Errors()
    {
        var x = Tensor.Zeros(2, 3);
        var e1 = Assert.Throws<ArgumentException>(() => x.Gather(1, Idx(0, 1)));
        Assert.Contains("(2,)", e1.Message); Assert.Contains("(2, 3)", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => x.Gather(1, Tensor.ZerosInt64(3, 1)));
        Assert.Contains("(3, 1)", e2.Message); Assert.Contains("(2, 3)", e2.Message); Assert.Contains("dimension 0", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(1, Tensor.FromArray(new long[] { -1 }, 1, 1)));
        Assert.Contains("index -1", e3.Message); Assert.Contains("dimension 1", e3.Message); Assert.Contains("size 3", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => x.Gather(1, Tensor.Zeros(1, 1)));
        Assert.Contains(".Long()", e4.Message);
    }

    // ───────── scatter / scatter_add ─────────

    [Fact]
    public void Scatter_MatchesPyTorch_SrcLargerThanIndex()
    {
        var x = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 2, 3);
        var src = Tensor.FromArray([10f, 20, 30, 40, 50, 60], 2, 3);
        var y = x.Scatter(1, Tensor.FromArray(new long[] { 2, 0, 1, 2 }, 2, 2), src);
        Assert.Equal(new[] { 20f, 1, 10, 3, 40, 50 }, y.ToArray());
        Assert.Equal(new[] { 0f, 1, 2, 3, 4, 5 }, x.ToArray()); // out-of-place
        var v = x.Scatter(0, Tensor.FromArray(new long[] { 1, 0, 1 }, 1, 3), -1f);
        Assert.Equal(new[] { 0f, -1, 2, -1, 4, -1 }, v.ToArray());
        var l = Tensor.ZerosInt64(2, 2).Scatter(1, Tensor.FromArray(new long[] { 1, 0 }, 2, 1), Tensor.FromArray(new long[] { 7, 8 }, 2, 1));
        Assert.Equal(new long[] { 0, 7, 8, 0 }, l.ToInt64Array());
    }

    [Fact]
    public void Scatter_GradCheck_SelfAndSrc()
    {
        // Distinct targets per column (PyTorch's gradient formula assumes no duplicate targets); src larger than index.
        var idx = Tensor.FromArray(new long[] { 2, 0, 1, 0, 1, 0 }, 2, 3);
        GradCheck.Check(t => t[0].Scatter(0, idx, t[1]), [GradCheck.Leaf(8, 3, 3), GradCheck.Leaf(9, 3, 4)]);
        GradCheck.Check(t => t[0].Scatter(1, idx, 0.5f), [GradCheck.Leaf(10, 2, 4)]);
    }

    [Fact]
    public void ScatterAdd_MatchesPyTorch_AndNaiveOrder()
    {
        var x = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 2, 3);
        var y = x.ScatterAdd(0, Tensor.FromArray(new long[] { 1, 0, 1, 1, 1, 1 }, 2, 3), Tensor.Ones(2, 3));
        Assert.Equal(new[] { 0f, 2, 2, 5, 5, 7 }, y.ToArray());
        // Large random scatter_add equals a sequential float loop bit for bit (deterministic accumulation order).
        var rng = new Random(3);
        var idxv = new long[40 * 7];
        for (int i = 0; i < idxv.Length; i++) idxv[i] = rng.Next(5);
        var idx = Tensor.FromArray(idxv, 40, 7);
        var src = Rand(11, 40, 9);
        var self = Rand(12, 5, 7);
        var r = self.ScatterAdd(0, idx, src).ToArray();
        var exp = self.ToArray();
        for (int i = 0; i < 40; i++) for (int j = 0; j < 7; j++) exp[idxv[i * 7 + j] * 7 + j] += src[i, j];
        Assert.Equal(exp, r);
        var l = Tensor.ZerosInt64(3).ScatterAdd(0, Idx(2, 2, 0), Tensor.FromArray(new long[] { 5, 6, 7 }));
        Assert.Equal(new long[] { 7, 0, 11 }, l.ToInt64Array());
    }

    [Fact]
    public void ScatterAdd_GradCheck_RepeatedIndices()
    {
        var idx = Tensor.FromArray(new long[] { 0, 0, 2, 2, 2, 0 }, 2, 3);
        GradCheck.Check(t => t[0].ScatterAdd(1, idx, t[1]), [GradCheck.Leaf(13, 2, 3), GradCheck.Leaf(14, 3, 4)]);
    }

    [Fact]
    public void Scatter_Errors_NameShapes()
    {
        var x = Tensor.Zeros(2, 3);
        var e1 = Assert.Throws<ArgumentException>(() => x.Scatter(1, Tensor.ZerosInt64(1, 2), Tensor.Ones(1, 1)));
        Assert.Contains("(1, 2)", e1.Message); Assert.Contains("(1, 1)", e1.Message); Assert.Contains("src", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => x.ScatterAdd(0, Tensor.ZerosInt64(1, 4), Tensor.Ones(3, 4)));
        Assert.Contains("(1, 4)", e2.Message); Assert.Contains("(2, 3)", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => x.ScatterAdd(0, Tensor.FromArray(new long[] { 2 }, 1, 1), Tensor.Ones(1, 1)));
        Assert.Contains("index 2", e3.Message); Assert.Contains("dimension 0", e3.Message); Assert.Contains("size 2", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => x.Scatter(0, Tensor.ZerosInt64(1, 1), Tensor.ZerosInt64(1, 1)));
        Assert.Contains("Int64", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => x.Scatter(0, Tensor.Zeros(1, 1), 1f));
        Assert.Contains(".Long()", e5.Message);
    }

    // ───────── index_add / index_copy / index_put ─────────

    [Fact]
    public void IndexAdd_MatchesPyTorch_WithAlphaAndRepeats()
    {
        var x = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 2, 3);
        var y = x.IndexAdd(1, Idx(2, 0, 2), Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3), alpha: 2f);
        Assert.Equal(new[] { 4f, 1, 10, 13, 4, 25 }, y.ToArray());
        var l = Tensor.ZerosInt64(3).IndexAdd(0, Idx(1, 1), Tensor.FromArray(new long[] { 4, 5 }));
        Assert.Equal(new long[] { 0, 9, 0 }, l.ToInt64Array());
        var ex = Assert.Throws<ArgumentException>(() => x.IndexAdd(1, Idx(0, 0), Tensor.Ones(2, 3)));
        Assert.Contains("(2, 3)", ex.Message); Assert.Contains("2 indices", ex.Message);
    }

    [Fact]
    public void IndexAdd_GradCheck()
    {
        var idx = Idx(1, 3, 1);
        GradCheck.Check(t => t[0].IndexAdd(1, idx, t[1], alpha: -1.5f), [GradCheck.Leaf(15, 2, 4), GradCheck.Leaf(16, 2, 3)]);
    }

    [Fact]
    public void IndexCopy_And_IndexPut_ValuesAndGrad()
    {
        var x = Tensor.Arange(6).Reshape(3, 2);
        var c = x.IndexCopy(0, Idx(2, 0), Tensor.FromArray([-1f, -2, -3, -4], 2, 2));
        Assert.Equal(new[] { -3f, -4, 2, 3, -1, -2 }, c.ToArray());
        var p = x.IndexPut(Idx(-1, 0), Tensor.FromArray([9f, 8]));
        Assert.Equal(new[] { 9f, 8, 2, 3, 9, 8 }, p.ToArray());
        var a = x.IndexPut(Idx(1, 1), Tensor.Scalar(10f), accumulate: true);
        Assert.Equal(new[] { 0f, 1, 22, 23, 4, 5 }, a.ToArray());
        GradCheck.Check(t => t[0].IndexCopy(0, Idx(2, 0), t[1]), [GradCheck.Leaf(17, 3, 2), GradCheck.Leaf(18, 2, 2)]);
        GradCheck.Check(t => t[0].IndexPut(Idx(0, -1), t[1]), [GradCheck.Leaf(19, 3, 2), GradCheck.Leaf(20, 2)]);
        GradCheck.Check(t => t[0].IndexPut(Idx(1, 1), t[1], accumulate: true), [GradCheck.Leaf(21, 3, 2), GradCheck.Leaf(22, 2, 1)]);
        var ex = Assert.Throws<ArgumentException>(() => x.IndexPut(Idx(0), Tensor.Ones(3)));
        Assert.Contains("(3,)", ex.Message); Assert.Contains("(1, 2)", ex.Message);
    }

    // ───────── scatter_reduce ─────────

    [Theory]
    [InlineData("sum", true, new[] { 0.0f, -2.0f, 8.0f, 0.5f, 4.0f, 6.0f, -1.0f, -2.0f }, new[] { 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f }, new[] { 1.0f, 3.0f, 1.0f, 8.0f, 8.0f, 6.0f })]
    [InlineData("sum", false, new[] { -1.0f, -2.0f, 5.0f, 0.5f, 4.0f, 6.0f, -1.0f, -4.0f }, new[] { 0.0f, 2.0f, 0.0f, 4.0f, 5.0f, 0.0f, 7.0f, 0.0f }, new[] { 1.0f, 3.0f, 1.0f, 8.0f, 8.0f, 6.0f })]
    [InlineData("prod", true, new[] { -6.0f, -2.0f, 15.0f, 0.5f, 4.0f, 0.0f, -1.0f, 0.0f }, new[] { -6.0f, 2.0f, 15.0f, 4.0f, 5.0f, 36.0f, 7.0f, 0.0f }, new[] { -3.0f, 9.0f, 2.0f, -64.0f, 0.0f, 0.0f })]
    [InlineData("prod", false, new[] { -6.0f, -2.0f, 5.0f, 0.5f, 4.0f, 6.0f, -1.0f, 0.0f }, new[] { 0.0f, 2.0f, 0.0f, 4.0f, 5.0f, 0.0f, 7.0f, 0.0f }, new[] { -3.0f, 3.0f, 2.0f, -32.0f, 0.0f, 6.0f })]
    [InlineData("mean", true, new[] { 0.0f, -2.0f, 4.0f, 0.5f, 4.0f, 3.0f, -1.0f, -0.666667f }, new[] { 0.333333f, 2.0f, 1.5f, 4.0f, 5.0f, 3.0f, 7.0f, 2.666667f }, new[] { 0.333333f, 1.5f, 0.333333f, 2.666667f, 2.666667f, 3.0f })]
    [InlineData("mean", false, new[] { -0.5f, -2.0f, 5.0f, 0.5f, 4.0f, 6.0f, -1.0f, -2.0f }, new[] { 0.0f, 2.0f, 0.0f, 4.0f, 5.0f, 0.0f, 7.0f, 0.0f }, new[] { 0.5f, 3.0f, 0.5f, 4.0f, 4.0f, 6.0f })]
    [InlineData("amax", true, new[] { 2.0f, -2.0f, 5.0f, 0.5f, 4.0f, 6.0f, -1.0f, 2.0f }, new[] { 0.0f, 2.0f, 0.0f, 4.0f, 5.0f, 0.0f, 7.0f, 8.0f }, new[] { 1.0f, 3.0f, 0.0f, 0.0f, 0.0f, 6.0f })]
    [InlineData("amax", false, new[] { 2.0f, -2.0f, 5.0f, 0.5f, 4.0f, 6.0f, -1.0f, 0.0f }, new[] { 0.0f, 2.0f, 0.0f, 4.0f, 5.0f, 0.0f, 7.0f, 0.0f }, new[] { 1.0f, 3.0f, 0.0f, 8.0f, 0.0f, 6.0f })]
    [InlineData("amin", true, new[] { -3.0f, -2.0f, 3.0f, 0.5f, 4.0f, 0.0f, -1.0f, -4.0f }, new[] { 0.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 0.0f }, new[] { 0.0f, 0.0f, 1.0f, 0.0f, 8.0f, 0.0f })]
    [InlineData("amin", false, new[] { -3.0f, -2.0f, 5.0f, 0.5f, 4.0f, 6.0f, -1.0f, -4.0f }, new[] { 0.0f, 2.0f, 0.0f, 4.0f, 5.0f, 0.0f, 7.0f, 0.0f }, new[] { 0.0f, 3.0f, 1.0f, 0.0f, 8.0f, 6.0f })]
    public void ScatterReduce_MatchesPyTorch_ValuesAndGradients(string reduce, bool includeSelf, float[] expected, float[] gradSelf, float[] gradSrc)
    {
        var self = Tensor.FromArray([1f, -2, 3, 0.5f, 4, 0, -1, 2], 2, 4).RequiresGrad_();
        var src = Tensor.FromArray([2f, 5, -3, 0, -4, 6], 2, 3).RequiresGrad_();
        var idx = Tensor.FromArray(new long[] { 0, 2, 0, 3, 3, 1 }, 2, 3);
        var y = self.ScatterReduce(1, idx, src, reduce, includeSelf);
        AssertClose.Equal(expected, y.ToArray(), what: "value");
        y.Backward(Tensor.FromArray([1f, 2, 3, 4, 5, 6, 7, 8], 2, 4));
        AssertClose.Equal(gradSelf, self.Grad!.ToArray(), what: "grad self");
        AssertClose.Equal(gradSrc, src.Grad!.ToArray(), what: "grad src");
    }

    [Theory]
    [InlineData("sum")] [InlineData("prod")] [InlineData("mean")] [InlineData("amax")] [InlineData("amin")]
    public void ScatterReduce_GradCheck_SrcLargerThanIndex(string reduce)
    {
        // Distinct values (no ties for amax/amin within eps), repeated targets, src wider than index.
        var idx = Tensor.FromArray(new long[] { 0, 2, 0, 3, 3, 1 }, 2, 3);
        foreach (bool inc in new[] { true, false })
            GradCheck.Check(t => t[0].ScatterReduce(1, idx, t[1], reduce, inc), [PermuteLeaf(23, 2, 4), PermuteLeaf(24, 2, 5)], eps: 1e-3f);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 4).ScatterReduce(1, idx, Tensor.Zeros(2, 3), "max"));
        Assert.Contains("'max'", ex.Message);
    }

    private static Tensor PermuteLeaf(int seed, params int[] shape)
    {
        int n = ShapeUtil.Numel(shape);
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i + 1) / 10f * (i % 2 == 0 ? 1 : -1);
        for (int i = n - 1; i > 0; i--) { int j = rng.Next(i + 1); (v[i], v[j]) = (v[j], v[i]); }
        return Tensor.FromArray(v, shape).RequiresGrad_();
    }

    // ───────── higher order ─────────

    public static TheoryData<string> SecondOrderOps => new() { "index_select", "gather", "scatter_add", "index_add", "pad_reflect", "pad_constant", "cumsum", "sort", "repeat" };

    private static Tensor ApplyOp(string op, Tensor x) => op switch
    {
        "index_select" => x.IndexSelect(1, Idx(2, 0, 2)),
        "gather" => x.Gather(1, Tensor.FromArray(new long[] { 0, 0, 3, 1, 2, 2 }, 3, 2)),
        "scatter_add" => Tensor.Zeros(3, 2).ScatterAdd(1, Tensor.FromArray(new long[] { 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1 }, 3, 4), x),
        "index_add" => Tensor.Zeros(3, 2).IndexAdd(1, Idx(1, 1, 0, 1), x, 0.5f),
        "pad_reflect" => x.Unsqueeze(0).Pad([2, 1, 1, 2], "reflect"),
        "pad_constant" => x.Pad([1, -1, 2, 0]),
        "cumsum" => x.Cumsum(1),
        "sort" => x.Sort(1).Values,
        "repeat" => x.Repeat(2, 1),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(SecondOrderOps))]
    public void SecondOrder_GradOfGrad_MatchesFiniteDifferences(string op)
    {
        // g(x) = ∂/∂x Σ w·op(x)² is itself differentiated: the backward rules are built from differentiable ops.
        var w = Tensor.Uniform(ApplyOp(op, Tensor.Zeros(3, 4)).Shape.ToArray(), 0.5f, 1.5f, new Generator(30));
        var x = Tensor.FromArray(new float[] { 0.1f, -0.4f, 0.7f, 0.25f, -0.9f, 0.55f, 0.3f, -0.15f, 0.85f, -0.6f, 0.45f, -0.35f }, 3, 4).RequiresGrad_();
        GradCheck.Check(t =>
        {
            using (Torch.EnableGrad())
                return Autograd.Grad((ApplyOp(op, t[0]).Square() * w).Sum(), t[0], createGraph: true);
        }, [x]);
    }
}
