using System.Diagnostics;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Kernels.Native;
using ResearchKit.Tensors.Nn;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>int</c>: real low-precision inference. (a) ResNet-20 b=256 float (eval, NoGrad) against the integer export at W8/A8,
/// W2/A2 and binary/A2 (DoReFa weights, PACT activations, first and last layers 8-bit); (b) one binary 3×3 convolution
/// 64→64, 32×32, batch 64, padding 1, float against AND/popcount (1-bit activations) and bit-planes (2-bit);
/// (c) the exported model's bytes. Each timing is repeated and reported as min / median.
/// </summary>
internal static class IntBench
{
    private const int Repeats = 5;

    public static void Run(TextWriter o)
    {
        o.WriteLine($"threads {Parallelism.Threads}; int8 path {Int8Gemm.Paths.Best} (direct {Int8DirectConv.Paths.Best}), binary path {BinaryGemm.Paths.Best} (direct {BinaryDirectConv.Paths.Best}" +
            (BinaryPopcountKernel.Unavailable is { } why ? $"; vpopcntq kernel off: {why}" : "") +
            (Int8VnniKernel.Unavailable is { } why8 ? $"; 512-bit vpdpbusd kernel off: {why8}" : "") + ")");
        var gen = new Generator(0);
        var x = Tensor.Randn([256, 3, 32, 32], gen);
        var fp = new ResNetCifar(20, generator: new Generator(0));
        fp.Eval();
        var (fMin, fMed) = Time(() => { using (Torch.NoGrad()) fp.Forward(x); });
        o.WriteLine($"ResNet-20 b=256 float            {256 / fMed,8:F0} img/s (median; best {256 / fMin:F0})");
        foreach (var (name, spec) in new[] { ("W8/A8", W8A8), ("W2/A2", W2A2), ("binary/A2", BinaryA2) })
        {
            var q = FakeQuantized(spec);
            var export = IntegerExport.Export(q, x.Narrow(0, 0, 8));
            var im = new ResNetCifar(20, generator: new Generator(1));
            ModelQuantizer.Quantize(im, spec);
            IntegerInference.Apply(im, export);
            var kernels = im.Modules().Select(m => m switch { IntegerConv2d c => (IntegerKernel?)c.Kernel, IntegerLinear l => l.Kernel, _ => null })
                .OfType<IntegerKernel>().GroupBy(k => k).Select(g => $"{g.Count()}×{g.Key}");
            var (fqMin, fqMed) = Time(() => { using (Torch.NoGrad()) q.Forward(x); });
            var (iMin, iMed) = Time(() => { using (Torch.NoGrad()) im.Forward(x); });
            o.WriteLine($"ResNet-20 b=256 {name,-9} integer {256 / iMed,8:F0} img/s (best {256 / iMin:F0}), {fMed / iMed:F2}× float (best/best {fMin / iMin:F2}×); " +
                $"fake-quantized {256 / fqMed:F0} img/s; layers {string.Join(", ", kernels)}");
            if (Int8ResNetPipeline.TryCreate(im, out var pipe, out _))
            {
                bool same;
                using (Torch.NoGrad()) same = pipe!.Forward(x).ToArray().AsSpan().SequenceEqual(im.Forward(x).ToArray());
                // Float and pipeline alternately, so that a slow phase of a shared machine weighs on both alike.
                var (ffMed, pMed, ratio) = Interleaved(() => { using (Torch.NoGrad()) fp.Forward(x); }, () => { using (Torch.NoGrad()) pipe!.Forward(x); });
                o.WriteLine($"    Int8ResNetPipeline: {256 / pMed,8:F0} img/s, float {256 / ffMed:F0} img/s alternately: {ratio:F2}× float (median of {InterleavedRounds} paired ratios); " +
                    $"logits {(same ? "equal" : "DIFFERENT")} to the layer-by-layer model's");
            }
            o.WriteLine($"    memory: packed weights {export.PackedWeightBytes} B, float params {export.FloatParameterBytes} B, scales {export.ScaleBytes} B, " +
                $"buffers {export.BufferBytes} B, total {export.TotalBytes} B (float model {fp.Parameters().Sum(p => (long)p.Numel) * 4} B of parameters)");
        }

        // (b) one binary 3×3 convolution.
        const int n = 64, c = 64, hw = 32;
        var w = Tensor.Randn([c, c, 3, 3], gen);
        var xf = Tensor.Randn([n, c, hw, hw], gen);
        var (cMin, cMed) = Time(() => { using (Torch.NoGrad()) F.Conv2d(xf, w, null, (1, 1), (1, 1)); });
        o.WriteLine($"conv 3×3 {c}→{c}, {hw}×{hw}, batch {n}, pad 1: float {cMed * 1e3:F1} ms (best {cMin * 1e3:F1})");
        {
            // The exact int8 product alone (u8 NHWC codes, padding in place), without the codes' layout and the float recovery.
            var rng = new Random(1);
            var w8 = new sbyte[c * c * 9];
            for (int i = 0; i < w8.Length; i++) w8[i] = (sbyte)rng.Next(-128, 128);
            var packed = Int8DirectConv.PackWeights(w8, c, c, 3, 3);
            var codes = new byte[n * (hw + 2) * (hw + 2) * c];
            rng.NextBytes(codes);
            var acc = new int[n * c * hw * hw];
            foreach (var path in new[] { Int8DirectConv.Path.AvxVnni256, Int8DirectConv.Path.Vnni512 }
                         .Where(q => q == Int8DirectConv.Paths.Best || (q == Int8DirectConv.Path.AvxVnni256 && System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)))
            {
                Int8DirectConv.Paths.Forced = path;
                try
                {
                    var (kMin, kMed) = Time(() => Int8DirectConv.Multiply(codes, n, hw + 2, hw + 2, c, packed, c, 3, 3, (1, 1), (1, 1), hw, hw, acc));
                    o.WriteLine($"    int8 direct kernel alone ({path}): {kMed * 1e3:F1} ms (best {kMin * 1e3:F1}), {2.0 * n * c * c * 9 * hw * hw / kMed / 1e9:F0} GOPS, {cMed / kMed:F1}× float");
                }
                finally { Int8DirectConv.Paths.Forced = null; }
            }
        }
        foreach (int planes in new[] { 1, 2 })
        {
            // The exact binary product alone (word-planar bit-planes, padding in place), without the bit-planes' layout and the recovery.
            var rng = new Random(planes);
            var wcodes = Enumerable.Range(0, c * c * 9).Select(_ => rng.Next(2)).ToArray();
            var packed = BinaryDirectConv.PackWeights(wcodes, c, c, 3, 3);
            var bits = new ulong[n * planes * BinaryDirectConv.Words(c) * (hw + 2) * (hw + 2)];
            for (int i = 0; i < bits.Length; i++) bits[i] = (ulong)rng.NextInt64();
            var acc = new int[n * c * hw * hw];
            // Every path this CPU runs, best last: the vpopcntq kernel against the nibble-table one shows what the native code buys.
            foreach (var path in new[] { BinaryDirectConv.Path.Avx512V512, BinaryDirectConv.Path.Vpopcntdq }.Where(q => q <= BinaryDirectConv.Paths.Best))
            {
                BinaryDirectConv.Paths.Forced = path;
                try
                {
                    var (kMin, kMed) = Time(() => BinaryDirectConv.Multiply(bits, n, planes, hw + 2, hw + 2, c, packed, c, 3, 3, (1, 1), (1, 1), hw, hw, acc));
                    o.WriteLine($"    binary direct kernel alone ({path}, {planes}-bit activations): {kMed * 1e3:F2} ms (best {kMin * 1e3:F2}), {cMed / kMed:F1}× float");
                }
                finally { BinaryDirectConv.Paths.Forced = null; }
            }
        }
        foreach (int bits in new[] { 1, 2 })
        {
            // A binary layer as a binary network chains them: bit-planes in, conv + batch norm + PACT, bit-planes out (the next
            // layer's input), against the float convolution alone.
            var rng = new Random(10 + bits);
            int levels = 1 << bits;
            var codes = Enumerable.Range(0, c * c * 9).Select(_ => rng.Next(2)).ToArray();
            var layer = new ExportedLayer("conv", ExportedLayerKind.Conv2d, "bench", [c, c, 3, 3], PackedCodes.Pack(codes, 1),
                Enumerable.Repeat(-0.1f, c).ToArray(), Enumerable.Repeat(0.2f, c).ToArray(), null,
                new ConvGeometry((1, 1), (1, 1), (1, 1), 1), new ActivationGrid(0.5f, levels, InputOnGrid: true, "bench"), 0);
            var bn = new BatchNorm2d(c);
            bn.Eval();
            var relu = new QuantReLU(new PactActivationQuantizer(bits, initialAlpha: 3f));
            var stage = BinaryConvStage.Create(new IntegerConv2d(layer), bn, relu, outPad: 1);
            var input = BitPlanes.FromCodes(Enumerable.Range(0, n * c * hw * hw).Select(_ => (byte)rng.Next(levels)).ToArray(), n, c, hw, hw, bits, pad: 1);
            var output = new BitPlanes(n, bits, c, hw, hw, pad: 1);
            var (sMin, sMed) = Time(() => stage.Forward(input, output));
            o.WriteLine($"    BinaryConvStage bit-planes → conv + batch norm + PACT → bit-planes, {bits}-bit activations: {sMed * 1e3:F2} ms (best {sMin * 1e3:F2}), " +
                $"{cMed / sMed:F1}× the float conv alone (best/best {cMin / sMin:F1}×); activations {input.Bytes} B vs {(long)n * c * hw * hw * 4} B float, " +
                $"weights {layer.PackedBytes} B vs {c * c * 9 * 4} B");
        }
        foreach (var (wBits, levels) in new[] { (8, 256), (1, 2), (1, 4) })
        {
            var rng = new Random(levels);
            var codes = Enumerable.Range(0, c * c * 9).Select(_ => rng.Next(1 << wBits)).ToArray();
            var layer = new ExportedLayer("conv", ExportedLayerKind.Conv2d, "bench", [c, c, 3, 3], PackedCodes.Pack(codes, wBits),
                Enumerable.Repeat(-0.1f, c).ToArray(), Enumerable.Repeat(0.2f, c).ToArray(), null,
                new ConvGeometry((1, 1), (1, 1), (1, 1), 1), new ActivationGrid(0.5f, levels, InputOnGrid: true, "bench"), 0);
            var conv = new IntegerConv2d(layer);
            var xb = Tensor.FromArray(Enumerable.Range(0, n * c * hw * hw).Select(_ => rng.Next(levels) * 0.5f).ToArray(), n, c, hw, hw);
            var (bMin, bMed) = Time(() => conv.Forward(xb));
            o.WriteLine($"    {conv.Kernel} {wBits}-bit weights / {layer.InputGrid!.Bits}-bit activations: {bMed * 1e3:F1} ms (best {bMin * 1e3:F1}), " +
                $"{cMed / bMed:F1}× float (best/best {cMin / bMin:F1}×); weights {layer.PackedBytes} B packed vs {c * c * 9 * 4} B float");
        }
    }

    /// <summary>DoReFa weights and PACT activations at 8 bits.</summary>
    public static QuantSpec W8A8 => new(8, 8, (b, _) => new DoReFaWeightQuantizer(b), b => new PactActivationQuantizer(b, initialAlpha: 3f));

    /// <summary>DoReFa weights and PACT activations at 2 bits.</summary>
    public static QuantSpec W2A2 => new(2, 2, (b, _) => new DoReFaWeightQuantizer(b), b => new PactActivationQuantizer(b, initialAlpha: 3f));

    /// <summary>Binary weights (per channel scale), 2-bit PACT activations.</summary>
    public static QuantSpec BinaryA2 => new(1, 2, (b, _) => b == 1 ? new BinaryQuantizer(QuantGranularity.PerChannel) : new DoReFaWeightQuantizer(b),
        b => new PactActivationQuantizer(b, initialAlpha: 3f));

    private static ResNetCifar FakeQuantized(QuantSpec spec)
    {
        var q = new ResNetCifar(20, generator: new Generator(0));
        ModelQuantizer.Quantize(q, spec);
        q.Eval();
        return q;
    }

    /// <summary>ResNet-20 quantized by <paramref name="spec"/>, exported, and run by the integer layers (eval mode).</summary>
    public static ResNetCifar IntegerModel(QuantSpec spec, Tensor example)
    {
        var export = IntegerExport.Export(FakeQuantized(spec), example.Narrow(0, 0, 8));
        var im = new ResNetCifar(20, generator: new Generator(1));
        ModelQuantizer.Quantize(im, spec);
        IntegerInference.Apply(im, export);
        im.Eval();
        return im;
    }

    private const int InterleavedRounds = 9;

    // Runs a then b, InterleavedRounds times after one warm-up each: the medians of each and the median of the ratios t(a)/t(b).
    private static (double MedianA, double MedianB, double Ratio) Interleaved(Action a, Action b)
    {
        a(); b();
        var ta = new double[InterleavedRounds]; var tb = new double[InterleavedRounds]; var r = new double[InterleavedRounds];
        for (int i = 0; i < InterleavedRounds; i++)
        {
            var sw = Stopwatch.StartNew(); a(); ta[i] = sw.Elapsed.TotalSeconds;
            sw.Restart(); b(); tb[i] = sw.Elapsed.TotalSeconds;
            r[i] = ta[i] / tb[i];
        }
        Array.Sort(ta); Array.Sort(tb); Array.Sort(r);
        return (ta[InterleavedRounds / 2], tb[InterleavedRounds / 2], r[InterleavedRounds / 2]);
    }

    private static (double Min, double Median) Time(Action a)
    {
        a();
        var t = new double[Repeats];
        for (int i = 0; i < Repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            a();
            t[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(t);
        return (t[0], t[Repeats / 2]);
    }
}
