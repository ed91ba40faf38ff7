using Xunit;

namespace ResearchKit.Tensors.Tests.Memory;

/// <summary>
/// <see cref="SpanKernels"/>: custom element-wise kernels write pooled storage that stays poolable (unlike AsSpan), read
/// non-contiguous inputs correctly, and refuse mismatched inputs with a clear message.
/// </summary>
public class SpanKernelsTests
{
    [Fact]
    public void Map_WritesEveryElement_FromContiguousAndStridedInputs()
    {
        var x = Tensor.Randn([6, 5], new Generator(1));
        var y = SpanKernels.Map(x, (s, o) => { for (int i = 0; i < s.Length; i++) o[i] = 2f * s[i] + 1f; });
        Assert.Equal(x.ToArray().Select(v => 2f * v + 1f), y.ToArray());
        Assert.Equal([6, 5], y.Shape.ToArray());

        var t = x.T;   // not contiguous: read in logical (row-major) order
        var z = SpanKernels.Map(t, x.T.Contiguous(), (a, b, o) => { for (int i = 0; i < a.Length; i++) o[i] = a[i] - b[i]; });
        Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(t.ToArray().Select(v => v + 1f), SpanKernels.Map(t, (s, o) => { for (int i = 0; i < s.Length; i++) o[i] = s[i] + 1f; }).ToArray());
    }

    [Fact]
    public void Map_Output_StaysPoolable_WhereAsSpanWouldOptItOut()
    {
        // The suite pools every size (tests/Shared/AllocatorChecks.cs); 64k floats is above the default threshold anyway.
        long escaped = CachingAllocator.Stats().Escaped;
        var x = Tensor.Randn([65536], new Generator(2));
        for (int i = 0; i < 4; i++) _ = SpanKernels.Map(x, (s, o) => s.CopyTo(o)).Sum().Item();
        Assert.Equal(escaped, CachingAllocator.Stats().Escaped);
    }

    [Fact]
    public void Map_OfTwoInputsOfDifferentShapes_FillsTheOutputShape_AndStaysPoolable()
    {
        // Per-plane sums (n, c, h, w) combined with per-pixel totals (n, 1, h, w), the second read through a transpose.
        var sums = Tensor.Randn([2, 3, 4, 5], new Generator(4));
        var totals = Tensor.Randn([2, 1, 5, 4], new Generator(5)).Transpose(2, 3);
        long escaped = CachingAllocator.Stats().Escaped;
        var y = SpanKernels.Map(sums, totals, [2, 3, 4, 5], (a, b, o) =>
        {
            for (int i = 0; i < o.Length; i++) o[i] = a[i] - 2f * b[(i / 60) * 20 + i % 20];
        });
        Assert.Equal([2, 3, 4, 5], y.Shape.ToArray());
        var expected = (sums - 2f * totals).ToArray();   // broadcast over the channels
        Assert.Equal(expected, y.ToArray());
        Assert.Equal(escaped, CachingAllocator.Stats().Escaped);
        Assert.Throws<ArgumentException>(() => SpanKernels.Map(sums, totals, [2, -1], (_, _, _) => { }));
    }

    [Fact]
    public void Map_WithAnOutputShape_FillsThatShape_FromTheInputInRowMajorOrder()
    {
        // A 2×2 sum pooling of a strided (transposed) input: the kernel sees the logical elements, writes the new shape.
        var x = Tensor.Randn([4, 6], new Generator(3));
        var t = x.T;   // (6, 4), not contiguous
        var y = SpanKernels.Map(t, [3, 2], (s, o) =>
        {
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 2; c++)
                    o[r * 2 + c] = s[(2 * r) * 4 + 2 * c] + s[(2 * r) * 4 + 2 * c + 1] + s[(2 * r + 1) * 4 + 2 * c] + s[(2 * r + 1) * 4 + 2 * c + 1];
        });
        Assert.Equal([3, 2], y.Shape.ToArray());
        var expected = t.Contiguous().Reshape(3, 2, 2, 2).Permute(0, 2, 1, 3).Sum([2, 3]).ToArray();
        var got = y.ToArray();
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], got[i], 1e-5f);
        var e = Assert.Throws<ArgumentException>(() => SpanKernels.Map(x, [2, -1], (s, o) => { }));
        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void BadInputs_AreRefusedWithTheFix()
    {
        var a = Tensor.Zeros(3, 4);
        var e = Assert.Throws<ArgumentException>(() => SpanKernels.Map(a, Tensor.Zeros(4, 3), (x, y, o) => { }));
        Assert.Contains("equal shapes", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpanKernels.Map(Tensor.Randint(0, 3, [4], new Generator(0)), (x, o) => { }));
        Assert.Contains(".Float()", e.Message);
    }
}
