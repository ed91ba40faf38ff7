using Spectre.Console;

namespace ResearchKit.Training;

/// <summary>Chooses a progress display for the current process.</summary>
public static class ProgressSinks
{
    /// <summary>
    /// A live bar when stdout is an interactive terminal, plain periodic lines otherwise (redirected output: CI,
    /// notebooks, pipes). The environment variable <c>RESEARCHKIT_PROGRESS</c> = <c>bar</c> | <c>plain</c> | <c>none</c> overrides.
    /// </summary>
    /// <param name="plainEverySteps">Line interval in steps for the plain display.</param>
    /// <param name="plainEvery">Line interval in time for the plain display (default 10 s).</param>
    public static IProgressSink Auto(int plainEverySteps = 100, TimeSpan? plainEvery = null)
    {
        string? mode = Environment.GetEnvironmentVariable("RESEARCHKIT_PROGRESS")?.Trim().ToLowerInvariant();
        return mode switch
        {
            "none" or "silent" => SilentProgressSink.Instance,
            "plain" => new PlainProgressSink(Console.Out, plainEverySteps, plainEvery),
            "bar" => new SpectreProgressSink(),
            _ => IsInteractive() ? new SpectreProgressSink() : new PlainProgressSink(Console.Out, plainEverySteps, plainEvery),
        };
    }

    /// <summary>True when stdout is a terminal that can redraw a live display.</summary>
    public static bool IsInteractive() =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
}
