using System.Runtime.Intrinsics.X86;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Kernels.Native;
using Xunit;

namespace ResearchKit.Tensors.Tests.Kernels;

/// <summary>
/// <see cref="Int8Gemm"/> and <see cref="BinaryGemm"/> against naive integer loops, on every code path this CPU can run
/// (forced per thread), on odd shapes that leave partial panels, partial depth quads and partial row blocks.
/// </summary>
public class LowBitGemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 3, 17, 3 }, { 5, 33, 17 }, { 17, 129, 129 }, { 16, 64, 144 }, { 4, 16, 576 }, { 7, 1, 65 },
    };

    private static IEnumerable<Int8Gemm.Path> Int8Paths()
    {
        yield return Int8Gemm.Path.Scalar;
        if (AvxVnni.IsSupported) yield return Int8Gemm.Path.AvxVnni256;
    }

    private static IEnumerable<BinaryGemm.Path> BinaryPaths()
    {
        yield return BinaryGemm.Path.Scalar;
        if (Avx2.IsSupported) yield return BinaryGemm.Path.Avx2V256;
        if (Avx512BW.IsSupported) yield return BinaryGemm.Path.Avx512V512;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Int8Gemm_EveryPath_EqualsNaiveSums_IncludingExtremeCodes(int m, int n, int k)
    {
        var rng = new Random(m * 1000 + n * 10 + k);
        var a = new sbyte[m * k];
        var b = new byte[n * k];
        for (int i = 0; i < a.Length; i++) a[i] = (sbyte)rng.Next(-128, 128);
        for (int i = 0; i < b.Length; i++) b[i] = (byte)rng.Next(0, 256);
        // Extremes: −128 × 255 everywhere in the first row / column (the largest |products| vpdpbusd adds).
        for (int i = 0; i < k; i++) { a[i] = -128; b[i] = 255; }
        var expected = new int[m * n];
        for (int o = 0; o < m; o++)
            for (int p = 0; p < n; p++)
            {
                int s = 0;
                for (int i = 0; i < k; i++) s += a[o * k + i] * b[p * k + i];
                expected[o * n + p] = s;
            }
        var w = Int8Gemm.PackWeights(a, m, k);
        var cols = new byte[Int8Gemm.PackedColumnsLength(n, k)];
        Int8Gemm.PackColumns(b, n, k, cols);
        foreach (var path in Int8Paths())
        {
            Int8Gemm.Paths.Forced = path;
            try
            {
                var c = new int[m * n];
                Int8Gemm.Multiply(m, n, k, w, cols, c, n);
                Assert.True(expected.AsSpan().SequenceEqual(c), $"{path}: sums differ");
            }
            finally { Int8Gemm.Paths.Forced = null; }
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 17, 3, 2)]
    [InlineData(5, 9, 17, 3)]
    [InlineData(17, 129, 9, 1)]
    [InlineData(64, 64, 9, 2)]
    [InlineData(2, 11, 40, 4)] // more than 31 words: the byte counters are flushed mid-row
    public void BinaryGemm_EveryPath_EqualsNaiveBitPlaneSums(int m, int n, int words, int planes)
    {
        var rng = new Random(m * 1000 + n * 10 + words + planes);
        ulong Next() => ((ulong)(uint)rng.Next() << 33) ^ ((ulong)(uint)rng.Next() << 2) ^ (ulong)rng.Next(4);
        var w = new ulong[m * words];
        for (int i = 0; i < w.Length; i++) w[i] = Next();
        var x = new ulong[n, planes, words];
        var packed = new ulong[BinaryGemm.PackedColumnsLength(n, words, planes)];
        for (int p = 0; p < n; p++)
            for (int t = 0; t < planes; t++)
                for (int i = 0; i < words; i++)
                    packed[BinaryGemm.PackedIndex(p, t, i, words, planes)] = x[p, t, i] = p == 0 ? ulong.MaxValue : Next();
        var expected = new int[m * n];
        for (int o = 0; o < m; o++)
            for (int p = 0; p < n; p++)
            {
                // Σ_i k_i·j_i with j = Σ_t 2^t·bit_t: bit by bit, not by popcount.
                long s = 0;
                for (int i = 0; i < words * 64; i++)
                {
                    if (((w[o * words + i / 64] >> (i % 64)) & 1) == 0) continue;
                    for (int t = 0; t < planes; t++) s += (long)((x[p, t, i / 64] >> (i % 64)) & 1) << t;
                }
                expected[o * n + p] = (int)s;
            }
        foreach (var path in BinaryPaths())
        {
            BinaryGemm.Paths.Forced = path;
            try
            {
                var c = new int[m * n];
                BinaryGemm.Multiply(m, n, words, planes, w, packed, c, n);
                Assert.True(expected.AsSpan().SequenceEqual(c), $"{path}: sums differ");
            }
            finally { BinaryGemm.Paths.Forced = null; }
        }
    }

    [Theory]
    // (n, channels, outC, kh, kw, stride, dilation, oh, ow): odd channel counts (padded to 4), output channels off the 16-lane
    // blocks, pixel counts off the 6-pixel tiles, strides, dilation, 1×1.
    [InlineData(1, 1, 1, 1, 1, 1, 1, 1, 1)]
    [InlineData(3, 3, 5, 3, 3, 1, 1, 7, 9)]
    [InlineData(2, 17, 17, 3, 3, 2, 1, 5, 4)]
    [InlineData(1, 64, 33, 3, 3, 1, 1, 8, 8)]
    [InlineData(5, 6, 16, 3, 3, 1, 2, 3, 5)]
    [InlineData(3, 16, 32, 1, 1, 2, 1, 4, 4)]
    [InlineData(1, 129, 3, 3, 1, 1, 1, 13, 1)]
    // Rows of 12 or more (the 512-bit kernel's tiles: exactly 12, a shifted last tile, several tiles), strides 1 and 2,
    // dilation, partial channel quads and a partial block of output channels.
    [InlineData(2, 16, 16, 3, 3, 1, 1, 3, 12)]
    [InlineData(1, 17, 33, 3, 3, 1, 1, 2, 13)]
    [InlineData(2, 64, 16, 3, 3, 2, 1, 3, 17)]
    [InlineData(1, 6, 20, 3, 3, 1, 2, 2, 32)]
    [InlineData(1, 3, 7, 1, 1, 1, 1, 1, 25)]
    // Rows of 8 to 11 (the 8-pixel 512-bit kernel, its last tile shifted back), stride 2, dilation.
    [InlineData(2, 20, 16, 3, 3, 2, 1, 2, 11)]
    [InlineData(1, 8, 17, 3, 3, 1, 2, 3, 9)]
    public void Int8DirectConv_EveryPath_EqualsNaiveSums(int n, int channels, int outC, int kh, int kw, int stride, int dilation, int oh, int ow)
    {
        var rng = new Random(n * 7919 + channels * 31 + outC);
        int hp = (oh - 1) * stride + (kh - 1) * dilation + 1 + rng.Next(2), wp = (ow - 1) * stride + (kw - 1) * dilation + 1 + rng.Next(2);
        int cp = Int8DirectConv.PaddedChannels(channels);
        var w = new sbyte[outC * channels * kh * kw];
        for (int i = 0; i < w.Length; i++) w[i] = (sbyte)rng.Next(-128, 128);
        for (int i = 0; i < channels * kh * kw; i++) w[i] = -128;   // the largest |products|, in the first output channel
        var x = new byte[n * hp * wp * cp];
        for (int pix = 0; pix < n * hp * wp; pix++)
            for (int c = 0; c < channels; c++) x[pix * cp + c] = (byte)rng.Next(0, 256);   // padded channels stay 0
        x.AsSpan(0, Math.Min(x.Length, cp * wp)).Fill(0);   // a zero border row, as the padding is
        for (int c = 0; c < channels; c++) x[(hp * wp - 1) * cp + c] = 255;
        var expected = new int[n * outC * oh * ow];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < outC; o++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++)
                    {
                        int s = 0;
                        for (int c = 0; c < channels; c++)
                            for (int a = 0; a < kh; a++)
                                for (int e = 0; e < kw; e++)
                                    s += w[((o * channels + c) * kh + a) * kw + e] * x[((i * hp + y * stride + a * dilation) * wp + xx * stride + e * dilation) * cp + c];
                        expected[((i * outC + o) * oh + y) * ow + xx] = s;
                    }
        var packed = Int8DirectConv.PackWeights(w, outC, channels, kh, kw);
        foreach (var path in new[] { Int8DirectConv.Path.Scalar }.Concat(AvxVnni.IsSupported ? [Int8DirectConv.Path.AvxVnni256] : [])
                     .Concat(Int8VnniKernel.Available ? [Int8DirectConv.Path.Vnni512] : []))
        {
            Int8DirectConv.Paths.Forced = path;
            try
            {
                var c = new int[expected.Length];
                Int8DirectConv.Multiply(x, n, hp, wp, channels, packed, outC, kh, kw, (stride, stride), (dilation, dilation), oh, ow, c);
                Assert.True(expected.AsSpan().SequenceEqual(c), $"{path}: sums differ");
            }
            finally { Int8DirectConv.Paths.Forced = null; }
        }
    }

    [Fact]
    public void Int8DirectConv_ReadingOutsideTheImage_IsRefused()
    {
        var packed = Int8DirectConv.PackWeights(new sbyte[9], 1, 1, 3, 3);
        var ex = Assert.Throws<ArgumentException>(() =>
            Int8DirectConv.Multiply(new byte[4 * 4 * 4], 1, 4, 4, 1, packed, 1, 3, 3, (1, 1), (1, 1), 3, 2, new int[6]));
        Assert.Contains("outside", ex.Message);
    }

    [Theory]
    // (n, planes, channels, outC, kh, kw, stride, dilation, oh, ow): rows with and without an 8-pixel tail, strides 1, 2, 3,
    // dilation, several words per pixel, several planes, 1×1.
    [InlineData(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)]
    [InlineData(2, 1, 64, 5, 3, 3, 1, 1, 8, 8)]
    [InlineData(3, 2, 17, 7, 3, 3, 1, 1, 5, 19)]
    [InlineData(2, 1, 64, 3, 3, 3, 2, 1, 4, 16)]
    [InlineData(1, 3, 129, 4, 3, 3, 2, 1, 3, 9)]
    [InlineData(2, 2, 40, 3, 3, 3, 1, 2, 4, 10)]
    [InlineData(1, 1, 70, 2, 3, 2, 3, 1, 3, 9)]
    [InlineData(2, 4, 32, 6, 1, 1, 1, 1, 3, 17)]
    // Blocks of eight output channels (the vpopcntq kernels) with and without a remainder, one to four planes, strides 1 and 2,
    // rows of 16-pixel tiles followed by an 8-pixel tile and a scalar tail.
    [InlineData(2, 1, 64, 17, 3, 3, 1, 1, 8, 16)]
    [InlineData(1, 2, 129, 8, 3, 3, 2, 1, 4, 9)]
    [InlineData(2, 3, 17, 24, 3, 3, 1, 1, 3, 8)]
    [InlineData(1, 4, 64, 9, 1, 1, 1, 1, 2, 8)]
    [InlineData(1, 2, 1, 16, 3, 3, 1, 1, 1, 17)]
    [InlineData(1, 2, 64, 8, 3, 3, 2, 1, 2, 24)]
    [InlineData(2, 1, 128, 9, 3, 3, 1, 1, 2, 40)]
    public void BinaryDirectConv_EveryPath_EqualsNaiveSums(int n, int planes, int channels, int outC, int kh, int kw, int stride, int dilation, int oh, int ow)
    {
        var rng = new Random(n * 131 + planes * 17 + channels * 3 + outC);
        int words = BinaryDirectConv.Words(channels);
        int hp = (oh - 1) * stride + (kh - 1) * dilation + 1 + rng.Next(2), wp = (ow - 1) * stride + (kw - 1) * dilation + 1 + rng.Next(2);
        var codes = new int[n, channels, hp, wp];   // b-bit activation codes
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < hp; y++)
                    for (int x = 0; x < wp; x++) codes[i, c, y, x] = rng.Next(1 << planes);
        var wcodes = new int[outC * channels * kh * kw];
        for (int i = 0; i < wcodes.Length; i++) wcodes[i] = rng.Next(2);
        for (int i = 0; i < channels * kh * kw; i++) wcodes[i] = 1;   // all ones: the largest sums
        for (int i = 0; i < channels * kh * kw; i++) wcodes[(outC - 1) * channels * kh * kw + i] = 1;   // and in the last channel
        var x64 = new ulong[n * planes * words * hp * wp];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < planes; t++)
                for (int c = 0; c < channels; c++)
                    for (int y = 0; y < hp; y++)
                        for (int x = 0; x < wp; x++)
                            if ((codes[i, c, y, x] >> t & 1) != 0)
                                x64[(((long)(i * planes + t) * words + c / 64) * hp + y) * wp + x] |= 1UL << (c % 64);
        var expected = new int[n * outC * oh * ow];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < outC; o++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        int s = 0;
                        for (int c = 0; c < channels; c++)
                            for (int a = 0; a < kh; a++)
                                for (int e = 0; e < kw; e++)
                                    s += wcodes[((o * channels + c) * kh + a) * kw + e] * codes[i, c, y * stride + a * dilation, x * stride + e * dilation];
                        expected[((i * outC + o) * oh + y) * ow + x] = s;
                    }
        var packed = BinaryDirectConv.PackWeights(wcodes, outC, channels, kh, kw);
        foreach (var path in new[] { BinaryDirectConv.Path.Scalar }.Concat(Avx512BW.IsSupported ? [BinaryDirectConv.Path.Avx512V512] : [])
                     .Concat(BinaryPopcountKernel.Available ? [BinaryDirectConv.Path.Vpopcntdq] : []))
        {
            BinaryDirectConv.Paths.Forced = path;
            try
            {
                var c = new int[expected.Length];
                BinaryDirectConv.Multiply(x64, n, planes, hp, wp, channels, packed, outC, kh, kw, (stride, stride), (dilation, dilation), oh, ow, c);
                Assert.True(expected.AsSpan().SequenceEqual(c), $"{path}: sums differ");
            }
            finally { BinaryDirectConv.Paths.Forced = null; }
        }
    }

    [Fact]
    public void Paths_OnThisCpu_AreTheFastestAvailable()
    {
        Assert.Equal(AvxVnni.IsSupported ? Int8Gemm.Path.AvxVnni256 : Int8Gemm.Path.Scalar, Int8Gemm.Paths.Best);
        Assert.Equal(Int8VnniKernel.Available ? Int8DirectConv.Path.Vnni512 : AvxVnni.IsSupported ? Int8DirectConv.Path.AvxVnni256 : Int8DirectConv.Path.Scalar,
            Int8DirectConv.Paths.Best);
        Assert.Equal(BinaryPopcountKernel.Available && Avx512BW.IsSupported ? BinaryDirectConv.Path.Vpopcntdq
            : Avx512BW.IsSupported ? BinaryDirectConv.Path.Avx512V512 : BinaryDirectConv.Path.Scalar, BinaryDirectConv.Paths.Best);
        Assert.Equal(Avx512BW.IsSupported ? BinaryGemm.Path.Avx512V512 : Avx2.IsSupported ? BinaryGemm.Path.Avx2V256 : BinaryGemm.Path.Scalar, BinaryGemm.Paths.Best);
    }
}
