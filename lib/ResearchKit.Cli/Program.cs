using System.CommandLine;
using ResearchKit.Cli.Commands;
using ResearchKit.Cli.Errors;

namespace ResearchKit.Cli;

/// <summary>The <c>rk</c> command line: datasets, runs, training and notebooks.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Print the stack trace of an error", Recursive = true };
        var root = new RootCommand("ResearchKit: reproduce the thesis experiments from the command line (exit codes: see the README)")
        {
            DataCommands.Create(),
            RunsCommands.Create(),
            TrainCommand.Create(),
            NotebookCommands.Create(),
        };
        root.Options.Add(verbose);

        var parse = root.Parse(args);
        string command = CommandPath(parse);
        if (parse.Errors.Count > 0)
        {
            // A bad invocation: the errors and where help is, not the whole help text (exit code 2, not System.CommandLine's 1).
            foreach (var error in parse.Errors) Console.Error.WriteLine($"{command}: {error.Message}");
            Console.Error.WriteLine($"See `{command} --help`.");
            return ExitCodes.Usage;
        }
        // Errors reach CliErrors instead of System.CommandLine's handler, which prints every one as a crash.
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try { return parse.Invoke(config); }
        catch (Exception e) { return CliErrors.Report(e, command, Console.Error, parse.GetValue(verbose) || args.Contains("--verbose")); }
    }

    /// <summary>"rk data verify" for <c>rk data verify x</c>: the prefix of every error message.</summary>
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(r.Command is RootCommand ? "rk" : r.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
