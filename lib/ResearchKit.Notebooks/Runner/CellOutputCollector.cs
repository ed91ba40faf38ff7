using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Turns the kernel events of one cell into nbformat outputs the way the Jupyter kernel does: console writes
/// become <c>stream</c>s, <c>display(...)</c> <c>display_data</c>, the trailing value <c>execute_result</c>, and
/// <c>DisplayedValue.Update</c> replaces the displayed output with the same id (in any earlier cell, as nbclient
/// does). Events arrive on kernel threads while the cell runs, so the outputs list is locked.
/// </summary>
/// <param name="cell">The cell receiving outputs (cleared by the caller).</param>
/// <param name="displays">Displayed outputs of the whole run by value id, for updates from later cells.</param>
internal sealed partial class CellOutputCollector(NotebookCell cell, Dictionary<string, DisplayDataOutput> displays)
{
    private readonly Lock _lock = new();

    /// <summary>The lock held while outputs change (take it to read them from another thread).</summary>
    public Lock Sync => _lock;

    /// <summary>Records one kernel event.</summary>
    /// <param name="e">The event.</param>
    public void On(KernelEvent e)
    {
        lock (_lock)
        {
            switch (e)
            {
                case StandardOutputValueProduced o: AppendStream("stdout", o); break;
                case StandardErrorValueProduced o: AppendStream("stderr", o); break;
                case ErrorProduced o: AppendStream("stderr", o); break;
                // Jupyter's kernel prints compiler diagnostics (warnings too) on stderr.
                case DiagnosticsProduced d when d.FormattedDiagnostics.Count > 0:
                    AppendText("stderr", string.Concat(d.FormattedDiagnostics.Select(v => "\n" + v.Value + "\n")));
                    break;
                case ReturnValueProduced r when Bundle(r) is { } data:
                    cell.Outputs.Add(new ExecuteResultOutput(data, RichFormatter.Metadata(r.Value), cell.ExecutionCount));
                    break;
                case DisplayedValueProduced d when Bundle(d) is { } data:
                    var output = new DisplayDataOutput(data, RichFormatter.Metadata(d.Value));
                    cell.Outputs.Add(output);
                    if (!string.IsNullOrEmpty(d.ValueId)) displays[d.ValueId] = output;
                    break;
                case DisplayedValueUpdated u when Bundle(u) is { } data && u.ValueId is { } id && displays.TryGetValue(id, out var shown):
                    shown.Data = data;
                    shown.Metadata = RichFormatter.Metadata(u.Value);
                    break;
            }
        }
    }

    /// <summary>Adds an output (an error) under the lock.</summary>
    /// <param name="output">The output.</param>
    public void Add(CellOutput output)
    {
        lock (_lock) cell.Outputs.Add(output);
    }

    /// <summary>
    /// The error output of a failed submission: the exception's type (or <c>CompilationError</c>) and message. A
    /// missing <c>#r</c> file (CS0006) gets a message saying which path was looked up and why.
    /// </summary>
    /// <param name="failed">The kernel's failure event.</param>
    /// <param name="cellName">"cell 3 (id 'x')" for the traceback.</param>
    /// <param name="cellSource">The cell's code, for its <c>#r</c> paths; null to skip that explanation.</param>
    /// <param name="notebookDirectory">The folder <c>#r</c> paths resolve against.</param>
    public static ErrorOutput Error(CommandFailed failed, string cellName, string? cellSource = null, string? notebookDirectory = null)
    {
        var exception = failed.Exception;
        string ename = exception is null or CodeSubmissionCompilationErrorException
            ? CompilationErrorName
            : exception.GetType().FullName ?? exception.GetType().Name;
        string message = exception is null or CodeSubmissionCompilationErrorException ? failed.Message : exception.Message;
        if (message.Contains("error CS0006", StringComparison.Ordinal))
        {
            string? missing = cellSource is null || notebookDirectory is null ? null : MissingReferences(cellSource, notebookDirectory);
            message = missing ?? message + " (#r paths are relative to the notebook's folder)";
        }
        var traceback = new List<string> { $"{ename}: {message}", $"   (raised in {cellName})" };
        if (exception is not null and not CodeSubmissionCompilationErrorException)
        {
            // Frames of the scripting and async plumbing say nothing about the notebook.
            traceback.AddRange((exception.StackTrace ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0
                && !l.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal)
                && !l.Contains("System.Runtime.CompilerServices", StringComparison.Ordinal)
                && !l.Contains("System.Runtime.ExceptionServices", StringComparison.Ordinal)
                && !l.StartsWith("--- End of stack trace", StringComparison.Ordinal)));
            for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
                traceback.Add($" ---> {inner.GetType().FullName}: {inner.Message}");
        }
        return new ErrorOutput(ename, message, traceback);
    }

    /// <summary>
    /// Explains each <c>#r "path"</c> of the cell whose file does not exist: the path as resolved against the
    /// notebook's folder, and the likely fix. The kernel's own CS0006 says only that a metadata file "could not be
    /// found", which reads like an unbuilt kit even when the notebook merely moved away from notebooks/.
    /// </summary>
    /// <returns>The explanation, or null when every <c>#r</c> file exists.</returns>
    internal static string? MissingReferences(string cellSource, string notebookDirectory)
    {
        var lines = new List<string>();
        foreach (Match m in HashR().Matches(cellSource))
        {
            string path = m.Groups[1].Value;
            string resolved = Path.GetFullPath(Path.Combine(notebookDirectory, path));
            if (File.Exists(resolved)) continue;
            // A path into a project's bin folder whose project folder exists: the path is right and the build is missing.
            int bin = resolved.LastIndexOf($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
            string? project = bin > 0 ? resolved[..bin] : null;
            string fix = project is not null && Directory.Exists(project) && File.Exists(Path.Combine(project, Path.GetFileName(project) + ".csproj"))
                ? $"the project folder {project} exists but this build output does not: build it, e.g. dotnet build {project}"
                : "keep the notebook in the repository's notebooks/ folder, or change the #r path to point at the built dll from the notebook's folder (an absolute path also works)";
            lines.Add($"#r \"{path}\": no file at {resolved}. #r paths are relative to the notebook's folder ({notebookDirectory}); {fix}.");
        }
        return lines.Count == 0 ? null : string.Join("\n", lines);
    }

    [GeneratedRegex(@"^\s*#r\s+""(?!nuget:)([^""]+)""", RegexOptions.Multiline)]
    private static partial Regex HashR();

    /// <summary>The <c>ename</c> of a compile error or an unknown magic command.</summary>
    public const string CompilationErrorName = "CompilationError";

    private void AppendStream(string stream, DisplayEvent e)
    {
        AppendText(stream, e.FormattedValues.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value
                           ?? e.FormattedValues.FirstOrDefault()?.Value ?? "");
    }

    private void AppendText(string stream, string text)
    {
        if (text.Length == 0) return;
        if (cell.Outputs.Count > 0 && cell.Outputs[^1] is StreamOutput last && last.Name == stream) last.Text += text;
        else cell.Outputs.Add(new StreamOutput(stream, text));
    }

    private static MimeBundle? Bundle(DisplayEvent e)
    {
        var data = new MimeBundle();
        foreach (var value in e.FormattedValues)
        {
            if (!value.SuppressDisplay) data.Set(value.MimeType, value.Value);
        }
        return data.Count == 0 ? null : data;
    }
}
