namespace ResearchKit.Benchmarks;

/// <summary>Benchmark entry point: <c>dotnet run -c Release --project tests/ResearchKit.Benchmarks -- gemm</c>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.WriteLine("usage: ResearchKit.Benchmarks <gemm|gemm-tune|conv>");
            return 0;
        }
        foreach (string name in args)
        {
            switch (name.ToLowerInvariant())
            {
                case "gemm": GemmBench.Run(Console.Out); break;
                case "gemm-tune": GemmBench.Tune(Console.Out); break;
                case "conv": ConvBench.Run(Console.Out); break;
                default:
                    Console.Error.WriteLine($"unknown benchmark '{name}' (known: gemm, gemm-tune, conv)");
                    return 1;
            }
        }
        return 0;
    }
}
