namespace ResearchKit.Cli.Errors;

/// <summary>
/// An anticipated failure detected by a command itself: <see cref="CliErrors"/> prints its message (which names the
/// problem and the fix) without a stack trace and exits with <see cref="ExitCode"/>.
/// </summary>
public sealed class CliException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="exitCode">One of <see cref="ExitCodes"/>.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    public CliException(int exitCode, string message) : base(message) => ExitCode = exitCode;

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }
}
