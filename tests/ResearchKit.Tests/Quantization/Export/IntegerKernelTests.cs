using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
using Xunit;

namespace ResearchKit.Tests.Quantization.Export;

/// <summary>
/// The int8 and binary paths of <see cref="IntegerConv2d"/> / <see cref="IntegerLinear"/> against the scalar reference
/// (<see cref="IntegerMac"/>, forced per layer): bit-for-bit equal floats on odd shapes, padding, stride, dilation, groups,
/// per-channel grids, 8-bit weight codes (zero point 128) and bit-plane activations.
/// </summary>
public class IntegerKernelTests
{
    private static ExportedLayer Layer(ExportedLayerKind kind, int[] shape, int wBits, int aLevels, bool perChannel, ConvGeometry? conv, int seed)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b), outC = shape[0], groups = perChannel ? outC : 1;
        var codes = Enumerable.Range(0, n).Select(_ => rng.Next(1 << wBits)).ToArray();
        var first = Enumerable.Range(0, groups).Select(_ => -(float)rng.NextDouble()).ToArray();
        var step = Enumerable.Range(0, groups).Select(_ => 0.01f + (float)rng.NextDouble() / (1 << wBits)).ToArray();
        var bias = Enumerable.Range(0, outC).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var grid = new ActivationGrid(0.37f, aLevels, InputOnGrid: true, "act");
        return new ExportedLayer("l", kind, "test", shape, PackedCodes.Pack(codes, wBits), first, step, bias, conv, grid, 0);
    }

    private static Tensor OnGrid(int[] shape, int levels, int seed)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(_ => rng.Next(levels) * 0.37f).ToArray(), shape);
    }

    [Theory]
    // (in, out, k, stride, pad, dilation, groups, h, w, wBits, aLevels, perChannel, kernel)
    [InlineData(3, 5, 3, 1, 1, 1, 1, 7, 9, 8, 256, true, IntegerKernel.Int8)]   // 8-bit codes: zero point 128
    [InlineData(17, 3, 3, 2, 1, 1, 1, 9, 5, 4, 16, false, IntegerKernel.Int8)]
    [InlineData(16, 16, 3, 1, 1, 1, 1, 8, 8, 2, 4, true, IntegerKernel.Int8)]
    [InlineData(6, 4, 3, 1, 2, 2, 2, 6, 7, 3, 256, false, IntegerKernel.Int8)]  // groups and dilation
    [InlineData(1, 1, 1, 1, 0, 1, 1, 1, 1, 8, 256, false, IntegerKernel.Int8)]
    [InlineData(3, 5, 3, 1, 1, 1, 1, 7, 9, 1, 2, true, IntegerKernel.Binary)]   // binary / binary
    [InlineData(17, 3, 3, 2, 1, 1, 1, 9, 5, 1, 4, false, IntegerKernel.Binary)] // binary / 2-bit planes
    [InlineData(129, 7, 3, 1, 1, 1, 1, 5, 5, 1, 16, true, IntegerKernel.Binary)] // 3 words per pixel, 4 planes
    [InlineData(64, 64, 3, 1, 1, 1, 1, 6, 6, 1, 8, false, IntegerKernel.Binary)]
    [InlineData(6, 4, 3, 1, 2, 2, 2, 6, 7, 1, 3, false, IntegerKernel.Binary)]
    [InlineData(16, 19, 3, 1, 1, 1, 1, 12, 11, 1, 2, true, IntegerKernel.Binary)]  // 132 pixels: two 64-pixel blocks and a tail
    [InlineData(32, 9, 3, 2, 1, 1, 1, 17, 18, 1, 4, false, IntegerKernel.Binary)] // stride 2, 8-pixel tiles and row tails
    [InlineData(16, 21, 3, 2, 1, 1, 1, 16, 16, 8, 256, true, IntegerKernel.Int8)]  // stride 2, several tiles per row
    public void Conv_FastKernel_EqualsTheReferenceBitForBit(int cin, int cout, int k, int stride, int pad, int dil, int groups, int h, int w,
        int wBits, int aLevels, bool perChannel, IntegerKernel kernel)
    {
        var layer = Layer(ExportedLayerKind.Conv2d, [cout, cin / groups, k, k], wBits, aLevels, perChannel,
            new ConvGeometry((stride, stride), (pad, pad), (dil, dil), groups), cin * 7 + cout);
        var fast = new IntegerConv2d(layer);
        var reference = new IntegerConv2d(layer) { ForceReference = true };
        Assert.Equal(kernel, fast.Kernel);
        foreach (int batch in new[] { 1, 3, 17 })
        {
            var x = OnGrid([batch, cin, h, w], aLevels, batch);
            Assert.Equal(reference.Forward(x).ToArray(), fast.Forward(x).ToArray());
        }
    }

    [Theory]
    // (in, out, groups, h, w, perChannel): odd planes (a 4-wide SIMD loop and its tail), per-channel and per-tensor scales, groups.
    [InlineData(3, 16, 1, 7, 9, true)]
    [InlineData(3, 5, 1, 5, 5, false)]
    [InlineData(6, 4, 2, 6, 7, true)]
    public void Conv_FloatInput_RecoversEachElementAsTheScalarFormula(int cin, int cout, int groups, int h, int w, bool perChannel)
    {
        // A float input (no grid): Σ k·x and Σ x come from the engine's convolution, then y = s_w·Σ k·x + f_w·Σ x + b in double.
        var withGrid = Layer(ExportedLayerKind.Conv2d, [cout, cin / groups, 3, 3], 8, 256, perChannel,
            new ConvGeometry((1, 1), (1, 1), (1, 1), groups), cin + cout);
        var layer = new ExportedLayer("l", ExportedLayerKind.Conv2d, "test", withGrid.WeightShape.ToArray(), withGrid.Codes,
            withGrid.First.ToArray(), withGrid.Step.ToArray(), withGrid.Bias!.ToArray(), withGrid.Conv, null, 0);
        var conv = new IntegerConv2d(layer);
        Assert.Equal(IntegerKernel.FloatInput, conv.Kernel);
        var x = Tensor.Randn([3, cin, h, w], new Generator(cin * cout));
        var codes = Tensor.FromArray(layer.Codes.Unpack().Select(c => (float)c).ToArray(), [cout, cin / groups, 3, 3]);
        var kx = ResearchKit.Tensors.Nn.Functional.Conv2d(x, codes, null, (1, 1), (1, 1), (1, 1), groups).ToArray();
        var sx = ResearchKit.Tensors.Nn.Functional.Conv2d(x, Tensor.Ones(groups, cin / groups, 3, 3), null, (1, 1), (1, 1), (1, 1), groups).ToArray();
        int p = h * w, og = cout / groups;
        var expected = new float[kx.Length];
        for (int b = 0; b < 3; b++)
            for (int o = 0; o < cout; o++)
            {
                int g = perChannel ? o : 0;
                for (int i = 0; i < p; i++)
                    expected[(b * cout + o) * p + i] = (float)((double)layer.Step[g] * kx[(b * cout + o) * p + i]
                        + (double)layer.First[g] * sx[(b * groups + o / og) * p + i] + (double)layer.Bias![o]);
            }
        Assert.Equal(expected, conv.Forward(x).ToArray());
    }

    [Theory]
    [InlineData(1, 1, 8, 256, IntegerKernel.Int8)]
    [InlineData(129, 17, 8, 256, IntegerKernel.Int8)]
    [InlineData(33, 3, 5, 4, IntegerKernel.Int8)]
    [InlineData(129, 17, 1, 2, IntegerKernel.Binary)]
    [InlineData(65, 3, 1, 4, IntegerKernel.Binary)]
    public void Linear_FastKernel_EqualsTheReferenceBitForBit(int inF, int outF, int wBits, int aLevels, IntegerKernel kernel)
    {
        var layer = Layer(ExportedLayerKind.Linear, [outF, inF], wBits, aLevels, true, null, inF + outF);
        var fast = new IntegerLinear(layer);
        var reference = new IntegerLinear(layer) { ForceReference = true };
        Assert.Equal(kernel, fast.Kernel);
        foreach (int rows in new[] { 1, 3, 129 })
        {
            var x = OnGrid([rows, inF], aLevels, rows);
            Assert.Equal(reference.Forward(x).ToArray(), fast.Forward(x).ToArray());
        }
    }

    [Fact]
    public void FastKernel_RefusesAnInputOffTheGrid_AsTheReferenceDoes()
    {
        var layer = Layer(ExportedLayerKind.Conv2d, [4, 3, 3, 3], 8, 256, false, new ConvGeometry((1, 1), (1, 1), (1, 1), 1), 1);
        var x = OnGrid([2, 3, 5, 5], 256, 1);
        var data = x.ToArray();
        data[37] += 0.01f;
        var e = Assert.Throws<InvalidOperationException>(() => new IntegerConv2d(layer).Forward(Tensor.FromArray(data, 2, 3, 5, 5)));
        Assert.Contains("not on the grid", e.Message);

        // The vectorized NHWC path (16 channels, 64 pixels) hands an off-grid value to the general path, which names it.
        var wide = Layer(ExportedLayerKind.Conv2d, [4, 16, 3, 3], 8, 256, false, new ConvGeometry((1, 1), (1, 1), (1, 1), 1), 2);
        var xw = OnGrid([2, 16, 8, 8], 256, 2).ToArray();
        xw[1500] += 0.01f;
        e = Assert.Throws<InvalidOperationException>(() => new IntegerConv2d(wide).Forward(Tensor.FromArray(xw, 2, 16, 8, 8)));
        Assert.Contains("not on the grid", e.Message);
    }

    [Fact]
    public unsafe void Transpose16x16_SwapsRowsAndColumns()
    {
        var rng = new Random(5);
        var m = new byte[16, 16];
        var rows = stackalloc System.Runtime.Intrinsics.Vector128<byte>[16];
        var cols = stackalloc System.Runtime.Intrinsics.Vector128<byte>[16];
        for (int k = 0; k < 16; k++)
        {
            var row = new byte[16];
            for (int i = 0; i < 16; i++) row[i] = m[k, i] = (byte)rng.Next(256);
            rows[k] = System.Runtime.Intrinsics.Vector128.Create(row);
        }
        ActivationCodes.Transpose16x16(rows, cols);
        for (int i = 0; i < 16; i++)
            for (int k = 0; k < 16; k++) Assert.Equal(m[k, i], System.Runtime.Intrinsics.Vector128.GetElement(cols[i], k));
    }
}
