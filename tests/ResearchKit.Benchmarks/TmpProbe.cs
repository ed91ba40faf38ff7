using System.Diagnostics;
using ResearchKit.Models;
using ResearchKit.Quantization;
using ResearchKit.Quantization.Export;
using ResearchKit.Tensors;
namespace ResearchKit.Benchmarks;
internal static class TmpProbe
{
    public static void Run(string which)
    {
        var gen = new Generator(0);
        var x = Tensor.Randn([256, 3, 32, 32], gen);
        int bits = which == "w8" ? 8 : 2;
        var spec = new QuantSpec(bits, bits, (b, _) => new DoReFaWeightQuantizer(b), b => new PactActivationQuantizer(b, initialAlpha: 3f));
        var q = new ResNetCifar(20, generator: new Generator(0));
        ModelQuantizer.Quantize(q, spec);
        q.Eval();
        var export = IntegerExport.Export(q, x.Narrow(0, 0, 8));
        var im = new ResNetCifar(20, generator: new Generator(1));
        ModelQuantizer.Quantize(im, spec);
        IntegerInference.Apply(im, export);
        for (int i = 0; i < 5; i++) using (Torch.NoGrad()) im.Forward(x);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 30; i++) using (Torch.NoGrad()) im.Forward(x);
        Console.WriteLine($"{which}: {sw.Elapsed.TotalMilliseconds / 30:F1} ms per batch of 256");
        Console.WriteLine(im);
    }
}
