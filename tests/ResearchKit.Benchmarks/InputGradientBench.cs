using System.Diagnostics;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Benchmarks;

/// <summary>
/// One PGD-style step on ResNet-20 in eval mode, batch 128: ∂CE/∂x through <c>Autograd.Grad</c>, then the signed
/// update and the ε-ball projection in place under NoGrad. What an attack loop repeats hundreds of times per batch;
/// it never needs a weight gradient.
/// </summary>
internal static class InputGradientBench
{
    public static void Run(TextWriter o, int repeats = 5)
    {
        Parallelism.Threads = 2;
        var gen = new Generator(0);
        var model = new ResNetCifar(20, generator: gen);
        model.Eval();
        var x0 = Tensor.Uniform([128, 3, 32, 32], 0f, 1f, gen);
        var y = Tensor.Randint(0, 10, [128], gen);
        const float eps = 8f / 255, alpha = 2f / 255;
        var xAdv = x0.Clone();

        double best = double.MaxValue;
        for (int r = 0; r < repeats + 2; r++)
        {
            var sw = Stopwatch.StartNew();
            var x = xAdv.Detach().RequiresGrad_();
            var loss = F.CrossEntropy(model.Forward(x), y);
            var g = Autograd.Grad(loss, x);
            using (Torch.NoGrad())
            {
                xAdv.Add_(g.Sign() * alpha);
                xAdv.CopyFrom(Tensor.Minimum(Tensor.Maximum(xAdv, x0 - eps), x0 + eps).Clamp(0f, 1f));
            }
            sw.Stop();
            if (r >= 2) best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        o.WriteLine($"ResNet-20 PGD input-gradient step, batch 128 (eval): {best,8:F1} ms");
    }
}
