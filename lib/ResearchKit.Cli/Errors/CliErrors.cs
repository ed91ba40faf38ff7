using System.Reflection;
using Microsoft.Data.Sqlite;
using ResearchKit.Data;
using ResearchKit.Runs;
using ResearchKit.Training;

namespace ResearchKit.Cli.Errors;

/// <summary>
/// The one place where <c>rk</c> turns an exception into a message and an exit code: anticipated errors print their
/// message (it names the problem and the fix) and no stack trace; the trace is printed only with <c>--verbose</c>.
/// </summary>
public static class CliErrors
{
    /// <summary>The exit code for <paramref name="e"/> (see <see cref="ExitCodes"/>); <see cref="ExitCodes.Failed"/> when unanticipated.</summary>
    public static int ExitCodeFor(Exception e) => Unwrap(e) switch
    {
        CliException c => c.ExitCode,
        OperationCanceledException => ExitCodes.Interrupted,
        // Data before the file-system cases: DataNotFoundException is a FileNotFoundException.
        DataNotFoundException or DataIntegrityException => ExitCodes.Data,
        RunLeasedException or RunLeaseLostException or CheckpointCorruptException or SqliteException => ExitCodes.RunStore,
        TrainingDivergedException => ExitCodes.Diverged,
        // The kit validates user input (recipe, preset, parameter names) with ArgumentException; a null argument is a bug.
        ArgumentNullException => ExitCodes.Failed,
        ArgumentException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => ExitCodes.Usage,
        _ => ExitCodes.Failed,
    };

    /// <summary>Writes the message for <paramref name="e"/> to <paramref name="error"/> and returns its exit code.</summary>
    /// <param name="e">What the command threw.</param>
    /// <param name="command">The command path for the message prefix, e.g. <c>rk data verify</c>.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="verbose">Also write the stack trace (<c>--verbose</c>).</param>
    public static int Report(Exception e, string command, TextWriter error, bool verbose)
    {
        var inner = Unwrap(e);
        int code = ExitCodeFor(inner);
        string message = code switch
        {
            ExitCodes.Failed => $"unexpected error ({inner.GetType().Name}): {inner.Message}" +
                                (verbose ? "" : Environment.NewLine + "  This is likely a bug: rerun with --verbose for the stack trace and report it."),
            ExitCodes.RunStore when inner is SqliteException =>
                $"the run store failed: {inner.Message}. Check that --runs-dir (or RESEARCHKIT_RUNS) is a writable folder holding a ResearchKit run store.",
            ExitCodes.Diverged => inner.Message + Environment.NewLine +
                                  "  The run is recorded as failed (see `rk runs list`); a recipe's preset fixes the learning rate, so try another --seed.",
            ExitCodes.Interrupted => "interrupted.",
            _ => inner.Message,
        };
        error.WriteLine($"{command}: {message}");
        if (verbose) error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>The exception a command actually threw, out of the wrappers that async and reflection add.</summary>
    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a: e = a.InnerExceptions[0]; continue;
                case TargetInvocationException { InnerException: { } i }: e = i; continue;
                default: return e;
            }
        }
    }
}
