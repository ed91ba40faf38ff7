using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace ResearchKit.Tensors.Tests.Properties;

/// <summary>
/// Chains of Permute/Transpose/Slice/Narrow/Expand/Unsqueeze/Reshape/View/Contiguous keep the element mapping of a
/// naive reference (a function from view multi-index to base flat index), and writes through a view land in the base
/// storage at exactly the mapped positions (and nowhere when the chain copied).
/// </summary>
public class ViewProperties
{
    /// <summary>One movement op; its arguments are raw draws resolved against the current shape when applied.</summary>
    public sealed record Step(int Kind, int R1, int R2, int R3);

    public sealed record Case(int[] Base, Step[] Steps, bool Int64)
    {
        public override string ToString() =>
            $"base={Ref.Fmt(Base)} int64={Int64} steps=[{string.Join(", ", Steps.Select(s => $"({s.Kind},{s.R1},{s.R2},{s.R3})"))}]";
    }

    private static readonly Gen<Case> Cases =
        from b in PropertyCheck.Shape()
        from n in Gen.Choose(1, 5)
        from steps in Gen.ArrayOf(
            from k in Gen.Choose(0, 8)
            from r1 in Gen.Choose(0, 1000)
            from r2 in Gen.Choose(0, 1000)
            from r3 in Gen.Choose(0, 1000)
            select new Step(k, r1, r2, r3), n)
        from int64 in Gen.Elements(false, true)
        select new Case(b, steps, int64);

    /// <summary>The reference view: shape, map to the base's flat index, and whether it still aliases the base and may be written.</summary>
    private sealed record RefView(int[] Shape, Func<int[], int> Map, bool Aliased, bool Writable);

    /// <summary>Applies <paramref name="s"/> to the tensor and the reference alike; returns a description for failure messages.</summary>
    private static string Apply(Step s, ref Tensor t, ref RefView r)
    {
        int rank = r.Shape.Length;
        var shape = r.Shape;
        var map = r.Map;
        switch (s.Kind)
        {
            case 0 when rank > 0:
            {
                var rng = new Random(s.R1);
                var p = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
                t = t.Permute(p.Select(d => s.R2 % 2 == 0 ? d : d - rank).ToArray()); // negative dims too
                r = r with { Shape = p.Select(d => shape[d]).ToArray(), Map = idx => map(Inverse(idx, p)) };
                return $"Permute({string.Join(",", p)})";
            }
            case 1 when rank > 0:
            {
                int d0 = s.R1 % rank, d1 = s.R2 % rank;
                t = t.Transpose(s.R3 % 2 == 0 ? d0 : d0 - rank, d1);
                var p = Enumerable.Range(0, rank).ToArray();
                (p[d0], p[d1]) = (p[d1], p[d0]);
                r = r with { Shape = p.Select(d => shape[d]).ToArray(), Map = idx => map(Inverse(idx, p)) };
                return $"Transpose({d0},{d1})";
            }
            case 2 when rank > 0:
            {
                int d = s.R1 % rank, size = shape[d];
                int start = s.R2 % size, step = 1 + s.R3 % 3, end = start + 1 + (s.R3 / 3) % (size - start);
                t = s.R2 % 2 == 0 ? t.Slice(d, start, end, step) : t.Slice(d - rank, start - size, end == size ? null : end - size, step);
                var ns = (int[])shape.Clone();
                ns[d] = (end - start + step - 1) / step;
                r = r with { Shape = ns, Map = idx => map(With(idx, d, start + idx[d] * step)) };
                return $"Slice({d},{start},{end},{step})";
            }
            case 3 when rank > 0:
            {
                int d = s.R1 % rank, size = shape[d];
                int start = s.R2 % size, len = 1 + s.R3 % (size - start);
                t = t.Narrow(d, start, len);
                var ns = (int[])shape.Clone();
                ns[d] = len;
                r = r with { Shape = ns, Map = idx => map(With(idx, d, start + idx[d])) };
                return $"Narrow({d},{start},{len})";
            }
            case 4:
            {
                int lead = s.R3 % 2 == 1 && rank < 5 ? 1 + s.R3 % 3 : 0;
                var target = new List<int>();
                if (lead > 0) target.Add(lead);
                for (int i = 0; i < rank; i++) target.Add(shape[i] == 1 ? 1 + (s.R1 + i * s.R2) % 4 : (s.R2 % 2 == 0 ? shape[i] : -1));
                var ts = target.ToArray();
                t = t.Expand(ts);
                var ns = ts.Select((v, i) => v == -1 ? shape[i - (lead > 0 ? 1 : 0)] : v).ToArray();
                int off = lead > 0 ? 1 : 0;
                r = r with
                {
                    Shape = ns,
                    Map = idx => map(Enumerable.Range(0, rank).Select(k => shape[k] == 1 ? 0 : idx[k + off]).ToArray()),
                    Writable = r.Writable && Ref.Numel(ns) == Ref.Numel(shape), // expanded elements share storage: not writable
                };
                return $"Expand({Ref.Fmt(ts)})";
            }
            case 5 when rank < 5:
            {
                int d = s.R1 % (rank + 1);
                t = t.Unsqueeze(d);
                var ns = shape.Take(d).Append(1).Concat(shape.Skip(d)).ToArray();
                r = r with { Shape = ns, Map = idx => map(idx.Take(d).Concat(idx.Skip(d + 1)).ToArray()) };
                return $"Unsqueeze({d})";
            }
            case 6:
            case 7:
            {
                int n = Ref.Numel(shape);
                var divisors = Enumerable.Range(1, n).Where(f => n % f == 0).ToArray();
                int f = divisors[s.R1 % divisors.Length];
                int[] ns = (s.R2 % 3) switch { 0 => [n], 1 => [f, n / f], _ => [f, 1, n / f] };
                int[] arg = s.R3 % 2 == 0 ? ns : ns.Select((v, i) => i == 0 ? -1 : v).ToArray();
                bool wasContiguous = t.IsContiguous;
                if (s.Kind == 7 && !wasContiguous)
                {
                    var view = t;
                    var ex = Assert.Throws<InvalidOperationException>(() => view.View(arg));
                    Assert.Contains("Reshape", ex.Message);
                    return $"View({Ref.Fmt(arg)}) refused";
                }
                t = s.Kind == 7 ? t.View(arg) : t.Reshape(arg);
                r = r with { Shape = ns, Map = idx => map(Ref.Unravel(Ref.Ravel(idx, ns), shape)), Aliased = r.Aliased && wasContiguous };
                return $"{(s.Kind == 7 ? "View" : "Reshape")}({Ref.Fmt(arg)})";
            }
            case 8:
            {
                var c = t.Contiguous();
                Assert.True(c.IsContiguous);
                // A copy owns fresh storage: writes no longer reach the base, and no element is shared any more.
                if (!ReferenceEquals(c, t)) r = r with { Aliased = false, Writable = true };
                t = c;
                return "Contiguous()";
            }
        }
        return "skip";
    }

    private static int[] Inverse(int[] idx, int[] p)
    {
        var o = new int[idx.Length];
        for (int i = 0; i < p.Length; i++) o[p[i]] = idx[i];
        return o;
    }

    private static int[] With(int[] idx, int d, int v)
    {
        var o = (int[])idx.Clone();
        o[d] = v;
        return o;
    }

    private static (Tensor Base, Tensor View, RefView Ref, string Ops) Build(Case c)
    {
        int n = Ref.Numel(c.Base);
        var baseT = c.Int64
            ? Tensor.FromArray(Enumerable.Range(0, n).Select(i => (1L << 62) + i).ToArray(), c.Base)
            : Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), c.Base);
        var t = baseT;
        var r = new RefView(c.Base, idx => Ref.Ravel(idx, c.Base), Aliased: true, Writable: true);
        var ops = new List<string>();
        foreach (var s in c.Steps) ops.Add(Apply(s, ref t, ref r));
        return (baseT, t, r, string.Join(" → ", ops));
    }

    [Fact]
    public void ViewChains_PreserveTheElementMapping()
    {
        var applied = new HashSet<string>();
        PropertyCheck.ForAll(Cases, c => CheckMapping(c, applied));
        // The generator must reach every op (a silent "skip" everywhere would make this property vacuous).
        foreach (var op in new[] { "Permute", "Transpose", "Slice", "Narrow", "Expand", "Unsqueeze", "Reshape", "View", "Contiguous", "View refused" })
            Assert.Contains(op, applied);
    }

    private static void CheckMapping(Case c, HashSet<string> applied)
    {
        var (_, t, r, ops) = Build(c);
        foreach (var op in ops.Split(" → ")) applied.Add(op.EndsWith("refused", StringComparison.Ordinal) ? "View refused" : op.Split('(')[0]);
        Assert.True(r.Shape.SequenceEqual(t.Shape.ToArray()), $"{ops}: shape {t.Shape} vs reference {Ref.Fmt(r.Shape)}");
        var expected = Ref.Indices(r.Shape).Select(r.Map).ToArray();
        long offset = c.Int64 ? 1L << 62 : 0;
        // The strided indexer reads through shape/strides/offset; Contiguous() through the strided copy kernel.
        var viaIndexer = Ref.Indices(r.Shape).Select(idx => c.Int64 ? t.Int64At(idx) - offset : (long)t[idx]).ToArray();
        var viaCopy = c.Int64 ? t.Contiguous().ToInt64Array().Select(v => v - offset).ToArray() : t.Contiguous().ToArray().Select(v => (long)v).ToArray();
        Assert.True(expected.Select(v => (long)v).SequenceEqual(viaIndexer), $"{ops}: indexer disagrees with the reference");
        Assert.True(expected.Select(v => (long)v).SequenceEqual(viaCopy), $"{ops}: Contiguous() disagrees with the reference");
    }

    [Fact]
    public void WritesThroughViews_LandAtTheMappedBaseIndex()
    {
        int aliased = 0, copied = 0;
        PropertyCheck.ForAll(Cases, c =>
        {
            var r = CheckWrite(c);
            if (r is { Writable: true, Aliased: true }) aliased++;
            else if (r.Writable) copied++;
        });
        Assert.True(aliased >= 30 && copied >= 5, $"too few interesting cases: {aliased} writes through views, {copied} through copies");
    }

    private static RefView CheckWrite(Case c)
    {
        var (baseT, t, r, ops) = Build(c);
        if (!r.Writable) return r; // expanded views alias one element many times
        int n = Ref.Numel(r.Shape);
        var before = baseT.ToInt64Array();
        using (Torch.NoGrad())
        {
            if (c.Int64) t.CopyFrom(Tensor.FromArray(Enumerable.Range(0, n).Select(i => -1L - i).ToArray(), r.Shape));
            else t.CopyFrom(Tensor.FromArray(Enumerable.Range(0, n).Select(i => -1f - i).ToArray(), r.Shape));
        }
        var after = baseT.ToInt64Array();
        var expected = (long[])before.Clone();
        if (r.Aliased)
            foreach (var idx in Ref.Indices(r.Shape)) expected[r.Map(idx)] = -1 - Ref.Ravel(idx, r.Shape);
        Assert.True(expected.SequenceEqual(after), $"{ops} (aliased={r.Aliased}): base after the write is [{string.Join(", ", after)}], expected [{string.Join(", ", expected)}]");
        return r;
    }
}
