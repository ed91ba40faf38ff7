namespace ResearchKit.Benchmarks;

/// <summary>
/// Benchmark entry point: <c>dotnet run -c Release --project tests/ResearchKit.Benchmarks [-- side-by-side [options]]</c>.
/// The default (<c>side-by-side</c>, alias <c>all</c>) is the measured table against PyTorch run in the same
/// invocation; the other sub-commands are developer aids with no PyTorch figures.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: ResearchKit.Benchmarks [side-by-side|all] [--threads 2,N] [--steps 20] [--warmup 5] [--rounds 1] [--only w1,w2] [--no-torch] [--python PATH] [--pool-stats] [--torch-malloc retain|glibc]
               ResearchKit.Benchmarks <gemm|gemm-tune|conv|profile|int|gpu|lstm|lstm-kernel|loader> ...
               ResearchKit.Benchmarks alloc --only WORKLOAD [--steps 20] [--threads 2] [--min-elements N]
               ResearchKit.Benchmarks gpu-side-by-side [--steps 20] [--warmup 3]
               ResearchKit.Benchmarks gpu-recipes [--preset smoke|quick] [--device cuda|cuda:i|cpu-accelerator] [--only r1,r2]
               ResearchKit.Benchmarks gpu-paper-costs [--device NAME] [--steps 5] [--warmup 2] [--batch N]
          side-by-side  every workload through the public API, ours and PyTorch (torch/bench.py) at each thread count (default)
          alloc         what one side-by-side workload's steady steps allocate, by type and heap (sampled), and its gen-2 collections
          gemm          SGEMM GFLOP/s over sizes, transposes and training shapes (raw kernel)
          gemm-tune     SGEMM blocking sweep, for re-tuning on a new CPU
          conv          Conv2d forward/backward per ResNet-20 shape
          profile       ResNet-20 inference time per module type (forward hooks), plain and folded; RK_PROFILE_THREADS=2,16
          int           integer (int8, binary) ResNet-20 and 3x3 convolution against float, with the exported model's bytes
          gpu           the GPU kernels (ResearchKit.Gpu) on the first CUDA device: SGEMM GFLOP/s and error, ResNet-20 convolutions
          gpu-side-by-side  the tensor API on the first CUDA device against PyTorch CUDA on the same GPU
          gpu-recipes   each recipe that runs on devices, trained on the CPU and on the device: final metrics side by side, wall times
          gpu-paper-costs  each device recipe's paper preset: one measured training step on the GPU times the preset's steps
          lstm          seq-MNIST LSTM module step split into forward/backward/update
          lstm-kernel   seq-MNIST LSTM kernel step split into GEMM / non-GEMM
          loader        DataLoader throughput
        --threads: comma-separated, N = all cores; default 2 and Environment.ProcessorCount.
        --rounds R: measure each workload R times, ours and PyTorch back to back, alternating which goes first; the table shows each
          side's median round and the per-round ratios follow it (for a shared machine whose speed drifts).
        --pool-stats: print the caching allocator's counters over each workload's timed steps (stderr).
        --torch-malloc: retain (default) runs PyTorch with glibc malloc keeping freed memory (as jemalloc/tcmalloc setups do);
          glibc keeps glibc's defaults, under which PyTorch re-faults its large buffers every step.
        --python or RK_BENCH_PYTHON: the Python with torch (default: python3 on PATH, then /usr/bin/python3).
        """;

    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return 0;
        }
        Console.WriteLine($"ResearchKit benchmarks — {Environment.ProcessorCount} cores, Vector512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "on" : "off")}, .NET {Environment.Version}");
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal) || args[0] is "all" or "side-by-side")
        {
            SideBySide.Options options;
            try
            {
                options = SideBySide.Parse(args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[1..] : args);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"{e.Message}{Environment.NewLine}{Usage}");
                return 1;
            }
            SideBySide.Run(Console.Out, options);
            return 0;
        }
        // The GPU sub-commands take options after their name.
        if (args[0] is "gpu-side-by-side" or "gpu-recipes" or "gpu-paper-costs" or "alloc")
        {
            try
            {
                if (args[0] == "alloc") return AllocProfile.Run(Console.Out, args.Skip(1).ToList());
                if (args[0] == "gpu-recipes") return GpuRecipes.Run(Console.Out, args.Skip(1).ToList());
                if (args[0] == "gpu-paper-costs") return GpuPaperCosts.Run(Console.Out, args.Skip(1).ToList());
                GpuSideBySide.Run(Console.Out, args.Skip(1).ToList());
                return 0;
            }
            catch (ArgumentException e) { Console.Error.WriteLine($"{e.Message}{Environment.NewLine}{Usage}"); return 1; }
        }
        foreach (string name in args)
        {
            switch (name.ToLowerInvariant())
            {
                case "gemm": GemmBench.Run(Console.Out); break;
                case "gemm-tune": GemmBench.Tune(Console.Out); break;
                case "lstm": LstmModuleBench.Run(Console.Out); break;
                case "lstm-kernel": LstmBench.Run(Console.Out); break;
                case "conv": ConvBench.Run(Console.Out); break;
                case "profile": ForwardProfile.Run(Console.Out); break;
                case "int": IntBench.Run(Console.Out); break;
                case "gpu": GpuBench.Run(Console.Out); break;
                case "loader": LoaderBench.Run(Console.Out); break;
                default:
                    Console.Error.WriteLine($"unknown benchmark '{name}'.{Environment.NewLine}{Usage}");
                    return 1;
            }
        }
        return 0;
    }
}
