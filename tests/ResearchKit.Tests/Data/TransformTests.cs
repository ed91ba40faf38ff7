using ResearchKit.Data;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Data;

public class TransformTests
{
    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static float[] Run(ImageTransform t, ImageShape shape, byte[] image, ulong seed = 0)
    {
        var runner = t.CreateRunner(shape);
        var o = new float[runner.OutputShape.Size];
        runner.Apply(image, o, seed);
        return o;
    }

    /// <summary>Reference: pad with fill, then take the window at (top, left); optional mirror of each output row.</summary>
    private static float[] PadCrop(float[] x, ImageShape s, int pad, int top, int left, int h, int w, float fill, bool flip)
    {
        var o = new float[s.Channels * h * w];
        for (int c = 0; c < s.Channels; c++)
            for (int y = 0; y < h; y++)
                for (int xo = 0; xo < w; xo++)
                {
                    int xx = flip ? w - 1 - xo : xo;
                    int sy = top + y - pad, sx = left + xx - pad;
                    bool inside = sy >= 0 && sy < s.Height && sx >= 0 && sx < s.Width;
                    o[(c * h + y) * w + xo] = inside ? x[(c * s.Height + sy) * s.Width + sx] : fill;
                }
        return o;
    }

    private static float[] AsFloats(byte[] b) => Array.ConvertAll(b, v => (float)v);

    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 32, 32)]
    [InlineData(1, 7, 9)]   // 63 values: no full 64-wide vector, scalar tail only
    [InlineData(3, 5, 5)]   // 25-value planes: vector + tail per channel
    public void ToFloat_DividesBy255(int c, int h, int w)
    {
        var s = new ImageShape(c, h, w);
        var img = RandomBytes(s.Size, 1);
        img[0] = 0; img[^1] = 255;
        var y = Run(Transforms.ToFloat(), s, img);
        for (int i = 0; i < y.Length; i++) Assert.Equal(img[i] / 255.0, y[i], 1e-7);
        Assert.Equal(0f, y[0]);
        Assert.Equal(1f, y[^1]);
    }

    [Fact]
    public void NoTransformSteps_ConvertsBytesExactly()
    {
        var s = new ImageShape(2, 9, 11);
        var img = RandomBytes(s.Size, 2);
        var y = Run(Transforms.Compose(), s, img);
        Assert.Equal(AsFloats(img), y);
    }

    [Fact]
    public void Normalize_AfterToFloat_MatchesPyTorchFormula()
    {
        var s = new ImageShape(3, 6, 7);
        double[] mean = [0.4914, 0.4822, 0.4465], std = [0.2470, 0.2435, 0.2616];
        var img = RandomBytes(s.Size, 3);
        var y = Run(Transforms.Compose(Transforms.ToFloat(), Transforms.Normalize(mean, std)), s, img);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < s.Plane; i++)
            {
                int k = c * s.Plane + i;
                Assert.Equal((img[k] / 255.0 - mean[c]) / std[c], y[k], 2e-6);
            }
    }

    [Fact]
    public void Normalize_UnfusedAfterAGeometricStep_AgreesWithFused()
    {
        // Flip(p=0) between ToFloat and Normalize stops the fusion: both paths must give the same values.
        var s = new ImageShape(3, 4, 4);
        var img = RandomBytes(s.Size, 4);
        double[] mean = [0.1, 0.5, 0.9], std = [0.3, 0.2, 0.1];
        var fused = Run(Transforms.ToFloat().Then(Transforms.Normalize(mean, std)), s, img);
        var split = Run(Transforms.Compose(Transforms.ToFloat(), Transforms.RandomHorizontalFlip(0), Transforms.Normalize(mean, std)), s, img);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], split[i], 1e-5);
    }

    [Fact]
    public void Normalize_RejectsBadArguments()
    {
        Assert.Contains("std[1]", Assert.Throws<ArgumentException>(() => Transforms.Normalize([0.5, 0.5], [0.5, 0])).Message);
        Assert.Contains("one value per channel", Assert.Throws<ArgumentException>(() => Transforms.Normalize([0.5], [0.5, 0.5])).Message);
        var e = Assert.Throws<ArgumentException>(() => Transforms.Normalize([0.5, 0.5, 0.5], [1, 1, 1]).CreateRunner(new ImageShape(1, 28, 28)));
        Assert.Contains("3 channel values", e.Message);
        Assert.Contains("1 channels", e.Message);
    }

    [Fact]
    public void Standardize_MatchesHandComputation()
    {
        var s = new ImageShape(1, 28, 28);
        var img = RandomBytes(s.Size, 5);
        var y = Run(SequentialMnist.Transform(), s, img);
        double mean = 0, sq = 0;
        foreach (var b in img) mean += b / 255.0;
        mean /= s.Size;
        foreach (var b in img) sq += (b / 255.0 - mean) * (b / 255.0 - mean);
        double std = Math.Max(Math.Sqrt(sq / s.Size), 1 / Math.Sqrt(s.Size));
        for (int i = 0; i < y.Length; i++) Assert.Equal((img[i] / 255.0 - mean) / std, y[i], 2e-5);
        // Standardized: mean 0, population std 1.
        double m2 = 0, v2 = 0;
        foreach (var v in y) m2 += v;
        m2 /= y.Length;
        foreach (var v in y) v2 += (v - m2) * (v - m2);
        Assert.Equal(0, m2, 1e-5);
        Assert.Equal(1, Math.Sqrt(v2 / y.Length), 1e-4);
    }

    [Fact]
    public void Standardize_UsesTheFloorForNearlyUniformImages()
    {
        var s = new ImageShape(1, 4, 4);
        // Uniform image: σ = 0 → zeros, not NaN.
        var flat = Run(SequentialMnist.Transform(), s, Enumerable.Repeat((byte)77, 16).ToArray());
        Assert.All(flat, v => Assert.Equal(0f, v));
        // One pixel 1/255 above the rest: σ = (1/255)·√15/16 ≈ 0.00095 < 1/√16, so the divisor is 1/4.
        var img = new byte[16]; img[3] = 1;
        var y = Run(SequentialMnist.Transform(), s, img);
        double mean = 1 / 255.0 / 16;
        Assert.Equal((0 - mean) / 0.25, y[0], 1e-6);
        Assert.Equal((1 / 255.0 - mean) / 0.25, y[3], 1e-6);
    }

    [Fact]
    public void RandomCrop_PadsThenCropsAtTheDrawnOffset()
    {
        var s = new ImageShape(3, 8, 8);
        var img = RandomBytes(s.Size, 6);
        var x = AsFloats(img);
        var seen = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 300; seed++)
        {
            var y = Run(Transforms.RandomCrop(8, 2, fill: -1f), s, img, seed);
            // The generator draws top then left, each uniform in 0..2·padding.
            var g = new Generator((long)seed);
            int top = (int)g.NextInt64(0, 5), left = (int)g.NextInt64(0, 5);
            seen.Add((top, left));
            Assert.Equal(PadCrop(x, s, 2, top, left, 8, 8, -1f, false), y);
        }
        Assert.Equal(25, seen.Count); // every offset of the 5×5 grid occurs
    }

    [Fact]
    public void RandomCrop_SmallerWindowAndNoPadding()
    {
        var s = new ImageShape(2, 6, 5);
        var img = RandomBytes(s.Size, 7);
        var y = Run(Transforms.RandomCrop(3), s, img, 42);
        var g = new Generator(42);
        int top = (int)g.NextInt64(0, 4), left = (int)g.NextInt64(0, 3);
        Assert.Equal(PadCrop(AsFloats(img), s, 0, top, left, 3, 3, 0, false), y);
        Assert.Equal(new ImageShape(2, 3, 3), Transforms.RandomCrop(3).OutputShape(s));
    }

    [Fact]
    public void RandomCrop_WithoutRoom_IsIdentity_AndRejectsOversizedCrops()
    {
        var s = new ImageShape(1, 5, 5);
        var img = RandomBytes(s.Size, 8);
        Assert.Equal(AsFloats(img), Run(Transforms.RandomCrop(5), s, img, 3));
        var e = Assert.Throws<ArgumentException>(() => Transforms.RandomCrop(8, 1).CreateRunner(s));
        Assert.Contains("8×8", e.Message);
        Assert.Contains("7×7", e.Message);
        Assert.Throws<ArgumentException>(() => Transforms.RandomCrop(0));
        Assert.Throws<ArgumentException>(() => Transforms.RandomCrop(4, -1));
    }

    [Fact]
    public void CenterCrop_UsesPythonRounding()
    {
        var s = new ImageShape(1, 6, 5);
        var img = RandomBytes(s.Size, 9);
        // top = round((6-3)/2) = round(1.5) = 2 (half to even); left = round((5-3)/2) = 1.
        Assert.Equal(PadCrop(AsFloats(img), s, 0, 2, 1, 3, 3, 0, false), Run(Transforms.CenterCrop(3), s, img));
        Assert.Throws<ArgumentException>(() => Transforms.CenterCrop(7).CreateRunner(s));
    }

    [Fact]
    public void RandomHorizontalFlip_MirrorsRowsOfEveryChannel()
    {
        var s = new ImageShape(3, 4, 6);
        var img = RandomBytes(s.Size, 10);
        var x = AsFloats(img);
        Assert.Equal(PadCrop(x, s, 0, 0, 0, 4, 6, 0, true), Run(Transforms.RandomHorizontalFlip(1), s, img, 5));
        Assert.Equal(x, Run(Transforms.RandomHorizontalFlip(0), s, img, 5));
        int flips = 0;
        for (ulong seed = 0; seed < 2000; seed++)
        {
            var y = Run(Transforms.RandomHorizontalFlip(), s, img, seed);
            bool flipped = y[0] == x[5];
            Assert.Equal(new Generator((long)seed).NextDouble() < 0.5, flipped);
            if (flipped) flips++;
        }
        Assert.InRange(flips, 900, 1100);
        Assert.Throws<ArgumentException>(() => Transforms.RandomHorizontalFlip(1.5));
    }

    [Fact]
    public void CropThenFlip_DrawsInPipelineOrder()
    {
        var s = new ImageShape(3, 32, 32);
        var img = RandomBytes(s.Size, 11);
        double[] mean = [0.5, 0.4, 0.3], std = [0.2, 0.25, 0.3];
        var t = Transforms.Compose(Transforms.RandomCrop(32, 4), Transforms.RandomHorizontalFlip(), Transforms.ToFloat(), Transforms.Normalize(mean, std));
        for (ulong seed = 100; seed < 140; seed++)
        {
            var y = Run(t, s, img, seed);
            var g = new Generator((long)seed);
            int top = (int)g.NextInt64(0, 9), left = (int)g.NextInt64(0, 9);
            bool flip = g.NextDouble() < 0.5;
            var r = PadCrop(AsFloats(img), s, 4, top, left, 32, 32, 0, flip);
            for (int i = 0; i < r.Length; i++)
            {
                int c = i / 1024;
                Assert.Equal((r[i] / 255.0 - mean[c]) / std[c], y[i], 2e-6);  // padding is 0 before Normalize, as torchvision
            }
        }
    }

    [Fact]
    public void RandomRescale_ScaleOneIsExactIdentity()
    {
        var s = new ImageShape(3, 7, 10);
        var img = RandomBytes(s.Size, 12);
        Assert.Equal(AsFloats(img), Run(Transforms.RandomRescale(1, 1), s, img, 9));
    }

    /// <summary>Reference bilinear zoom about the centre with zero outside samples.</summary>
    private static float[] Zoom(float[] x, ImageShape s, double scale)
    {
        var o = new float[x.Length];
        double At(int c, int yy, int xx) => yy < 0 || yy >= s.Height || xx < 0 || xx >= s.Width ? 0 : x[(c * s.Height + yy) * s.Width + xx];
        for (int c = 0; c < s.Channels; c++)
            for (int y = 0; y < s.Height; y++)
                for (int xo = 0; xo < s.Width; xo++)
                {
                    double sy = (y + 0.5 - s.Height / 2.0) / scale + s.Height / 2.0 - 0.5;
                    double sx = (xo + 0.5 - s.Width / 2.0) / scale + s.Width / 2.0 - 0.5;
                    int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
                    double fy = sy - y0, fx = sx - x0;
                    o[(c * s.Height + y) * s.Width + xo] = (float)(
                        (1 - fy) * ((1 - fx) * At(c, y0, x0) + fx * At(c, y0, x0 + 1)) +
                        fy * ((1 - fx) * At(c, y0 + 1, x0) + fx * At(c, y0 + 1, x0 + 1)));
                }
        return o;
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    [InlineData(1.3)]
    public void RandomRescale_MatchesBilinearReference(double scale)
    {
        var s = new ImageShape(2, 8, 6);
        var img = RandomBytes(s.Size, 13);
        var y = Run(Transforms.RandomRescale(scale, scale), s, img);
        var r = Zoom(AsFloats(img), s, scale);
        for (int i = 0; i < r.Length; i++) Assert.Equal(r[i], y[i], 1e-3);
    }

    [Fact]
    public void RandomRescale_HandComputedCorners()
    {
        // 1×4×4 image with value 10·row + col; zoom ×2 samples (0.75, 0.75) at output (0, 0).
        var img = new byte[16];
        for (int i = 0; i < 16; i++) img[i] = (byte)(10 * (i / 4) + i % 4);
        var y = Run(Transforms.RandomRescale(2, 2), new ImageShape(1, 4, 4), img);
        Assert.Equal(10 * 0.75 + 0.75, y[0], 1e-5);
        // Zoom ×0.5: output (0, 0) samples (−1.5, −1.5), entirely outside → 0; output (1, 1) samples (0.5, 0.5) with
        // neighbours (0,0),(0,1),(1,0),(1,1) → 5.5.
        var z = Run(Transforms.RandomRescale(0.5, 0.5), new ImageShape(1, 4, 4), img);
        Assert.Equal(0f, z[0]);
        Assert.Equal(5.5, z[5], 1e-5);
        Assert.Throws<ArgumentException>(() => Transforms.RandomRescale(0, 1));
        Assert.Throws<ArgumentException>(() => Transforms.RandomRescale(1.2, 1.1));
    }

    [Fact]
    public void RandomTransforms_AreDeterministicPerSampleSeed()
    {
        var s = new ImageShape(3, 16, 16);
        var img = RandomBytes(s.Size, 14);
        var t = Transforms.Compose(Transforms.RandomRescale(0.8, 1.2), Transforms.RandomCrop(16, 2), Transforms.RandomHorizontalFlip(), Transforms.ToFloat());
        var a = Run(t, s, img, SeedMix.Sample(1, 0, 5));
        Assert.Equal(a, Run(t, s, img, SeedMix.Sample(1, 0, 5)));
        Assert.NotEqual(a, Run(t, s, img, SeedMix.Sample(1, 1, 5)));  // other epoch
        Assert.NotEqual(a, Run(t, s, img, SeedMix.Sample(2, 0, 5)));  // other seed
        // A runner reused across samples gives what a fresh one gives.
        var runner = t.CreateRunner(s);
        var o = new float[s.Size];
        runner.Apply(RandomBytes(s.Size, 15), o, 77);
        runner.Apply(img, o, SeedMix.Sample(1, 0, 5));
        Assert.Equal(a, o);
    }

    [Fact]
    public void SeedMix_SeparatesNearbyCoordinates()
    {
        Assert.NotEqual(SeedMix.Sample(0, 3, 7), SeedMix.Sample(0, 7, 3));
        Assert.NotEqual(SeedMix.Sample(0, 0, 1), SeedMix.Sample(1, 0, 0));
        Assert.Equal(SeedMix.Sample(5, 6, 7), SeedMix.Mix(5, SeedMix.AugmentStream, 6, 7));
        var set = new HashSet<ulong>();
        for (int e = 0; e < 50; e++) for (int i = 0; i < 200; i++) set.Add(SeedMix.Sample(9, e, i));
        Assert.Equal(10_000, set.Count);
    }

    [Fact]
    public void ApplyToSample_UsesTheLoaderSeeding()
    {
        var ds = SyntheticImages.Create(10, 3, 8, 8, seed: 16);
        var t = Transforms.RandomCrop(8, 2).Then(Transforms.ToFloat());
        var y = t.ApplyToSample(ds, 4, seed: 3, epoch: 2);
        Assert.Equal(new Shape(3, 8, 8), y.Shape);
        Assert.Equal(Run(t, ImageShape.Of(ds), ds.Image(4).ToArray(), SeedMix.Sample(3, 2, 4)), y.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => t.ApplyToSample(ds, 10));
    }

    [Fact]
    public void Compose_FlattensAndPrints()
    {
        var t = Transforms.Compose(Transforms.RandomCrop(32, 4), Transforms.RandomHorizontalFlip().Then(Transforms.ToFloat()));
        var c = Assert.IsType<ComposedTransform>(t);
        Assert.Equal(3, c.Steps.Count);
        Assert.Equal("Compose(RandomCrop(size=(32, 32), padding=4, fill=0), RandomHorizontalFlip(p=0.5), ToFloat())", t.ToString());
        Assert.Equal(new ImageShape(3, 32, 32), t.OutputShape(new ImageShape(3, 32, 32)));
        // Composed transforms also run directly on floats (values 0..255).
        var s = new ImageShape(1, 2, 3);
        var dst = new float[6];
        Transforms.Compose(Transforms.RandomHorizontalFlip(1), Transforms.ToFloat()).Apply([0, 51, 102, 153, 204, 255], dst, s, new Generator(0));
        float[] expected = [0.4f, 0.2f, 0f, 1f, 0.8f, 0.6f];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], dst[i], 1e-6);
    }

    [Fact]
    public void Lambda_RunsOncePerSampleWithItsGenerator()
    {
        var s = new ImageShape(1, 3, 3);
        int calls = 0;
        var t = Transforms.ToFloat().Then(Transforms.Lambda("add-noise", (img, shape, rng) =>
        {
            calls++;
            Assert.Equal(s, shape);
            img[0] += (float)rng.NextDouble();
        }));
        var a = Run(t, s, new byte[9], 11);
        Assert.Equal(1, calls);
        Assert.Equal((float)new Generator(11).NextDouble(), a[0]);
        Assert.Equal("Compose(ToFloat(), Lambda(add-noise))", t.ToString());
    }

    [Fact]
    public void Runner_RejectsWrongLengths()
    {
        var r = Transforms.ToFloat().CreateRunner(new ImageShape(1, 4, 4));
        Assert.Contains("15 bytes", Assert.Throws<ArgumentException>(() => r.Apply(new byte[15], new float[16], 0)).Message);
        Assert.Contains("destination", Assert.Throws<ArgumentException>(() => r.Apply(new byte[16], new float[8], 0)).Message);
        Assert.Throws<ArgumentException>(() => Transforms.ToFloat().CreateRunner(new ImageShape(0, 4, 4)));
    }
}
