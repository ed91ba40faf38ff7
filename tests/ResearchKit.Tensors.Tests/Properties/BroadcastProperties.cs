using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace ResearchKit.Tensors.Tests.Properties;

/// <summary>Broadcasting binary ops on random shape pairs and layouts agree with a naive loop over output multi-indices.</summary>
public class BroadcastProperties
{
    public sealed record Case(int[] A, int[] B, int LayoutA, int LayoutB, int Seed)
    {
        public override string ToString() => $"A={Ref.Fmt(A)} B={Ref.Fmt(B)} layouts=({LayoutA},{LayoutB}) seed={Seed}";
    }

    /// <summary>
    /// Broadcast-compatible pairs: an output shape, then for each operand a suffix of it (leading dims dropped) with some
    /// sizes replaced by 1.
    /// </summary>
    private static Gen<int[]> OperandOf(int[] outShape) =>
        from drop in Gen.Choose(0, outShape.Length)
        from ones in Gen.ArrayOf(Gen.Choose(0, 2), outShape.Length - drop)
        select outShape.Skip(drop).Select((d, i) => ones[i] == 0 ? 1 : d).ToArray();

    private static readonly Gen<Case> Compatible =
        from o in PropertyCheck.Shape()
        from a in OperandOf(o)
        from b in OperandOf(o)
        from la in PropertyCheck.Layout
        from lb in PropertyCheck.Layout
        from seed in PropertyCheck.DataSeed
        select new Case(a, b, la, lb, seed);

    /// <summary>The reference: out[idx] = f(a[idx'], b[idx'']) with idx' the trailing dims of idx, 0 where the operand has size 1.</summary>
    private static T2[] Reference<T, T2>(int[] a, T[] av, int[] b, T[] bv, Func<T, T, T2> f, out int[] outShape)
    {
        int rank = Math.Max(a.Length, b.Length);
        outShape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            outShape[i] = Math.Max(da, db);
        }
        var r = new T2[Ref.Numel(outShape)];
        foreach (var idx in Ref.Indices(outShape))
            r[Ref.Ravel(idx, outShape)] = f(av[Ref.Ravel(Project(idx, a), a)], bv[Ref.Ravel(Project(idx, b), b)]);
        return r;
    }

    private static int[] Project(int[] idx, int[] shape)
    {
        var p = new int[shape.Length];
        int lead = idx.Length - shape.Length;
        for (int k = 0; k < shape.Length; k++) p[k] = shape[k] == 1 ? 0 : idx[lead + k];
        return p;
    }

    [Fact]
    public void Add_Mul_Maximum_MatchNaiveBroadcast() => PropertyCheck.ForAll(Compatible, c =>
    {
        var rng = new Random(c.Seed);
        var av = Ref.Floats(rng, Ref.Numel(c.A));
        var bv = Ref.Floats(rng, Ref.Numel(c.B));
        var a = Ref.WithLayout(av, c.A, c.LayoutA, c.Seed);
        var b = Ref.WithLayout(bv, c.B, c.LayoutB, c.Seed + 1);
        // float op float is the correctly rounded exact result; the exact double result rounded once is the same number.
        Check(a + b, Reference(c.A, av, c.B, bv, (x, y) => (float)((double)x + y), out var shape), shape);
        Check(a * b, Reference(c.A, av, c.B, bv, (x, y) => (float)((double)x * y), out shape), shape);
        Check(Tensor.Maximum(a, b), Reference(c.A, av, c.B, bv, Math.Max, out shape), shape);
        Check(b - a, Reference(c.B, bv, c.A, av, (x, y) => (float)((double)x - y), out shape), shape);
    });

    [Fact]
    public void Int64_Add_Mul_Compare_MatchNaiveBroadcastExactly() => PropertyCheck.ForAll(Compatible, c =>
    {
        var rng = new Random(c.Seed);
        var av = Ref.Longs(rng, Ref.Numel(c.A));
        var bv = Ref.Longs(rng, Ref.Numel(c.B));
        var a = Ref.WithLayout(av, c.A, c.LayoutA, c.Seed);
        var b = Ref.WithLayout(bv, c.B, c.LayoutB, c.Seed + 1);
        var sum = a + b;
        Assert.Equal(DType.Int64, sum.DType);
        Assert.Equal(Reference(c.A, av, c.B, bv, (x, y) => unchecked(x + y), out var shape), sum.ToInt64Array());
        Assert.Equal(shape, sum.Shape.ToArray());
        Assert.Equal(Reference(c.A, av, c.B, bv, (x, y) => unchecked(x * y), out _), (a * b).ToInt64Array());
        Assert.Equal(Reference(c.A, av, c.B, bv, Math.Min, out _), Tensor.Minimum(a, b).ToInt64Array());
        Assert.Equal(Reference(c.A, av, c.B, bv, (x, y) => x < y ? 1f : 0f, out _), a.Lt(b).ToArray());
        var safeB = Tensor.Where(b.Eq(0L), Tensor.Scalar(1L), b); // zero divisors throw, tested elsewhere
        Assert.Equal(Reference(c.A, av, c.B, bv, (x, y) => FloorDiv(x, y == 0 ? 1 : y), out _), a.FloorDivide(safeB).ToInt64Array());
    });

    // Python's // on exact integers (BigInteger), then wrapped to 64 bits.
    private static long FloorDiv(long x, long y)
    {
        var q = System.Numerics.BigInteger.DivRem(x, y, out var r);
        if (r != 0 && (r < 0) != (y < 0)) q -= 1;
        return (long)(ulong)(q & ulong.MaxValue);
    }

    private static void Check(Tensor actual, float[] expected, int[] shape)
    {
        Assert.Equal(shape, actual.Shape.ToArray());
        Assert.Equal(expected, actual.ToArray());
    }

    public sealed record BadPair(int[] A, int[] B)
    {
        public override string ToString() => $"A={Ref.Fmt(A)} B={Ref.Fmt(B)}";
    }

    /// <summary>A pair whose sizes differ in one aligned dim where neither is 1 (optionally with an extra leading dim on B).</summary>
    private static readonly Gen<BadPair> Incompatible =
        from a0 in PropertyCheck.Shape(1, 4)
        from k in Gen.Choose(0, a0.Length - 1)
        from x in Gen.Choose(2, 5)
        from y in Gen.Choose(2, 4)
        from lead in Gen.Choose(0, 1)
        let a = a0.Select((d, i) => i == k ? x : d).ToArray()
        let b = a0.Select((d, i) => i == k ? (y >= x ? y + 1 : y) : d).ToArray()
        select new BadPair(a, lead == 1 ? [3, .. b] : b);

    [Fact]
    public void IncompatibleShapes_ThrowNamingBothShapes() => PropertyCheck.ForAll(Incompatible, c =>
    {
        var a = Tensor.Zeros(c.A); var b = Tensor.Zeros(c.B);
        foreach (var op in new Func<Tensor>[] { () => a + b, () => a * b, () => Tensor.Maximum(a, b), () => a.Long() + b.Long() })
        {
            var ex = Assert.Throws<ArgumentException>(op);
            Assert.Contains(Ref.Fmt(c.A), ex.Message);
            Assert.Contains(Ref.Fmt(c.B), ex.Message);
        }
    });
}
