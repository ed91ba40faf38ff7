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
    public void BadInputs_AreRefusedWithTheFix()
    {
        var a = Tensor.Zeros(3, 4);
        var e = Assert.Throws<ArgumentException>(() => SpanKernels.Map(a, Tensor.Zeros(4, 3), (x, y, o) => { }));
        Assert.Contains("equal shapes", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpanKernels.Map(Tensor.Randint(0, 3, [4], new Generator(0)), (x, o) => { }));
        Assert.Contains(".Float()", e.Message);
    }
}
