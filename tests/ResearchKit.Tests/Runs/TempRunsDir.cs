using Microsoft.Data.Sqlite;

namespace ResearchKit.Tests.Runs;

/// <summary>A fresh runs directory under the temp folder, deleted (after releasing pooled SQLite handles) on dispose.</summary>
internal sealed class TempRunsDir : IDisposable
{
    public TempRunsDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rk-runs-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { } // best effort: a leaked temp dir must not fail a test
    }
}
