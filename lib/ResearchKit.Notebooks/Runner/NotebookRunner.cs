using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Executes a notebook's C# cells in order with the .NET Interactive C# kernel (the engine behind Jupyter's
/// <c>.net-csharp</c> kernel and Polyglot Notebooks), in process. What the kernel does not do is added here:
/// papermill-style parameters, one dedicated thread for all cells, a per-cell timeout that cancels the cell,
/// the executed notebook saved atomically after each cell, and papermill's stop at the first failing cell (later
/// cells keep no outputs and are marked <c>metadata.researchkit.status = "not-executed"</c>).
/// </summary>
/// <remarks>
/// Runs in one process are serialized: the working directory (the notebook's folder, as Jupyter starts its kernel
/// there, so relative <c>#r</c> and file paths resolve alike), the formatters and the console redirection are
/// process-wide.
/// </remarks>
/// <param name="options">Run options (parameters, preset, timeout, output path, log).</param>
public sealed class NotebookRunner(NotebookRunOptions? options = null)
{
    private static readonly SemaphoreSlim s_oneRunAtATime = new(1, 1);
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(5);

    private readonly NotebookRunOptions _options = options ?? new NotebookRunOptions();

    /// <summary>Reads, runs and returns the notebook at <paramref name="path"/> (relative paths against its folder).</summary>
    /// <param name="path">The .ipynb path.</param>
    /// <param name="cancellationToken">Ctrl-C: cancels the running cell and ends the run (<see cref="NotebookRunResult.Interrupted"/>).</param>
    public async Task<(Notebook Notebook, NotebookRunResult Result)> RunFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var notebook = Notebook.Load(path);
        var result = await RunAsync(notebook, Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path), cancellationToken);
        return (notebook, result);
    }

    /// <summary>Runs <paramref name="notebook"/> in place: injects parameters, executes cells, writes outputs into the cells.</summary>
    /// <param name="notebook">The notebook (modified).</param>
    /// <param name="notebookDirectory">The kernel's working directory: relative <c>#r</c> and file paths resolve against it.</param>
    /// <param name="notebookName">Name used in tracebacks and logs.</param>
    /// <param name="cancellationToken">Ctrl-C: cancels the running cell and ends the run (<see cref="NotebookRunResult.Interrupted"/>).</param>
    public async Task<NotebookRunResult> RunAsync(Notebook notebook, string notebookDirectory, string notebookName = "notebook.ipynb", CancellationToken cancellationToken = default)
    {
        NotebookParameters.Inject(notebook, _options.Parameters, _options.Preset);
        string directory = Path.GetFullPath(notebookDirectory);
        await s_oneRunAtATime.WaitAsync(cancellationToken);
        string previousDirectory = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = directory;
            return await RunCellsAsync(notebook, notebookName, directory, cancellationToken);
        }
        finally
        {
            Environment.CurrentDirectory = previousDirectory;
            s_oneRunAtATime.Release();
        }
    }

    private async Task<NotebookRunResult> RunCellsAsync(Notebook notebook, string notebookName, string notebookDirectory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var cellThread = new CellThread("notebook " + notebookName);
        using var kernel = NotebookKernel.Create(cellThread);
        var displays = new Dictionary<string, DisplayDataOutput>(StringComparer.Ordinal);
        int count = 0, executed = 0;
        foreach (var cell in notebook.Cells) ClearRunStatus(cell);
        Save(notebook);

        for (int index = 0; index < notebook.Cells.Count; index++)
        {
            var cell = notebook.Cells[index];
            if (!CellCode.IsCSharp(cell)) continue;
            cell.Outputs.Clear();
            cell.ExecutionCount = ++count;
            executed++;
            string cellName = $"cell {index + 1} (id '{cell.Id}')";
            var collector = new CellOutputCollector(cell, displays);
            var cellClock = Stopwatch.StartNew();
            string? failure = null;
            bool interrupted = false;

            var submit = new SubmitCode(cell.Source);
            Task<KernelCommandResult> send;
            using (kernel.KernelEvents.Subscribe(collector.On))
            {
                send = kernel.SendAsync(submit, CancellationToken.None);
                try
                {
                    var result = _options.CellTimeout is { } limit
                        ? await send.WaitAsync(limit, cancellationToken)
                        : await send.WaitAsync(cancellationToken);
                    if (result.Events.OfType<CommandFailed>().FirstOrDefault() is { } failed)
                    {
                        var error = CellOutputCollector.Error(failed, $"{notebookName} {cellName}", cell.Source, notebookDirectory);
                        collector.Add(error);
                        failure = $"{error.EName}: {error.EValue.Split('\n')[0]}";
                    }
                }
                catch (TimeoutException)
                {
                    string limitText = $"{_options.CellTimeout!.Value.TotalSeconds:0.###} s";
                    bool stopped = await StopCellAsync(kernel, cellThread, send);
                    collector.Add(new ErrorOutput("TimeoutException", $"the cell ran longer than the {limitText} limit and was cancelled",
                        [$"{notebookName} {cellName} timed out after {limitText}"]));
                    failure = $"timed out after {limitText}" + (stopped ? "" : " (the cell does not block or observe cancellation: it could not be stopped)");
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    await StopCellAsync(kernel, cellThread, send);
                    collector.Add(new ErrorOutput("Interrupted", "the run was interrupted (Ctrl-C) while this cell ran", [$"{notebookName} {cellName} interrupted"]));
                    failure = "interrupted";
                    interrupted = true;
                }
            }

            if (failure is null)
            {
                Log($"{cellName} [{count}] ok {cellClock.Elapsed.TotalSeconds:0.00} s");
                Save(notebook);
                continue;
            }
            Log($"{(interrupted ? "INTERRUPTED" : "FAILED")} {cellName} [{count}] after {cellClock.Elapsed.TotalSeconds:0.00} s: {failure}");
            SetStatus(cell, interrupted ? "interrupted" : "failed");
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
            Save(notebook);
            return new NotebookRunResult
            {
                ExecutedCells = executed,
                FailedCellIndex = index,
                FailedCellId = cell.Id,
                Error = $"{cellName}: {failure}",
                Elapsed = clock.Elapsed,
                Interrupted = interrupted,
            };
        }
        Log($"{executed} code cell(s) executed in {clock.Elapsed.TotalSeconds:0.00} s");
        return new NotebookRunResult { ExecutedCells = executed, Elapsed = clock.Elapsed };
    }

    /// <summary>
    /// Cancels the running submission as a front end's interrupt does (<see cref="Cancel"/>), then interrupts the
    /// cell thread, which stops code blocked in Sleep/Wait/Join. Returns whether the cell's code has ended.
    /// </summary>
    private static async Task<bool> StopCellAsync(Kernel kernel, CellThread cellThread, Task send)
    {
        try { await kernel.SendAsync(new Cancel()).WaitAsync(s_stopGrace); }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or ObjectDisposedException) { }
        cellThread.Interrupt();
        try { await send.WaitAsync(s_stopGrace); }
        catch (Exception) { /* the command's own outcome no longer matters: the cell failed */ }
        return await cellThread.WaitIdleAsync(s_stopGrace);
    }

    /// <summary>Writes the notebook to <see cref="NotebookRunOptions.OutputPath"/> through a temporary file, so a reader never sees half a file.</summary>
    private void Save(Notebook notebook)
    {
        if (_options.OutputPath is not { } path) return;
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, notebook.ToJson(), new UTF8Encoding(false));
        File.Move(temp, full, overwrite: true);
    }

    private void Log(string line) => _options.Log?.WriteLine("nb: " + line);

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
