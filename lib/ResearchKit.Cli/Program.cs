namespace ResearchKit.Cli;

/// <summary>The <c>rk</c> command line.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("rk: commands are being built (data, runs, train).");
        return args.Length == 0 ? 0 : 1;
    }
}
