namespace ResearchKit.Cli.Commands;

/// <summary>Default locations shared by the commands.</summary>
internal static class CliPaths
{
    /// <summary>The run store directory: <c>RESEARCHKIT_RUNS</c>, else <c>./runs</c>.</summary>
    public static string DefaultRunsDir =>
        Environment.GetEnvironmentVariable("RESEARCHKIT_RUNS") is { Length: > 0 } d ? d : Path.Combine(Environment.CurrentDirectory, "runs");
}
