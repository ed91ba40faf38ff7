using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Executes a notebook's C# cells in order with Roslyn scripting, the way the Polyglot C# kernel does: one
/// continuing script state (variables persist across cells), the kernel's default usings, <c>#r</c> relative to
/// the notebook's folder, a <c>display(...)</c> global, trailing-expression values as <c>execute_result</c>,
/// console output as <c>stream</c> outputs. Stops at the first failing cell (like papermill), leaving later cells
/// without outputs and marked <c>metadata.researchkit.status = "not-executed"</c>.
/// </summary>
/// <param name="options">Run options (parameters, preset, timeout, log).</param>
public sealed class NotebookRunner(NotebookRunOptions? options = null)
{
    /// <summary>The Polyglot C# kernel's default usings (Microsoft.DotNet.Interactive.CSharp.CSharpKernel).</summary>
    public static IReadOnlyList<string> DefaultImports { get; } =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"];

    private readonly NotebookRunOptions _options = options ?? new NotebookRunOptions();

    /// <summary>Reads, runs and returns the notebook at <paramref name="path"/> (relative <c>#r</c> against its folder).</summary>
    /// <param name="path">The .ipynb path.</param>
    /// <param name="cancellationToken">Stops before the next cell.</param>
    public async Task<(Notebook Notebook, NotebookRunResult Result)> RunFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var notebook = Notebook.Load(path);
        var result = await RunAsync(notebook, Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path), cancellationToken);
        return (notebook, result);
    }

    /// <summary>Runs <paramref name="notebook"/> in place: injects parameters, executes cells, writes outputs into the cells.</summary>
    /// <param name="notebook">The notebook (modified).</param>
    /// <param name="notebookDirectory">The folder relative <c>#r</c> paths are resolved against.</param>
    /// <param name="notebookName">Name used in stack traces and logs.</param>
    /// <param name="cancellationToken">Stops before the next cell.</param>
    public async Task<NotebookRunResult> RunAsync(Notebook notebook, string notebookDirectory, string notebookName = "notebook.ipynb", CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        NotebookParameters.Inject(notebook, _options.Parameters, _options.Preset);
        ConsoleCapture.EnsureInstalled();

        var globals = new NotebookGlobals();
        var kit = KitAssemblies();
        var scriptOptions = ScriptOptions.Default
            .WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest)
            .WithImports(DefaultImports)
            .AddReferences(typeof(object).Assembly, typeof(Enumerable).Assembly, typeof(List<>).Assembly, typeof(Console).Assembly)
            .AddReferences(kit)
            .WithMetadataResolver(new KitReferenceResolver(notebookDirectory, kit, Log))
            .WithSourceResolver(new SourceFileResolver([], notebookDirectory))
            .WithEmitDebugInformation(true)
            .WithFileEncoding(System.Text.Encoding.UTF8);

        ScriptState<object>? state = null;
        int count = 0, executed = 0;
        foreach (var cell in notebook.Cells) ClearRunStatus(cell);

        for (int index = 0; index < notebook.Cells.Count; index++)
        {
            var cell = notebook.Cells[index];
            if (!CellCode.IsCSharp(cell)) continue;
            cancellationToken.ThrowIfCancellationRequested();
            cell.Outputs.Clear();
            cell.ExecutionCount = ++count;
            executed++;
            string cellName = $"cell {index + 1} (id '{cell.Id}')";
            var sink = new OutputSink(cell.Outputs);
            var cellClock = Stopwatch.StartNew();
            string? failure = null;
            try
            {
                string code = CellCode.Prepare(cell.Source);
                // Line numbers in stack traces then point into the cell: "<notebook>#cell3:line 2".
                var cellOptions = scriptOptions.WithFilePath(Path.Combine(notebookDirectory, $"{notebookName}#cell{index + 1}"));
                state ??= await CSharpScript.RunAsync("", scriptOptions, globals, typeof(NotebookGlobals), cancellationToken);
                var previous = state;
                var next = await ExecuteAsync(previous, code, cellOptions, globals, sink, cancellationToken);
                if (next.Exception is { } ex)
                {
                    sink.Add(CellErrors.FromException(ex, $"{notebookName} {cellName}"));
                    failure = $"{ex.GetType().FullName}: {ex.Message}";
                }
                else
                {
                    state = next;
                    if (CellCode.ProducesValue(next.Script.GetCompilation()) && next.ReturnValue is not DisplayedValue)
                    {
                        var (data, metadata) = RichFormatter.Format(next.ReturnValue);
                        sink.Add(new ExecuteResultOutput(data, metadata, cell.ExecutionCount));
                    }
                }
            }
            catch (CompilationErrorException e)
            {
                var error = CellErrors.FromDiagnostics(e.Diagnostics, SafePrepare(cell.Source), $"{notebookName} {cellName}");
                sink.Add(error);
                failure = "compile error: " + error.EValue.Split('\n')[0];
            }
            catch (TimeoutException)
            {
                sink.Add(new ErrorOutput("TimeoutException", $"the cell ran longer than the {_options.CellTimeout!.Value.TotalSeconds:0.###} s limit", [$"{notebookName} {cellName} timed out"]));
                failure = $"timed out after {_options.CellTimeout!.Value.TotalSeconds:0.###} s";
            }
            catch (NotSupportedException e)
            {
                sink.Add(new ErrorOutput("NotSupportedException", e.Message, [$"{notebookName} {cellName}: {e.Message}"]));
                failure = e.Message;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Roslyn itself can fail on some inputs (an internal compiler error): still a failed cell, not a crash.
                sink.Add(CellErrors.FromException(e, $"{notebookName} {cellName} (while compiling)"));
                failure = $"{e.GetType().FullName}: {e.Message}";
            }
            finally
            {
                sink.Close();
            }

            if (failure is null)
            {
                Log($"{cellName} [{count}] ok {cellClock.Elapsed.TotalSeconds:0.00} s");
                continue;
            }
            Log($"FAILED {cellName} [{count}] after {cellClock.Elapsed.TotalSeconds:0.00} s: {failure}");
            SetStatus(cell, "failed");
            int skipped = 0;
            for (int j = index + 1; j < notebook.Cells.Count; j++)
            {
                var later = notebook.Cells[j];
                if (!CellCode.IsCSharp(later)) continue;
                later.Outputs.Clear();
                later.ExecutionCount = null;
                SetStatus(later, "not-executed");
                skipped++;
            }
            if (skipped > 0) Log($"{skipped} later code cell(s) not executed");
            return new NotebookRunResult
            {
                ExecutedCells = executed,
                FailedCellIndex = index,
                FailedCellId = cell.Id,
                Error = $"{cellName}: {failure}",
                Elapsed = clock.Elapsed,
            };
        }
        Log($"{executed} code cell(s) executed in {clock.Elapsed.TotalSeconds:0.00} s");
        return new NotebookRunResult { ExecutedCells = executed, Elapsed = clock.Elapsed };
    }

    private async Task<ScriptState<object>> ExecuteAsync(ScriptState<object> state, string code, ScriptOptions options, NotebookGlobals globals, OutputSink sink, CancellationToken cancellationToken)
    {
        // A worker task so a timeout can abandon a runaway cell; console capture follows it through AsyncLocal.
        var task = Task.Run(async () =>
        {
            ConsoleCapture.Current = sink;
            globals.Sink = sink;
            try
            {
                return await state.ContinueWithAsync(code, options, catchException: _ => true, cancellationToken);
            }
            finally
            {
                await Console.Out.FlushAsync(CancellationToken.None);
                globals.Sink = null;
                ConsoleCapture.Current = null;
            }
        }, cancellationToken);
        return _options.CellTimeout is { } limit ? await task.WaitAsync(limit, cancellationToken) : await task;
    }

    private static string SafePrepare(string source)
    {
        try { return CellCode.Prepare(source); }
        catch (NotSupportedException) { return source; }
    }

    private void Log(string line) => _options.Log?.WriteLine("nb: " + line);

    /// <summary>Libraries in the kit's public API (results are Deedle frames, statistics come from MathNet).</summary>
    private static readonly string[] KitApiLibraries = ["Deedle", "MathNet.Numerics"];

    /// <summary>
    /// The kit assemblies cells see without <c>#r</c>; a <c>#r</c> to one of them binds to this copy. The libraries of
    /// the kit's API count too: a second copy of Deedle loaded from a <c>#r</c> path would make the kit's frames
    /// another type than the cell's.
    /// </summary>
    private static Assembly[] KitAssemblies()
    {
        var list = new List<Assembly> { typeof(NotebookRunner).Assembly, typeof(ResearchKit.Display.IRichDisplay).Assembly };
        // Figures are Plotly.NET charts: cells build and style them with its API (F# optional parameters need
        // FSharp.Core, chart objects DynamicObj), and displayed charts must be this process's GenericChart type.
        list.AddRange([typeof(Plotly.NET.GenericChart).Assembly, typeof(Plotly.NET.CSharp.Chart).Assembly,
            typeof(Microsoft.FSharp.Core.FSharpOption<>).Assembly, typeof(DynamicObj.DynamicObj).Assembly]);
        foreach (var name in typeof(ResearchKit.Display.IRichDisplay).Assembly.GetReferencedAssemblies())
        {
            if (name.Name?.StartsWith("ResearchKit", StringComparison.Ordinal) == true || KitApiLibraries.Contains(name.Name)) list.Add(Assembly.Load(name));
        }
        return list.Distinct().ToArray();
    }

    private static void ClearRunStatus(NotebookCell cell)
    {
        if (cell.Metadata["researchkit"] is JsonObject rk)
        {
            rk.Remove("status");
            if (rk.Count == 0) cell.Metadata.Remove("researchkit");
        }
    }

    private static void SetStatus(NotebookCell cell, string status)
    {
        if (cell.Metadata["researchkit"] is not JsonObject rk) cell.Metadata["researchkit"] = rk = new JsonObject();
        rk["status"] = status;
    }
}
