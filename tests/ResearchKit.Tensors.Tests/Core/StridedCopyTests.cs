using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using Xunit;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Tensors.Tests.Core;

/// <summary>
/// Copies of strided views large enough to be split across threads (clone, constant padding) and the plane-split batch-norm
/// affine pass: every element against index arithmetic on the base storage, and the same bits at 1, 2, 3 and 5 threads.
/// </summary>
public class StridedCopyTests
{
    private static readonly int[] ThreadCounts = [1, 2, 3, 5];

    private static T AtThreads<T>(int threads, Func<T> f)
    {
        int saved = Parallelism.Threads;
        try { Parallelism.Threads = threads; return f(); }
        finally { Parallelism.Threads = saved; }
    }

    // A base of distinct exact values (i as float is exact below 2^24), so any misplaced element shows.
    private static Tensor Base(params int[] shape) => Tensor.Arange(0, shape.Aggregate(1, (a, b) => a * b)).Reshape(shape);

    public static TheoryData<string> Views => new() { "stride2", "permuted", "narrowed", "expanded" };

    private static Tensor View(string kind) => kind switch
    {
        // (64, 16, 16, 16) from (64, 16, 32, 32): ResNet's option-A shortcut input; 262,144 elements, above the split grain.
        "stride2" => Base(64, 16, 32, 32).Slice(2, 0, null, 2).Slice(3, 0, null, 2),
        "permuted" => Base(40, 30, 200).Permute(2, 0, 1),
        "narrowed" => Base(300, 1000).Narrow(1, 3, 997),
        "expanded" => Base(1, 500, 1).Expand(300, 500, 3),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // The view's elements in row-major order from its offset and strides alone: the base is 0, 1, 2, ..., so an element's value
    // is its flat index in the base (no copy kernel involved).
    private static float[] Reference(Tensor view, int offset)
    {
        int[] shape = [.. view.Shape], strides = view.Strides;
        var r = new float[view.Numel];
        var idx = new int[shape.Length];
        for (int i = 0; i < r.Length; i++)
        {
            int off = offset;
            for (int d = 0; d < shape.Length; d++) off += idx[d] * strides[d];
            r[i] = off;
            for (int d = shape.Length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
        return r;
    }

    [Theory]
    [MemberData(nameof(Views))]
    public void Clone_OfALargeView_IsEveryElementInOrder_AtEveryThreadCount(string kind)
    {
        var v = View(kind);
        Assert.False(v.IsContiguous);
        Assert.True(v.Numel > Tensor.ParallelGrain, "the view must be large enough to be split across threads");
        float[] expected = Reference(v, kind == "narrowed" ? 3 : 0);
        foreach (int t in ThreadCounts)
            Assert.Equal(expected, AtThreads(t, () => v.Clone().ToArray()));
    }

    [Fact]
    public void ConstantPad_OfAStride2View_MatchesIndexing_AtEveryThreadCount()
    {
        // The option-A shortcut: subsample, then pad 8 zero channels on each side.
        var x = Base(64, 16, 32, 32);
        var s = x.Slice(2, 0, null, 2).Slice(3, 0, null, 2);
        var src = s.Clone().ToArray();
        foreach (int t in ThreadCounts)
        {
            var y = AtThreads(t, () => s.Pad([0, 0, 0, 0, 8, 8]));
            Assert.Equal(new[] { 64, 32, 16, 16 }, y.Shape.ToArray());
            var got = y.ToArray();
            for (int n = 0; n < 64; n++)
                for (int c = 0; c < 32; c++)
                    for (int p = 0; p < 256; p++)
                    {
                        float want = c is < 8 or >= 24 ? 0f : src[(n * 16 + c - 8) * 256 + p];
                        Assert.Equal(want, got[(n * 32 + c) * 256 + p]);
                    }
        }
    }

    [Fact]
    public void ConstantPad_CropAndPadMixed_OnAPermutedView_FloatAndInt64_MatchIndexing()
    {
        var x = Base(40, 30, 200).Permute(2, 0, 1); // (200, 40, 30), strides (1, 6000, 200)
        int[] pad = [2, -3, -5, 1, 0, 0];           // last dim: 2 in front, crop 3 at the end; middle: crop 5 in front, 1 after
        var src = x.Clone().ToArray();
        var xl = Tensor.FromArray(Array.ConvertAll(src, v => (long)v), 200, 40, 30).Permute(0, 1, 2);
        foreach (int t in ThreadCounts)
        {
            var y = AtThreads(t, () => x.Pad(pad, 7f));
            var yl = AtThreads(t, () => xl.Pad(pad, 7f));
            Assert.Equal(new[] { 200, 36, 29 }, y.Shape.ToArray());
            var got = y.ToArray();
            var gotL = yl.ToInt64Array();
            for (int a = 0; a < 200; a++)
                for (int b = 0; b < 36; b++)
                    for (int c = 0; c < 29; c++)
                    {
                        int sb = b + 5, sc = c - 2; // out[o] = x[o - l]
                        float want = sb < 40 && sc >= 0 && sc < 30 ? src[(a * 40 + sb) * 30 + sc] : 7f;
                        int o = (a * 36 + b) * 29 + c;
                        Assert.Equal(want, got[o]);
                        Assert.Equal((long)want, gotL[o]);
                    }
        }
    }

    [Theory]
    [InlineData(8, 5, 64)]   // 8×8 planes: 20,480 elements per channel row, split by planes
    [InlineData(33, 7, 1024)] // 32×32 planes, a channel count that does not divide the split
    public void BatchNormEval_PlaneSplit_MatchesTheFormula_AndIsTheSameAtEveryThreadCount(int n, int c, int s)
    {
        var gen = new Generator(3);
        var x = Tensor.Randn([n, c, s], gen);
        var mean = Tensor.Randn([c], gen);
        var var = Tensor.Rand([c], gen) + 0.5f;
        var w = Tensor.Randn([c], gen);
        var b = Tensor.Randn([c], gen);
        float[] xv = x.ToArray(), mv = mean.ToArray(), vv = var.ToArray(), wv = w.ToArray(), bv = b.ToArray();
        float[]? first = null;
        foreach (int t in ThreadCounts)
        {
            var y = AtThreads(t, () => F.BatchNorm(x, mean, var, w, b, training: false, eps: 1e-5f).ToArray());
            first ??= y;
            Assert.Equal(first, y);
        }
        for (int i = 0; i < xv.Length; i++)
        {
            int ch = i / s % c;
            double want = (xv[i] - mv[ch]) / Math.Sqrt(vv[ch] + 1e-5) * wv[ch] + bv[ch];
            Assert.True(Math.Abs(first![i] - want) <= 1e-5 * (1 + Math.Abs(want)), $"element {i}: {first[i]} vs {want}");
        }
    }
}
