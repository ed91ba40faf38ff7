using System.Diagnostics;
using System.Text.RegularExpressions;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;
using ResearchKit.TestSupport;
using Xunit;
using static ResearchKit.Notebooks.Tests.Runner.RunnerTestSupport;

namespace ResearchKit.Notebooks.Tests.Runner;

/// <summary>A theory skipped, with the reason, only where Jupyter or the .net-csharp kernel is missing (CI runs environment/setup.sh first).</summary>
public sealed class JupyterTheoryAttribute : TheoryAttribute
{
    public JupyterTheoryAttribute()
    {
        if (Jupyter.Missing is { } why) Skip = why;
    }
}

/// <summary>Runs notebooks with Jupyter's nbconvert/nbclient and the real <c>.net-csharp</c> kernel (dotnet-interactive).</summary>
internal static class Jupyter
{
    private const string Python = "/usr/bin/python3";

    public static readonly string? Missing = Check();

    private static string? Check()
    {
        var (code, output) = Run(Python, ["-c", "import nbclient, nbconvert, jupyter_client.kernelspec as k; k.KernelSpecManager().get_kernel_spec('.net-csharp')"], RepoRoot(), null, TimeSpan.FromSeconds(60));
        return code == 0 ? null : "Jupyter (nbconvert, nbclient) or its .net-csharp kernel is not installed: run bash environment/setup.sh. " + output.Trim().Split('\n')[^1];
    }

    /// <summary>
    /// Executes <paramref name="path"/> with nbclient, as `jupyter nbconvert --execute` does (the kernel starts in the
    /// notebook's folder), without the cell of injected parameters a committed executed notebook keeps from its own run:
    /// a plain Jupyter run of the authored notebook is the smoke run.
    /// </summary>
    public static Notebook Execute(string path, string outDir, IReadOnlyDictionary<string, string> env)
    {
        const string Script = """
            import sys, nbformat
            from nbconvert import NotebookExporter
            from nbconvert.preprocessors import ExecutePreprocessor
            src, dst = sys.argv[1], sys.argv[2]
            nb = nbformat.read(src, as_version=4)
            nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
            ExecutePreprocessor(kernel_name=".net-csharp", timeout=600).preprocess(nb, {"metadata": {"path": sys.argv[3]}})
            body, _ = NotebookExporter().from_notebook_node(nb)   # as nbconvert --to notebook writes it (streams coalesced)
            open(dst, "w", encoding="utf-8").write(body)
            """;
        var (code, output) = Run(Python, ["-c", Script, path, Path.Combine(outDir, Path.GetFileName(path)), Path.GetDirectoryName(path)!],
            Path.GetDirectoryName(path)!, env, TimeSpan.FromMinutes(9));
        string executed = Path.Combine(outDir, Path.GetFileName(path));
        if (code != 0 || !File.Exists(executed)) throw new InvalidOperationException($"nbconvert failed ({code}):\n{output}");
        return Notebook.Load(executed);
    }

    private static (int Code, string Output) Run(string file, string[] args, string cwd, IReadOnlyDictionary<string, string>? env, TimeSpan timeout)
    {
        if (!File.Exists(file)) return (-1, file + " not found");
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(entireProcessTree: true); return (-2, "timed out"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>
/// Each notebook gives the same cells, output types, figures and tables under <c>rk nb run</c> and under Jupyter
/// with the real kernel. A plain Jupyter run is the smoke run: the <c>parameters</c> cells default to smoke.
/// </summary>
public class JupyterParityTests
{
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(RepoRoot(), "notebooks"), "*.ipynb").Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(RepoRoot(), path));
        data.Add(Path.Combine("tests", "ResearchKit.Notebooks.Tests", "notebooks", "kernel-features.ipynb"));
        return data;
    }

    /// <summary>Notebooks whose Jupyter run trains in a run store of its own (the others read the rk run's results).</summary>
    private static readonly HashSet<string> TrainInKernel = ["00-getting-started.ipynb", "B-spsa.ipynb"];

    [Fact]
    public void Parameters_cells_default_to_the_smoke_preset()
    {
        foreach (var path in Directory.GetFiles(Path.Combine(RepoRoot(), "notebooks"), "*.ipynb"))
        {
            var parameters = Notebook.Load(path).Cells.Single(c => c.HasTag(NotebookParameters.ParametersTag));
            Assert.Contains("var preset = \"smoke\";", parameters.Source);
        }
    }

    [JupyterTheory]
    [MemberData(nameof(Notebooks))]
    public async Task Jupyter_with_the_real_kernel_gives_the_same_outputs_as_rk_nb_run(string relativePath)
    {
        string path = Path.Combine(RepoRoot(), relativePath);
        bool repoNotebook = relativePath.StartsWith("notebooks", StringComparison.Ordinal);
        var (rk, rkResult, log) = await SmokeRuns.RunAsync(path, repoNotebook ? "smoke" : null);
        Assert.True(rkResult.Succeeded, rkResult.Error + "\n" + log);

        using var tmp = NewTempDir();
        // The run store: the rk runs' own for most notebooks, so the kernel process reads the results another process wrote (as a
        // user who ran `rk nb run` and then opens the notebook) and must show them as the trained run did; a store of its own for
        // TrainInKernel, so training inside the real kernel stays covered. Keeps the suite within its time on 2 cores.
        string runs = repoNotebook && !TrainInKernel.Contains(Path.GetFileName(path)) ? TestRunsIsolation.RunsDir : Path.Combine(tmp.Path, "runs");
        var jupyter = Jupyter.Execute(path, tmp.Path, new Dictionary<string, string> { ["RESEARCHKIT_RUNS"] = runs });

        var rkCells = rk.Cells.Where(c => c.Type == CellType.Code && !c.HasTag(NotebookParameters.InjectedTag)).ToList();
        var jupyterCells = jupyter.Cells.Where(c => c.Type == CellType.Code).ToList();
        Assert.Equal(jupyterCells.Select(c => c.Id), rkCells.Select(c => c.Id));
        foreach (var (j, r) in jupyterCells.Zip(rkCells))
        {
            var jOut = j.Outputs.Where(o => !IsFrontEndBootstrap(o)).ToList();
            Assert.True(jOut.Select(Describe).SequenceEqual(r.Outputs.Select(Describe)),
                $"cell '{j.Id}':\n jupyter: {string.Join(" | ", jOut.Select(Describe))}\n rk:      {string.Join(" | ", r.Outputs.Select(Describe))}");
        }
        Assert.Null(NbformatValidator.Validate(Path.Combine(tmp.Path, Path.GetFileName(path))));
    }

    /// <summary>The Jupyter front end's JavaScript bridge, which the kernel sends with the first cell's outputs under Jupyter only.</summary>
    private static bool IsFrontEndBootstrap(CellOutput output) =>
        output is DisplayDataOutput d && (d.Data.GetText("text/html") ?? "").Contains("dotnet-interactive-this-cell", StringComparison.Ordinal);

    /// <summary>
    /// An output's type, MIME types and content with volatile parts masked: timings, ids, the kernel's HTML style
    /// blocks, and the compiler's stderr (the tool and the in-process kernel reference different framework builds).
    /// </summary>
    private static string Describe(CellOutput output) => output switch
    {
        StreamOutput { Name: "stderr" } => "stream:stderr",
        StreamOutput s => "stream:" + s.Name + ":" + Mask(s.Text),
        DisplayDataOutput d => d.OutputType + "[" + string.Join(",", d.Data.MimeTypes.Order(StringComparer.Ordinal)) + "]:"
            + string.Join("|", d.Data.MimeTypes.Order(StringComparer.Ordinal).Select(m => Mask(MimeText(d.Data, m)))),
        ErrorOutput e => "error:" + e.EName,
        _ => output.OutputType,
    };

    /// <summary>
    /// JSON MIME types compared as JSON: not by how the writer escaped characters ('+' or \u002B), and parsed when
    /// stored as a JSON string (the Jupyter kernel sends the plotly figure as a string; rk nb run stores the object).
    /// </summary>
    private static string MimeText(MimeBundle data, string mime)
    {
        if (!MimeBundle.IsJsonMime(mime)) return data.GetText(mime) ?? "";
        var node = data.GetJson(mime);
        if (node is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var text)) node = System.Text.Json.Nodes.JsonNode.Parse(text);
        return System.Text.Json.JsonSerializer.Serialize(node, new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static string Mask(string text)
    {
        // The kernel's default tree view of an object lists every property, down to generated lambda names and
        // the kernel build's source paths: compare its summary line.
        if (text.StartsWith("<details open=\"open\" class=\"dni-treeview\">", StringComparison.Ordinal))
            text = Regex.Match(text, "<code>(.*?)</code>", RegexOptions.Singleline).Value;
        text = Regex.Replace(text, @"<style>.*?</style>", "", RegexOptions.Singleline);
        text = Regex.Replace(text, Regex.Escape(Path.GetTempPath().TrimEnd('/')) + @"/[^\s;]+", "<tmp>");
        text = Regex.Replace(text, @"\b\d+(\.\d+)?\s?(s|ms|min)\b", "<time>");
        text = Regex.Replace(text, @"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", "<id>");
        text = Regex.Replace(text, @"rk-fig-[A-Za-z0-9_-]*-\d+\b", "rk-fig-<n>");
        // Run ids (RunResult.Source) count the runs already in the store: the rk runs of all notebooks share the test
        // process' store, in whatever order the theory runs them, while each Jupyter run has its own.
        text = Regex.Replace(text, @"\brun \d+\b", "run <n>");
        // For the same reason a result's provenance ("from the store" or "trained") depends on which notebooks ran before
        // in that shared store (06 and B train the same CE members), and most Jupyter runs read the rk run's results; text
        // tables pad the column to its widest cell.
        text = Regex.Replace(text, @"\bfrom the store\b|\b(resumed and )?trained( in <time>)?", "<provenance>");
        text = Regex.Replace(text, @"(?<=\S) {2,}", " ");
        text = Regex.Replace(text, @"-{3,}", "---");
        return text.Replace("\r\n", "\n");
    }
}
