using System.Diagnostics;
using ResearchKit.Models;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Kernels;
using ResearchKit.Tensors.Optim;
using F = ResearchKit.Tensors.Nn.Functional;

namespace ResearchKit.Benchmarks;

/// <summary>ResNet-20 (CIFAR shapes) train step at batch 128 and inference at batch 256, against PyTorch 1.13 CPU.</summary>
internal static class ResNetBench
{
    // PyTorch 1.13 CPU, 2 threads, measured on this machine (issue 2).
    private const double TorchTrainMs = 155, TorchInferImagesPerSec = 2960;

    public static void Run(TextWriter o, int repeats = 5)
    {
        Parallelism.Threads = 2;
        var gen = new Generator(0);
        var model = new ResNetCifar(20, generator: gen);
        var opt = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4);
        var x = Tensor.Randn([128, 3, 32, 32], gen);
        var y = Tensor.Randint(0, 10, [128], gen);

        model.Train();
        double best = double.MaxValue;
        for (int r = 0; r < repeats + 2; r++)
        {
            var sw = Stopwatch.StartNew();
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            sw.Stop();
            if (r >= 2) best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        o.WriteLine($"ResNet-20 train step, batch 128   : {best,8:F1} ms   (PyTorch {TorchTrainMs} ms, ratio {best / TorchTrainMs:F2}x)");

        model.Eval();
        var xi = Tensor.Randn([256, 3, 32, 32], gen);
        best = double.MaxValue;
        using (Torch.NoGrad())
            for (int r = 0; r < repeats + 2; r++)
            {
                var sw = Stopwatch.StartNew();
                model.Forward(xi);
                sw.Stop();
                if (r >= 2) best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
        double ips = 256 / (best / 1000);
        o.WriteLine($"ResNet-20 inference, batch 256    : {ips,8:F0} img/s (PyTorch {TorchInferImagesPerSec} img/s, ratio {TorchInferImagesPerSec / ips:F2}x slower)");
    }
}
