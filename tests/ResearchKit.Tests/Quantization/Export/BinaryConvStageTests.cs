using ResearchKit.Quantization;
using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Nn;
using Xunit;

namespace ResearchKit.Tests.Quantization.Export;

/// <summary>
/// <see cref="BinaryConvStage"/> (bit-planes in, bit-planes out) against the modules it fuses: the integer convolution's floats
/// through its batch norm and PACT ReLU give the same codes, and the same per-pixel sums, on odd shapes (channels across and
/// within one 64-bit word, rows shorter and longer than the vector tiles, stride 2), 1- and 2-bit activations in and out, the
/// AVX-512 threshold and scalar division epilogues, 3-bit outputs (division only), 1 and 2 threads.
/// </summary>
public class BinaryConvStageTests
{
    private static (IntegerConv2d Conv, BatchNorm2d Bn, QuantReLU Relu, float InStep) Layers(int c, int outC, int stride, int inLevels, int outBits, int seed)
    {
        var rng = new Random(seed);
        var codes = Enumerable.Range(0, outC * c * 9).Select(_ => rng.Next(2)).ToArray();
        float inStep = 0.37f;
        var first = Enumerable.Range(0, outC).Select(_ => -0.05f - 0.1f * (float)rng.NextDouble()).ToArray();
        var step = first.Select(f => -2f * f).ToArray();   // binary weights ±|first|
        var bias = Enumerable.Range(0, outC).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var layer = new ExportedLayer("conv", ExportedLayerKind.Conv2d, "test", [outC, c, 3, 3], PackedCodes.Pack(codes, 1), first, step, bias,
            new ConvGeometry((stride, stride), (1, 1), (1, 1), 1), new ActivationGrid(inStep, inLevels, InputOnGrid: true, "test"), 0);
        var bn = new BatchNorm2d(outC);
        bn.RunningMean!.CopyFrom(Tensor.FromArray(Enumerable.Range(0, outC).Select(_ => (float)rng.NextDouble() * 2f - 1f).ToArray(), outC));
        bn.RunningVar!.CopyFrom(Tensor.FromArray(Enumerable.Range(0, outC).Select(_ => 0.5f + 3f * (float)rng.NextDouble()).ToArray(), outC));
        using (Torch.NoGrad()) bn.Weight!.CopyFrom(Tensor.FromArray(Enumerable.Range(0, outC).Select(_ => 0.5f + (float)rng.NextDouble()).ToArray(), outC));
        using (Torch.NoGrad()) bn.Bias!.CopyFrom(Tensor.FromArray(Enumerable.Range(0, outC).Select(_ => (float)rng.NextDouble() - 0.3f).ToArray(), outC));
        bn.Eval();
        var relu = new QuantReLU(new PactActivationQuantizer(outBits, initialAlpha: 1.3f));
        relu.Eval();
        return (new IntegerConv2d(layer), bn, relu, inStep);
    }

    [Theory]
    [InlineData(1, 3, 17, 7, 5, 1, 2, 1, 1)]
    [InlineData(2, 64, 64, 32, 32, 1, 2, 2, 2)]
    [InlineData(3, 64, 64, 16, 19, 2, 2, 1, 2)]
    [InlineData(2, 129, 70, 9, 11, 2, 4, 2, 1)]
    [InlineData(1, 65, 130, 20, 24, 1, 4, 1, 2)]
    [InlineData(2, 33, 40, 12, 16, 1, 2, 3, 2)]
    public void Codes_AreTheModulesCodes(int n, int c, int outC, int h, int w, int stride, int inLevels, int outBits, int threads)
    {
        var (conv, bn, relu, inStep) = Layers(c, outC, stride, inLevels, outBits, seed: n * 1000 + c + outC);
        var rng = new Random(7);
        var inCodes = Enumerable.Range(0, n * c * h * w).Select(_ => (byte)rng.Next(inLevels)).ToArray();
        float outStep = ((PactActivationQuantizer)relu.Quantizer).Alpha.Item() / ((1 << outBits) - 1);

        byte[] expected;
        using (Torch.NoGrad())
        {
            var x = Tensor.FromArray(inCodes.Select(k => k * inStep).ToArray(), n, c, h, w);
            expected = relu.Forward(bn.Forward(conv.Forward(x))).ToArray().Select(v => checked((byte)MathF.Round(v / outStep))).ToArray();
        }
        Assert.Contains(expected, k => k != 0);
        Assert.Contains(expected, k => k == (1 << outBits) - 1);   // the clamp at α is reached too

        var stage = BinaryConvStage.Create(conv, bn, relu, outPad: 1);
        var input = BitPlanes.FromCodes(inCodes, n, c, h, w, PackedCodes.BitsForLevels(inLevels), pad: 1);
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            foreach (bool scalar in new[] { false, true })
            {
                stage.ForceScalarEpilogue = scalar;
                var y = stage.Forward(input);
                Assert.Equal(expected, y.ToCodes());
                // Pixel sums: Σ of codes over channels, which the next layer's recovery reads.
                var (oh, ow) = stage.OutSize(h, w);
                var sums = new int[n * oh * ow];
                for (int i = 0; i < n; i++)
                    for (int o = 0; o < outC; o++)
                        for (int pix = 0; pix < oh * ow; pix++) sums[i * oh * ow + pix] += expected[(i * outC + o) * oh * ow + pix];
                Assert.Equal(sums, y.PixelCodeSums());
                // The border stays zero, in every plane and in the sums.
                Assert.Equal(0, y.PixelSums[0]);
            }
        }
        finally { Parallelism.Threads = saved; }
    }

    [Theory]
    [InlineData(1, 1.3f)]
    [InlineData(2, 1.3f)]
    [InlineData(2, 0.7771f)]
    public void Thresholds_SplitTheCodesExactly(int outBits, float alpha)
    {
        var (conv, bn, _, _) = Layers(8, 8, 1, 2, outBits, seed: 5);
        var stage = BinaryConvStage.Create(conv, bn, new QuantReLU(new PactActivationQuantizer(outBits, initialAlpha: alpha)));
        Assert.Equal((1 << outBits) - 1, stage.Thresholds.Count);
        var rng = new Random(outBits);
        for (int k = 1; k <= stage.Thresholds.Count; k++)
        {
            float theta = stage.Thresholds[k - 1];
            // θ_k is the least float with a code of at least k: the float below it has a smaller code.
            Assert.True(stage.Code(theta) >= k, $"code({theta}) < {k}");
            Assert.True(stage.Code(MathF.BitDecrement(theta)) < k, $"code({MathF.BitDecrement(theta)}) ≥ {k}");
            // Around it and at random, [z ≥ θ_k] ⇔ code(z) ≥ k.
            var zs = Enumerable.Range(-50, 101).Select(d => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(theta) + d))
                .Concat(Enumerable.Range(0, 2000).Select(_ => (float)(rng.NextDouble() * 3 * alpha - alpha)));
            foreach (float z in zs) Assert.Equal(stage.Code(z) >= k, z >= theta);
        }
    }

    [Fact]
    public void BitPlanes_RoundTripCodes_AndRefuseCodesThatNeedMoreBits()
    {
        var rng = new Random(3);
        var codes = Enumerable.Range(0, 2 * 70 * 5 * 9).Select(_ => (byte)rng.Next(4)).ToArray();
        var x = BitPlanes.FromCodes(codes, 2, 70, 5, 9, planes: 2, pad: 2);
        Assert.Equal(codes, x.ToCodes());
        Assert.Equal(2L * 2 * 2 * 9 * 13 * sizeof(ulong), x.Bytes);
        var ex = Assert.Throws<ArgumentException>(() => BitPlanes.FromCodes(codes, 2, 70, 5, 9, planes: 1, pad: 0));
        Assert.Contains("needs more than 1 bits", ex.Message);
    }

    [Fact]
    public void MismatchedInput_AndLayersOffTheBinaryPath_AreRefusedSayingWhy()
    {
        var (conv, bn, relu, _) = Layers(16, 8, 1, 2, 1, seed: 1);
        var stage = BinaryConvStage.Create(conv, bn, relu);
        var wrong = new BitPlanes(1, 1, 16, 6, 6, pad: 0);
        var ex = Assert.Throws<ArgumentException>(() => stage.Forward(wrong));
        Assert.Contains("with a border of 0", ex.Message);
        Assert.Contains("border of 1", ex.Message);

        var same = new BitPlanes(1, 2, 16, 6, 6, pad: 1);
        Assert.Contains("overwrite the input", Assert.Throws<ArgumentException>(() => stage.Forward(same, same)).Message);

        var noPact = Assert.Throws<ArgumentException>(() => BinaryConvStage.Create(conv, bn, new ReLU()));
        Assert.Contains("not a QuantReLU with a PACT quantizer", noPact.Message);
        var noStats = Assert.Throws<ArgumentException>(() => BinaryConvStage.Create(conv, new BatchNorm2d(8, trackRunningStats: false), relu));
        Assert.Contains("without running statistics", noStats.Message);
    }
}
