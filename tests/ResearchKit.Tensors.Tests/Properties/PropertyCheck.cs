using FsCheck;
using FsCheck.Fluent;

namespace ResearchKit.Tensors.Tests.Properties;

/// <summary>
/// Runs FsCheck properties from [Fact]s with a fixed replay seed, so CI sees the same ~100 cases every run.
/// FsCheck picks the structure (shapes, dims, layouts); numeric data comes from a <see cref="System.Random"/> seeded by
/// the case, so every counterexample printed by FsCheck can be replayed exactly.
/// </summary>
internal static class PropertyCheck
{
    private const ulong Seed = 20_261_204;
    private const ulong Gamma = 0x9E37_79B9_7F4A_7C15; // FsCheck's split-mix gamma must be odd

    /// <summary>Checks <paramref name="body"/> (which asserts) on <paramref name="cases"/> generated cases; throws on the first failure.</summary>
    public static void ForAll<T>(Gen<T> gen, Action<T> body, int cases = 100)
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true).WithReplay(Seed, Gamma);
        Check.One(config, Prop.ForAll(gen.ToArbitrary(), body));
    }

    /// <summary>A shape of rank <paramref name="minRank"/>..<paramref name="maxRank"/> with sizes 1..5.</summary>
    public static Gen<int[]> Shape(int minRank = 0, int maxRank = 4) =>
        from rank in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Gen.Choose(1, 5), rank)
        select dims;

    /// <summary>Seeds for the numeric data of a case.</summary>
    public static Gen<int> DataSeed => Gen.Choose(0, int.MaxValue - 1);

    /// <summary>Layout choices for <see cref="Ref.WithLayout(float[], int[], int, int)"/> (see there).</summary>
    public static Gen<int> Layout => Gen.Choose(0, 3);
}

/// <summary>Naive reference helpers: multi-index enumeration and layouts built with explicit index arithmetic.</summary>
internal static class Ref
{
    /// <summary>All multi-indices of <paramref name="shape"/> in row-major order (one empty index for rank 0).</summary>
    public static IEnumerable<int[]> Indices(int[] shape)
    {
        int n = 1;
        foreach (int d in shape) n *= d;
        for (int flat = 0; flat < n; flat++) yield return Unravel(flat, shape);
    }

    public static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int k = shape.Length - 1; k >= 0; k--) { idx[k] = flat % shape[k]; flat /= shape[k]; }
        return idx;
    }

    public static int Ravel(int[] idx, int[] shape)
    {
        int flat = 0;
        for (int k = 0; k < shape.Length; k++) flat = flat * shape[k] + idx[k];
        return flat;
    }

    public static int Numel(int[] shape)
    {
        int n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    public static string Fmt(int[] shape) => new Shape(shape).ToString();

    /// <summary>Random float values that are small integers, so sums are exact in float and max/argmax see ties.</summary>
    public static float[] SmallInts(Random rng, int n, int range = 4)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.Next(-range, range + 1);
        return v;
    }

    /// <summary>Random float values in [-8, 8) with a full mantissa.</summary>
    public static float[] Floats(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 16 - 8);
        return v;
    }

    /// <summary>Random longs over the whole range, biased toward values float32 cannot hold.</summary>
    public static long[] Longs(Random rng, int n)
    {
        var v = new long[n];
        for (int i = 0; i < n; i++)
            v[i] = rng.Next(3) switch
            {
                0 => rng.NextInt64(long.MinValue, long.MaxValue),
                1 => (1L << 53) + rng.Next(-1000, 1000),
                _ => 16_777_217L * rng.Next(-3, 4) + rng.Next(-2, 3),
            };
        return v;
    }

    /// <summary>
    /// A tensor whose logical contents are <paramref name="values"/> (row-major for <paramref name="shape"/>), laid out as
    /// <paramref name="layout"/>: 0 contiguous, 1 permuted storage viewed back through Permute, 2 every other element of a
    /// buffer twice as long in one dim (Slice step 2), 3 the middle of a larger buffer (Narrow with an offset).
    /// </summary>
    public static Tensor WithLayout(float[] values, int[] shape, int layout, int seed) =>
        Build(values, shape, layout, seed, -999f, (d, s) => Tensor.FromArray(d, s));

    /// <summary>Int64 form of <see cref="WithLayout(float[], int[], int, int)"/>.</summary>
    public static Tensor WithLayout(long[] values, int[] shape, int layout, int seed) =>
        Build(values, shape, layout, seed, -999L, (d, s) => Tensor.FromArray(d, s));

    private static Tensor Build<T>(T[] values, int[] shape, int layout, int seed, T filler, Func<T[], int[], Tensor> make)
    {
        int rank = shape.Length;
        if (rank == 0 || layout == 0) return make(values, shape);
        var rng = new Random(seed);
        if (layout == 1)
        {
            // storage index s holds logical index idx with s[i] = idx[p[i]]; Permute(inv) maps it back.
            var p = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
            var sp = p.Select(k => shape[k]).ToArray();
            var storage = new T[values.Length];
            foreach (var s in Indices(sp))
            {
                var idx = new int[rank];
                for (int i = 0; i < rank; i++) idx[p[i]] = s[i];
                storage[Ravel(s, sp)] = values[Ravel(idx, shape)];
            }
            var inv = new int[rank];
            for (int i = 0; i < rank; i++) inv[p[i]] = i;
            return make(storage, sp).Permute(inv);
        }
        int d = rng.Next(rank);
        var big = (int[])shape.Clone();
        big[d] = layout == 2 ? 2 * shape[d] : shape[d] + 2;
        var buf = Enumerable.Repeat(filler, Numel(big)).ToArray();
        foreach (var idx in Indices(shape))
        {
            var s = (int[])idx.Clone();
            s[d] = layout == 2 ? 2 * idx[d] : idx[d] + 1;
            buf[Ravel(s, big)] = values[Ravel(idx, shape)];
        }
        var t = make(buf, big);
        return layout == 2 ? t.Slice(d, 0, null, 2) : t.Narrow(d, 1, shape[d]);
    }
}
