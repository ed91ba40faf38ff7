using System.CommandLine;
using ResearchKit.Cli.Commands;

namespace ResearchKit.Cli;

/// <summary>The <c>rk</c> command line: datasets, runs, training and notebooks.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("ResearchKit: reproduce the thesis experiments from the command line")
        {
            DataCommands.Create(),
            RunsCommands.Create(),
            TrainCommand.Create(),
            NotebookCommands.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
