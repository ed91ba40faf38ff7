namespace ResearchKit.Cli.Errors;

/// <summary>
/// The exit codes of <c>rk</c>, one per kind of anticipated failure, so scripts can tell a bad invocation from missing
/// data or a diverged run (documented in the README's "Exit codes" table).
/// </summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command failed: a notebook cell raised, or an unexpected error (rerun with <c>--verbose</c>).</summary>
    public const int Failed = 1;

    /// <summary>Bad invocation: unknown command, option, recipe, preset or dataset, a bad value, a missing input file or unusable output path.</summary>
    public const int Usage = 2;

    /// <summary>A dataset file is missing (not local and not downloadable) or corrupt (size or checksum mismatch).</summary>
    public const int Data = 3;

    /// <summary>Run store: the run is leased by another live process, its lease was lost, no such run, or the store is unusable.</summary>
    public const int RunStore = 4;

    /// <summary>Training diverged: the loss became NaN or infinite.</summary>
    public const int Diverged = 5;

    /// <summary><c>rk nb export</c> found nothing to export: the notebook was never executed or shows no figure or table.</summary>
    public const int NothingToExport = 6;

    /// <summary>Interrupted (Ctrl-C / SIGINT), as shells report it (128 + 2).</summary>
    public const int Interrupted = 130;
}
