using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>Which cells a headless run sends to the C# kernel.</summary>
public static class CellCode
{
    private static readonly HashSet<string> CSharpNames = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#", "cs" };
    private static readonly HashSet<string> OtherKernels = new(StringComparer.OrdinalIgnoreCase)
        { "fsharp", "f#", "pwsh", "powershell", "javascript", "js", "html", "mermaid", "sql", "kql", "markdown", "md", "value", "http" };

    /// <summary>
    /// Whether the runner executes the cell: a code cell for the C# kernel (the default when the Polyglot metadata
    /// names none) that does not start with another kernel's selector (<c>#!fsharp</c>); the kit's kernel is C# only.
    /// </summary>
    /// <param name="cell">The cell.</param>
    public static bool IsCSharp(NotebookCell cell)
    {
        if (cell.Type != CellType.Code) return false;
        if (cell.KernelName is { } kernel && !CSharpNames.Contains(kernel)) return false;
        string? first = cell.Source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (first is null || !first.StartsWith("#!", StringComparison.Ordinal)) return true;
        int end = 2;
        while (end < first.Length && !char.IsWhiteSpace(first[end])) end++;
        return !OtherKernels.Contains(first[2..end]);
    }
}
