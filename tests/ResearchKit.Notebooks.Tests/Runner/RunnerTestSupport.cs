using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>Helpers shared by the runner tests: temp folders, running notebooks, reading outputs.</summary>
internal static class RunnerTestSupport
{
    /// <summary>A fresh temp folder (deleted by the caller's using).</summary>
    public static TempDir NewTempDir() => new();

    public static async Task<NotebookRunResult> RunAsync(Notebook nb, string? dir = null, NotebookRunOptions? options = null)
    {
        dir ??= Path.GetTempPath();
        return await new NotebookRunner(options).RunAsync(nb, dir, "test.ipynb");
    }

    public static string Text(this CellOutput output) => output switch
    {
        StreamOutput s => s.Text,
        DisplayDataOutput d => d.Data.GetText("text/plain") ?? "",
        ErrorOutput e => e.EName + ": " + e.EValue,
        _ => "",
    };

    /// <summary>The folder that holds ResearchKit.sln, found by walking up from the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ResearchKit.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No ResearchKit.sln above {AppContext.BaseDirectory}.");
    }

    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rk-nb-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
