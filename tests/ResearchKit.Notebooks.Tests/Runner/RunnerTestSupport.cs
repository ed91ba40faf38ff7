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

    /// <summary>
    /// A cell referencing the kit as a notebook does (<c>#r</c> of the built dlls; here the test's own copies, which
    /// the process has loaded), for cells that use kit types.
    /// </summary>
    public static string KitReferences()
    {
        string dir = Path.GetDirectoryName(typeof(ResearchKit.Display.IRichDisplay).Assembly.Location)!;
        // The libraries of the kit's API, as the notebooks' first cell references them.
        string[] dlls = ["ResearchKit.Tensors.dll", "ResearchKit.dll", "Deedle.dll", "Plotly.NET.dll", "Plotly.NET.CSharp.dll"];
        return string.Join("\n", dlls.Select(d => $"#r \"{Path.Combine(dir, d)}\""));
    }

    /// <summary>
    /// The text of an output: stream text, an error's name and message, or a value's text/plain, else the text of
    /// the kernel's HTML (the Jupyter kernel's default MIME type for non-strings is HTML: &lt;pre&gt;42&lt;/pre&gt;).
    /// </summary>
    public static string Text(this CellOutput output) => output switch
    {
        StreamOutput s => s.Text,
        DisplayDataOutput d => d.Data.GetText("text/plain") ?? HtmlText(d.Data.GetText("text/html") ?? ""),
        ErrorOutput e => e.EName + ": " + e.EValue,
        _ => "",
    };

    private static string HtmlText(string html)
    {
        var pre = System.Text.RegularExpressions.Regex.Match(html, "<pre>(.*?)</pre>", System.Text.RegularExpressions.RegexOptions.Singleline);
        return System.Net.WebUtility.HtmlDecode(pre.Success ? pre.Groups[1].Value : html);
    }

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
