using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace ResearchKit.Tensors.Tests.Properties;

/// <summary>IndexSelect, Gather, Scatter, ScatterAdd and MaskedSelect on random shapes and layouts agree with naive loops, for Float32 and exact Int64.</summary>
public class IndexingProperties
{
    /// <summary>Self's shape, a dim (maybe negative), the index tensor's shape, the source's shape, layouts, data seed.</summary>
    public sealed record Case(int[] Self, int Dim, int[] Index, int[] Src, int Layout, int IndexLayout, bool Int64, int Seed)
    {
        public int D => Dim < 0 ? Dim + Self.Length : Dim;

        public override string ToString() =>
            $"self={Ref.Fmt(Self)} dim={Dim} index={Ref.Fmt(Index)} src={Ref.Fmt(Src)} layouts=({Layout},{IndexLayout}) int64={Int64} seed={Seed}";
    }

    /// <summary>Gather/scatter shapes: index.size(k) ≤ self.size(k) for k ≠ dim, any 1..5 along dim; src ≥ index everywhere.</summary>
    private static readonly Gen<Case> ScatterCases =
        from self in PropertyCheck.Shape(1, 4)
        from d in Gen.Choose(0, self.Length - 1)
        from neg in Gen.Elements(false, true)
        from fracs in Gen.ArrayOf(Gen.Choose(0, 1000), self.Length)
        from along in Gen.Choose(1, 5)
        from extra in Gen.ArrayOf(Gen.Choose(0, 1), self.Length)
        from layout in PropertyCheck.Layout
        from indexLayout in PropertyCheck.Layout
        from int64 in Gen.Elements(false, true)
        from seed in PropertyCheck.DataSeed
        let index = self.Select((s, k) => k == d ? along : 1 + fracs[k] % s).ToArray()
        let src = index.Select((s, k) => s + extra[k]).ToArray()
        select new Case(self, neg ? d - self.Length : d, index, src, layout, indexLayout, int64, seed);

    /// <summary>Float values or longs beyond float32's integers, drawn from the case's seed.</summary>
    private static (Tensor T, long[] V) Data(Random rng, int[] shape, bool int64, int layout, int seed)
    {
        int n = Ref.Numel(shape);
        var v = int64 ? Ref.Longs(rng, n) : Ref.SmallInts(rng, n, 50).Select(f => (long)f).ToArray();
        var t = int64 ? Ref.WithLayout(v, shape, layout, seed) : Ref.WithLayout(v.Select(e => (float)e).ToArray(), shape, layout, seed);
        return (t, v);
    }

    private static long[] Values(Tensor t) => t.DType == DType.Int64 ? t.ToInt64Array() : t.ToArray().Select(f => (long)f).ToArray();

    private static int[] With(int[] idx, int d, int v)
    {
        var o = (int[])idx.Clone();
        o[d] = v;
        return o;
    }

    private static (Tensor T, long[] V) RandomIndex(Random rng, int[] shape, int bound, int layout, int seed)
    {
        var v = Enumerable.Range(0, Ref.Numel(shape)).Select(_ => (long)rng.Next(bound)).ToArray();
        return (Ref.WithLayout(v, shape, layout, seed), v);
    }

    [Fact]
    public void IndexSelect_MatchesNaiveLoop() => PropertyCheck.ForAll(ScatterCases, c =>
    {
        var rng = new Random(c.Seed);
        var (x, xv) = Data(rng, c.Self, c.Int64, c.Layout, c.Seed);
        var idx = Enumerable.Range(0, c.Index[c.D]).Select(_ => (long)rng.Next(c.Self[c.D])).ToArray();
        var y = x.IndexSelect(c.Dim, Tensor.FromArray(idx, idx.Length));
        var shape = With(c.Self, c.D, idx.Length);
        Assert.Equal(shape, y.Shape.ToArray());
        Assert.Equal(x.DType, y.DType);
        var expected = Ref.Indices(shape).Select(i => xv[Ref.Ravel(With(i, c.D, (int)idx[i[c.D]]), c.Self)]);
        Assert.Equal(expected, Values(y));
    });

    [Fact]
    public void Gather_MatchesNaiveLoop() => PropertyCheck.ForAll(ScatterCases, c =>
    {
        var rng = new Random(c.Seed);
        var (x, xv) = Data(rng, c.Self, c.Int64, c.Layout, c.Seed);
        var (index, iv) = RandomIndex(rng, c.Index, c.Self[c.D], c.IndexLayout, c.Seed + 7);
        var y = x.Gather(c.Dim, index);
        Assert.Equal(c.Index, y.Shape.ToArray());
        var expected = Ref.Indices(c.Index).Select(i => xv[Ref.Ravel(With(i, c.D, (int)iv[Ref.Ravel(i, c.Index)]), c.Self)]);
        Assert.Equal(expected, Values(y));
    });

    [Fact]
    public void Scatter_ScatterAdd_MatchNaiveLoops() => PropertyCheck.ForAll(ScatterCases, c =>
    {
        var rng = new Random(c.Seed);
        var (x, xv) = Data(rng, c.Self, c.Int64, c.Layout, c.Seed);
        var (src, sv) = Data(rng, c.Src, c.Int64, (c.Layout + 1) % 4, c.Seed + 3);
        var (index, iv) = RandomIndex(rng, c.Index, c.Self[c.D], c.IndexLayout, c.Seed + 7);
        var added = (long[])xv.Clone();
        var written = (long[])xv.Clone();
        // Row-major over the index: accumulation order is irrelevant for exact integers; for scatter the last write wins.
        foreach (var i in Ref.Indices(c.Index))
        {
            int target = Ref.Ravel(With(i, c.D, (int)iv[Ref.Ravel(i, c.Index)]), c.Self);
            long s = sv[Ref.Ravel(i, c.Src)];
            added[target] = unchecked(added[target] + s);
            written[target] = s;
        }
        Assert.Equal(added, Values(x.ScatterAdd(c.Dim, index, src)));
        Assert.Equal(written, Values(x.Scatter(c.Dim, index, src)));
        Assert.Equal(xv, Values(x)); // out of place
    });

    [Fact]
    public void MaskedSelect_MatchesNaiveLoop() => PropertyCheck.ForAll(ScatterCases, c =>
    {
        var rng = new Random(c.Seed);
        var (x, xv) = Data(rng, c.Self, c.Int64, c.Layout, c.Seed);
        // A mask that broadcasts to self: a suffix of self's shape with some sizes set to 1.
        var maskShape = c.Self.Skip(rng.Next(c.Self.Length + 1)).Select(s => rng.Next(3) == 0 ? 1 : s).ToArray();
        var mv = Enumerable.Range(0, Ref.Numel(maskShape)).Select(_ => rng.Next(2) == 0 ? 0f : 1f).ToArray();
        var mask = Ref.WithLayout(mv, maskShape, c.IndexLayout, c.Seed + 5);
        var expected = new List<long>();
        foreach (var i in Ref.Indices(c.Self))
        {
            var mi = i.Skip(c.Self.Length - maskShape.Length).Select((v, k) => maskShape[k] == 1 ? 0 : v).ToArray();
            if (mv[Ref.Ravel(mi, maskShape)] != 0) expected.Add(xv[Ref.Ravel(i, c.Self)]);
        }
        var y = x.MaskedSelect(mask);
        Assert.Equal(new[] { expected.Count }, y.Shape.ToArray());
        Assert.Equal(expected, Values(y));
        Assert.Equal(expected, Values(x.MaskedSelect(mask.Long()))); // an Int64 mask selects the same
    });
}
