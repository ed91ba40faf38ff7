namespace ResearchKit.Benchmarks;

/// <summary>
/// Benchmark entry point: <c>dotnet run -c Release --project tests/ResearchKit.Benchmarks -- all</c>.
/// Every figure is printed next to PyTorch 1.13 CPU (2 threads) measured on the same machine.
/// </summary>
internal static class Program
{
    private const string Usage = "usage: ResearchKit.Benchmarks <all|gemm|resnet|input-grad|lstm|loader|conv|lstm-kernel|gemm-tune> ...";

    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.WriteLine(Usage);
            return 0;
        }
        Console.WriteLine($"ResearchKit benchmarks — {Environment.ProcessorCount} cores, Vector512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "on" : "off")}, .NET {Environment.Version}");
        foreach (string name in args)
        {
            switch (name.ToLowerInvariant())
            {
                case "all":
                    GemmBench.Run(Console.Out);
                    ResNetBench.Run(Console.Out);
                    InputGradientBench.Run(Console.Out);
                    LstmModuleBench.Run(Console.Out);
                    LoaderBench.Run(Console.Out);
                    break;
                case "gemm": GemmBench.Run(Console.Out); break;
                case "gemm-tune": GemmBench.Tune(Console.Out); break;
                case "resnet": ResNetBench.Run(Console.Out); break;
                case "input-grad": InputGradientBench.Run(Console.Out); break;
                case "lstm": LstmModuleBench.Run(Console.Out); break;
                case "lstm-kernel": LstmBench.Run(Console.Out); break;
                case "conv": ConvBench.Run(Console.Out); break;
                case "loader": LoaderBench.Run(Console.Out); break;
                default:
                    Console.Error.WriteLine($"unknown benchmark '{name}'. {Usage}");
                    return 1;
            }
        }
        return 0;
    }
}
