using System.Reflection;
using Microsoft.CodeAnalysis;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>Builds <c>error</c> outputs for compile errors (cell-relative line numbers) and exceptions.</summary>
internal static class CellErrors
{
    /// <summary>The <c>ename</c> of a compile error.</summary>
    public const string CompilationErrorName = "CompilationError";

    /// <summary>
    /// An error output listing the error diagnostics. Each cell is its own submission, so Roslyn's line numbers are
    /// already relative to the cell; magic lines were blanked, not removed, so they still match.
    /// </summary>
    public static ErrorOutput FromDiagnostics(IEnumerable<Diagnostic> diagnostics, string code, string cellName)
    {
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var lines = code.Split('\n');
        var traceback = new List<string>();
        var summary = new List<string>();
        foreach (var d in errors)
        {
            var pos = d.Location.IsInSource ? d.Location.GetLineSpan().StartLinePosition : default;
            string where = d.Location.IsInSource ? $"line {pos.Line + 1}, column {pos.Character + 1}" : "cell";
            string message = d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
            if (d.Id == "CS0006" && message.Contains("nuget:", StringComparison.OrdinalIgnoreCase))
                message += " (the headless runner does not restore NuGet packages: build the library and #r its dll by a path relative to the notebook)";
            else if (d.Id == "CS0006")
                message += " (paths in #r are relative to the notebook's folder; build the kit first: dotnet build -c Release lib/ResearchKit.Notebooks)";
            summary.Add($"{where}: error {d.Id}: {message}");
            traceback.Add($"{cellName}, {where}: error {d.Id}: {message}");
            if (d.Location.IsInSource && pos.Line < lines.Length)
            {
                string src = lines[pos.Line].TrimEnd('\r');
                traceback.Add("    " + src);
                traceback.Add("    " + new string(' ', Math.Min(pos.Character, src.Length)) + "^");
            }
        }
        if (errors.Count == 0) summary.Add("compilation failed");
        return new ErrorOutput(CompilationErrorName, string.Join("\n", summary), traceback);
    }

    /// <summary>An error output for an exception thrown by cell code: type, message, and the user-code stack.</summary>
    public static ErrorOutput FromException(Exception exception, string cellName)
    {
        while (exception is TargetInvocationException { InnerException: { } inner }) exception = inner;
        if (exception is AggregateException { InnerExceptions.Count: 1 } agg) exception = agg.InnerExceptions[0];
        string ename = exception.GetType().FullName ?? exception.GetType().Name;
        var traceback = new List<string> { $"{ename}: {exception.Message}", $"   (raised in {cellName})" };
        foreach (var line in (exception.StackTrace ?? "").Split('\n'))
        {
            string l = line.TrimEnd('\r');
            // Scripting and async plumbing frames say nothing about the notebook.
            if (l.Length == 0 || l.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal)
                || l.Contains("System.Runtime.CompilerServices", StringComparison.Ordinal)
                || l.Contains("System.Runtime.ExceptionServices", StringComparison.Ordinal)
                || l.StartsWith("--- End of stack trace", StringComparison.Ordinal)) continue;
            traceback.Add(l);
        }
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
            traceback.Add($" ---> {inner.GetType().FullName}: {inner.Message}");
        return new ErrorOutput(ename, exception.Message, traceback);
    }
}
