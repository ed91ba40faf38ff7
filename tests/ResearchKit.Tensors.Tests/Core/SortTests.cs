using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using Xunit;

namespace ResearchKit.Tensors.Tests.Core;

/// <summary>sort, argsort, topk, kthvalue, median: values vs references (PyTorch numbers baked in), NaN and tie order, gradients.</summary>
public class SortTests
{
    private const float NaN = float.NaN;

    /// <summary>A tensor holding a random permutation of k/30 (well-separated values, no ties) for gradient checks.</summary>
    private static Tensor PermLeaf(int seed, params int[] shape)
    {
        int n = ShapeUtil.Numel(shape);
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i - n / 2) / 30f;
        for (int i = n - 1; i > 0; i--) { int j = rng.Next(i + 1); (v[i], v[j]) = (v[j], v[i]); }
        return Tensor.FromArray(v, shape).RequiresGrad_();
    }

    /// <summary>Stable reference sort of one line with NaN largest.</summary>
    private static int[] RefOrder(float[] line, bool descending)
    {
        var order = new int[line.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        int Cmp(int a, int b)
        {
            float x = line[a], y = line[b];
            int c = float.IsNaN(x) ? (float.IsNaN(y) ? 0 : 1) : float.IsNaN(y) ? -1 : x.CompareTo(y);
            return descending ? -c : c;
        }
        // Insertion sort: trivially stable.
        for (int i = 1; i < order.Length; i++)
        {
            int cur = order[i], j = i - 1;
            while (j >= 0 && Cmp(order[j], cur) > 0) { order[j + 1] = order[j]; j--; }
            order[j + 1] = cur;
        }
        return order;
    }

    [Fact]
    public void Sort_NaNLargest_StableTies_MatchesPyTorch()
    {
        var s = Tensor.FromArray([0.5f, NaN, -1, 2, NaN, 0.5f, 1, 1, 1, 0, 0, 0], 2, 6);
        var (v, i) = s.Sort(1);
        AssertClose.Equal([-1f, 0.5f, 0.5f, 2, NaN, NaN, 0, 0, 0, 1, 1, 1], v.ToArray(), what: "asc values");
        Assert.Equal(new long[] { 2, 0, 5, 3, 1, 4, 3, 4, 5, 0, 1, 2 }, i.ToInt64Array());
        var (vd, id) = s.Sort(1, descending: true);
        AssertClose.Equal([NaN, NaN, 2, 0.5f, 0.5f, -1, 1, 1, 1, 0, 0, 0], vd.ToArray(), what: "desc values");
        Assert.Equal(new long[] { 1, 4, 3, 0, 5, 2, 0, 1, 2, 3, 4, 5 }, id.ToInt64Array());
        Assert.Equal(id.ToInt64Array(), s.Argsort(-1, descending: true).ToInt64Array());
        Assert.Equal(DType.Int64, i.DType);
    }

    [Fact]
    public void Sort_Int64_DescendingStable()
    {
        var (v, i) = Tensor.FromArray(new long[] { 1, 2, 1, 2, 1 }).Sort(descending: true);
        Assert.Equal(DType.Int64, v.DType);
        Assert.Equal(new long[] { 2, 2, 1, 1, 1 }, v.ToInt64Array());
        Assert.Equal(new long[] { 1, 3, 0, 2, 4 }, i.ToInt64Array());
    }

    [Theory]
    [InlineData(0, false)] [InlineData(1, true)] [InlineData(-1, false)] [InlineData(-3, true)]
    public void Sort_RandomWithTies_MatchesStableReference(int dim, bool descending)
    {
        // Values on a coarse grid so ties are frequent; input is a permuted (non-contiguous) view.
        var rng = new Random(5);
        var data = new float[4 * 5 * 6];
        for (int k = 0; k < data.Length; k++) data[k] = rng.Next(4) - 1.5f;
        data[7] = NaN; data[30] = NaN;
        var x = Tensor.FromArray(data, 5, 4, 6).Permute(1, 0, 2); // (4, 5, 6)
        int d = dim < 0 ? dim + 3 : dim;
        var (v, idx) = x.Sort(dim, descending);
        var shape = x.Shape.ToArray();
        var p = new int[3];
        int[] others = d == 0 ? [1, 2] : d == 1 ? [0, 2] : [0, 1];
        for (int a = 0; a < shape[others[0]]; a++)
            for (int b = 0; b < shape[others[1]]; b++)
            {
                var line = new float[shape[d]];
                p[others[0]] = a; p[others[1]] = b;
                for (int j = 0; j < line.Length; j++) { p[d] = j; line[j] = x[p]; }
                var order = RefOrder(line, descending);
                for (int j = 0; j < line.Length; j++)
                {
                    p[d] = j;
                    Assert.Equal(order[j], (int)idx[p]);
                    Assert.Equal(line[order[j]], v[p]);
                }
            }
    }

    [Fact]
    public void Sort_LargeParallel_SameForOneAndTwoThreads()
    {
        var x = Tensor.Randn([64, 700], new Generator(6));
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = 1;
            var (v1, i1) = x.Sort(1, descending: true);
            Parallelism.Threads = 2;
            var (v2, i2) = x.Sort(1, descending: true);
            Assert.Equal(v1.ToArray(), v2.ToArray());
            Assert.Equal(i1.ToInt64Array(), i2.ToInt64Array());
            var row = x.Select(0, 17).ToArray();
            Assert.Equal(RefOrder(row, true), Array.ConvertAll(i2.Select(0, 17).ToInt64Array(), l => (int)l));
        }
        finally { Parallelism.Threads = saved; }
    }

    [Fact]
    public void Topk_MatchesPyTorch_NaNAndLargestFalse()
    {
        var s = Tensor.FromArray([0.5f, NaN, -1, 2, NaN, 0.5f, 1, 3, 1, 0, 5, 0], 2, 6);
        var (v, i) = s.Topk(3, 1);
        AssertClose.Equal([NaN, NaN, 2, 5, 3, 1], v.ToArray(), what: "topk");
        Assert.Equal(new long[] { 1, 4, 3, 4, 1, 0 }, i.ToInt64Array());
        var (vs, is_) = s.Topk(3, 1, largest: false);
        AssertClose.Equal([-1f, 0.5f, 0.5f, 0, 0, 1], vs.ToArray(), what: "bottomk");
        Assert.Equal(new long[] { 2, 0, 5, 3, 5, 0 }, is_.ToInt64Array());
        Assert.Equal(new Shape(2, 0), s.Topk(0).Values.Shape);
        var (vc, ic) = s.T.Topk(2, dim: 0); // non-contiguous, along dim 0 of the (6, 2) view
        Assert.Equal(new Shape(2, 2), vc.Shape);
        Assert.Equal(new long[] { 1, 4, 4, 1 }, ic.ToInt64Array());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.Topk(7));
        Assert.Contains("k = 7", ex.Message); Assert.Contains("size 6", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Topk(-1));
    }

    [Fact]
    public void Kthvalue_And_Median_MatchPyTorch()
    {
        var s = Tensor.FromArray([0.5f, NaN, -1, 2, NaN, 0.5f, 1, 1, 1, 0, 0, 0], 2, 6);
        var (kv, ki) = s.Kthvalue(2, 1);
        Assert.Equal(new[] { 0.5f, 0f }, kv.ToArray());
        Assert.Equal(0L, (long)ki[0]);
        var (mv, mi) = s.Median(1);
        AssertClose.Equal([NaN, 0f], mv.ToArray(), what: "median");
        Assert.Equal(new long[] { 1, 5 }, mi.ToInt64Array());
        var (mk, mik) = Tensor.FromArray([3f, 1, 2, 0], 4, 1).Median(0, keepDim: true);
        Assert.Equal(new Shape(1, 1), mk.Shape);
        Assert.Equal(1f, mk.Item()); Assert.Equal(1f, mik.Item());
        Assert.Equal(2f, Tensor.FromArray([5f, 1, 2, 4, 0], 5).Median().Item());
        Assert.True(float.IsNaN(s.Median().Item()));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.Kthvalue(0, 1));
        Assert.Contains("k = 0", ex.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 0).Median(1));
    }

    [Fact]
    public void Sort_Topk_Kthvalue_Median_GradCheck()
    {
        GradCheck.Check(t => t[0].Sort(1).Values, [PermLeaf(1, 3, 5)], eps: 1e-3f);
        GradCheck.Check(t => t[0].Sort(0, descending: true).Values, [PermLeaf(2, 4, 3)], eps: 1e-3f);
        GradCheck.Check(t => t[0].Topk(2, 1).Values, [PermLeaf(3, 3, 5)], eps: 1e-3f);
        GradCheck.Check(t => t[0].T.Topk(3, 0, largest: false).Values, [PermLeaf(4, 3, 5)], eps: 1e-3f);
        GradCheck.Check(t => t[0].Kthvalue(3, 1, keepDim: true).Values, [PermLeaf(5, 2, 5)], eps: 1e-3f);
        GradCheck.Check(t => t[0].Median(-1).Values, [PermLeaf(6, 3, 4)], eps: 1e-3f);
        GradCheck.Check(t => t[0].Median(), [PermLeaf(7, 7)], eps: 1e-3f);
    }

    [Fact]
    public void Sort_ScalarAndInt64Topk()
    {
        var (v, i) = Tensor.Scalar(3f).Sort();
        Assert.Equal(0, v.Dim); Assert.Equal(3f, v.Item()); Assert.Equal(0f, i.Item());
        var (tv, ti) = Tensor.FromArray(new long[] { 4, 9, 1, 9 }).Topk(2);
        Assert.Equal(new long[] { 9, 9 }, tv.ToInt64Array());
        Assert.Equal(new long[] { 1, 3 }, ti.ToInt64Array());
    }

    [Fact]
    public void Topk_SmallK_PartialSelection_EqualsSortPrefix()
    {
        // Size ≥ 8k takes the partial-selection path; ties, ±0 and NaN must come out exactly as the full sort's prefix.
        var rng = new Random(8);
        var data = new float[7 * 200];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Next(9) - 4;
        data[5] = NaN; data[17] = -0f; data[230] = NaN; data[231] = NaN;
        var x = Tensor.FromArray(data, 200, 7).T; // (7, 200) non-contiguous
        foreach (bool largest in new[] { true, false })
            foreach (int k in new[] { 1, 5, 25 })
            {
                var (tv, ti) = x.Topk(k, 1, largest);
                var (sv, si) = x.Sort(1, descending: largest);
                Assert.Equal(si.Narrow(1, 0, k).ToInt64Array(), ti.ToInt64Array());
                AssertClose.Equal(sv.Narrow(1, 0, k).ToArray(), tv.ToArray(), what: $"k={k} largest={largest}");
            }
        // ±0 compare equal, as in PyTorch: original order is kept.
        Assert.Equal(new long[] { 0, 1, 2 }, Tensor.FromArray([0f, -0f, 0f]).Argsort().ToInt64Array());
    }
}
