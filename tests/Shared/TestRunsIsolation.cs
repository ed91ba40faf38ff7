using System.Runtime.CompilerServices;

namespace ResearchKit.TestSupport;

/// <summary>
/// Points the default run store (<c>RESEARCHKIT_RUNS</c>, read by <c>rk</c> and the notebooks) at a temporary folder for
/// this test process and the processes it starts, so no test can write into the repository's <c>runs/</c>. One source,
/// compiled into each test assembly (linked from tests/Shared), so every test process gets its own folder.
/// </summary>
internal static class TestRunsIsolation
{
    /// <summary>The temporary default runs directory of this test process.</summary>
    public static string RunsDir { get; private set; } = "";

    /// <summary>The Ensemble Hash Defense key file of this test process (outside <see cref="RunsDir"/>, so a test can search
    /// every run artifact for the key without finding the key file itself); never the user's own key.</summary>
    public static string EhdKeyFile { get; private set; } = "";

#pragma warning disable CA2255 // a test assembly is where an environment for every test must be set before any of them runs
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        RunsDir = Path.Combine(Path.GetTempPath(), "rk-test-default-runs", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(RunsDir);
        Environment.SetEnvironmentVariable("RESEARCHKIT_RUNS", RunsDir);
        EhdKeyFile = RunsDir + "-ehd-key" + Path.DirectorySeparatorChar + "ehd.key";
        Environment.SetEnvironmentVariable("RESEARCHKIT_EHD_KEY_FILE", EhdKeyFile);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(RunsDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            try { Directory.Delete(Path.GetDirectoryName(EhdKeyFile)!, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }
}
