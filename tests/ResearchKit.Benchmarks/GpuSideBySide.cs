using System.Diagnostics;
using System.Globalization;
using ResearchKit.Gpu;
using ResearchKit.Quantization;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Devices;

namespace ResearchKit.Benchmarks;

/// <summary>
/// <c>gpu-side-by-side</c>: the engine's public API on the first CUDA device (<c>model.To(cuda)</c>, factories with a device)
/// against PyTorch on the same GPU in the same invocation (<c>torch/bench.py --device cuda</c>): SGEMM 4096, the ResNet-20
/// train, W2/A2 QAT train, PGD and inference steps, the seq-MNIST LSTM step. Mean over <c>--steps</c> timed steps after
/// <c>--warmup</c>, each step ending on a device synchronization (the kernels are asynchronous). Without a CUDA device it runs
/// every workload once at batch 2 on ILGPU's CPU accelerator, to check the command end to end, and prints no figures.
/// </summary>
internal static class GpuSideBySide
{
    private const int CheckBatch = 2;

    private sealed record DeviceWorkload(string Name, string Description, int Batch, Func<Device, int, Action> Setup);

    private static readonly DeviceWorkload[] All =
    [
        new("sgemm-4096", "Tensor.Matmul 4096×4096 (TFLOP/s)", 4096, (d, n) => { var a = Tensor.Rand([n, n], new Generator(1), d); var b = Tensor.Rand([n, n], new Generator(2), d); return () => a.Matmul(b); }),
        new("resnet20-train", "ResNet-20 train step b=128: CE + backward + SGD(0.1, momentum 0.9, wd 1e-4)", 128, (d, b) => Workloads.ResNetTrain(20, null, d, b)),
        new("resnet20-qat-train", "the same with W2/A2 DoReFa/PACT fake quantization (ch. 5)", 128, (d, b) => Workloads.ResNetTrain(20, QuantSpec.DoReFaPact(2, 2), d, b)),
        new("resnet20-pgd-step", "one PGD step on ResNet-20 b=128 (input gradient, sign step, projection)", 128, (d, b) => Workloads.ResNetPgdStep(d, b)),
        new("resnet20-infer", "ResNet-20 inference b=256, eval, NoGrad", 256, (d, b) => Workloads.ResNetInfer(20, device: d, batch: b)),
        // The check run (batch 2 on the CPU accelerator) reads a row per step (T = 28): 784 steps there take minutes.
        new("lstm-seqmnist", "seq-MNIST LSTM train step (b=100, T=784, hidden 128)", 100, (d, b) => Workloads.LstmSeqMnist(d, b, b == CheckBatch ? 28 : 1)),
    ];

    public static void Run(TextWriter o, IReadOnlyList<string> args)
    {
        var options = new BenchArgs("gpu-side-by-side", args, "--steps N, --warmup N", "--steps", "--warmup");
        int steps = options.Int("--steps") ?? 20, warmup = options.Int("--warmup", min: 0) ?? 3;
        bool cuda = GpuDevice.CudaDeviceCount() > 0;
        var device = GpuBackend.Register(cuda ? Device.Cuda(0) : Device.CpuAccelerator).Device;
        var backend = DeviceBackends.For(device);
        if (!cuda)
        {
            o.WriteLine("gpu-side-by-side: no CUDA device here; each workload runs once at batch 2 on ILGPU's CPU accelerator to check the command (no figures).");
            foreach (var w in All)
            {
                var sw = Stopwatch.StartNew();
                w.Setup(device, w.Name == "sgemm-4096" ? 64 : CheckBatch)();
                backend.Synchronize();
                o.WriteLine($"  {w.Name}: ran ({sw.Elapsed.TotalSeconds:F1} s)");
            }
            return;
        }
        o.WriteLine($"gpu-side-by-side on {((GpuBackend)backend).Gpu.Name}: mean of {steps} steps after {warmup}, each synchronized");
        var ours = new Dictionary<string, double>();
        foreach (var w in All)
        {
            Action step;
            try { step = w.Setup(device, w.Batch); for (int i = 0; i < warmup; i++) step(); backend.Synchronize(); }
            catch (NotSupportedException e) { o.WriteLine($"  {w.Name}: not on the device yet ({e.Message.Split('.')[0]})"); continue; }
            catch (Exception e)
            {
                // One workload's failure (a kernel that does not compile for this GPU, say) must not cost the rest of the
                // table, nor PyTorch's side of it: say what failed and go on.
                var root = e.GetBaseException();
                o.WriteLine($"  {w.Name}: FAILED on the device: {root.GetType().Name}: {root.Message.Split('\n')[0]}");
                continue;
            }
            var times = new double[steps];
            for (int i = 0; i < steps; i++)
            {
                var sw = Stopwatch.StartNew();
                step();
                backend.Synchronize();
                times[i] = sw.Elapsed.TotalMilliseconds;
            }
            ours[w.Name] = times.Average();
        }
        var torch = TorchSide.RunCuda([.. All.Select(w => w.Name)], warmup, steps, out string torchLine);
        o.WriteLine(torchLine);
        o.WriteLine($"  {"workload",-20} {"ours ms",10} {"PyTorch ms",11} {"ours/PyTorch",13}  {"throughput (ours / PyTorch)",-30}");
        foreach (var w in All)
        {
            if (!ours.TryGetValue(w.Name, out double m)) continue;
            double? t = torch.TryGetValue(w.Name, out double tm) ? tm : null;
            string Rate(double ms) => w.Name == "sgemm-4096" ? $"{2.0 * w.Batch * w.Batch * w.Batch / (ms / 1e3) / 1e12:F1} TFLOP/s" : $"{w.Batch / (ms / 1e3):F0} img/s";
            o.WriteLine($"  {w.Name,-20} {m,10:F2} {(t is double a ? a.ToString("F2", CultureInfo.InvariantCulture) : "-"),11} {(t is double b ? (m / b).ToString("F2", CultureInfo.InvariantCulture) : "-"),13}  {Rate(m)} / {(t is double c ? Rate(c) : "-")}");
        }
    }
}
