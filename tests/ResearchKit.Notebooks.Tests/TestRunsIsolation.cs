using System.Runtime.CompilerServices;

namespace ResearchKit.Notebooks.Tests;

/// <summary>
/// Points the default run store (<c>RESEARCHKIT_RUNS</c>, which the notebooks read before falling back to the
/// repository's <c>runs/</c>) at a temporary folder for this test process, so running the repository's notebooks in
/// tests never writes into the developer's run store.
/// </summary>
internal static class TestRunsIsolation
{
    /// <summary>The temporary default runs directory of this test process.</summary>
    public static string RunsDir { get; private set; } = "";

#pragma warning disable CA2255 // a test assembly is where an environment for every test must be set before any of them runs
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        RunsDir = Path.Combine(Path.GetTempPath(), "rk-nbtest-default-runs", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(RunsDir);
        Environment.SetEnvironmentVariable("RESEARCHKIT_RUNS", RunsDir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(RunsDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }
}
