using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// What the runner does with a cell's text before Roslyn sees it: decide whether it is C# at all (Polyglot kernel
/// metadata or a leading <c>#!fsharp</c>-style magic), blank out <c>#!csharp</c>/<c>#!c#</c>/<c>#!time</c> magic
/// lines (blanked, not removed, so line numbers in diagnostics still match the cell), and find a trailing
/// expression (one without a semicolon) whose value becomes the cell's <c>execute_result</c>.
/// </summary>
public static class CellCode
{
    private static readonly HashSet<string> CSharpNames = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#", "cs" };
    private static readonly HashSet<string> IgnoredMagics = new(StringComparer.OrdinalIgnoreCase) { "csharp", "c#", "time" };

    /// <summary>Parse options of a C# script submission (latest language version).</summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>Whether the runner executes the cell: a code cell for the C# kernel (the default kernel when unset).</summary>
    /// <param name="cell">The cell.</param>
    public static bool IsCSharp(NotebookCell cell)
    {
        if (cell.Type != CellType.Code) return false;
        if (cell.KernelName is { } kernel && !CSharpNames.Contains(kernel)) return false;
        string? magic = FirstMagic(cell.Source);
        return magic is null || CSharpNames.Contains(magic) || IgnoredMagics.Contains(magic);
    }

    /// <summary>
    /// The code to submit: magic lines the runner understands are blanked; any other <c>#!</c> magic raises.
    /// </summary>
    /// <param name="source">The cell source.</param>
    /// <exception cref="NotSupportedException">A Polyglot magic command the headless runner does not implement.</exception>
    public static string Prepare(string source)
    {
        var lines = source.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string t = lines[i].Trim();
            if (!t.StartsWith("#!", StringComparison.Ordinal)) continue;
            string name = MagicName(t);
            if (!IgnoredMagics.Contains(name))
                throw new NotSupportedException($"line {i + 1}: the magic command '#!{name}' is not supported by the headless runner (only #!csharp, #!c# and #!time are); remove it or move it to a cell the runner does not execute.");
            lines[i] = lines[i].EndsWith('\r') ? "\r" : "";
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// The trailing expression of a submission (an expression statement without its semicolon, the last member),
    /// or <c>null</c>. Syntactic: <c>Script.HasReturnValue</c> is internal in Roslyn.
    /// </summary>
    /// <param name="tree">The submission's syntax tree.</param>
    public static ExpressionSyntax? TrailingExpression(SyntaxTree tree)
    {
        var root = (CompilationUnitSyntax)tree.GetRoot();
        return root.Members.LastOrDefault() is GlobalStatementSyntax { Statement: ExpressionStatementSyntax es } && es.SemicolonToken.IsMissing
            ? es.Expression
            : null;
    }

    /// <summary>Whether <paramref name="code"/> ends with a trailing expression (syntax only; a void call still counts).</summary>
    /// <param name="code">Submission code.</param>
    public static bool HasTrailingExpression(string code) => TrailingExpression(SyntaxFactory.ParseSyntaxTree(code, ParseOptions)) is not null;

    /// <summary>
    /// Whether the executed submission produced a value: it has a trailing expression whose type is not void
    /// (checked with the submission's semantic model, so <c>Console.WriteLine("x")</c> without a semicolon has none).
    /// </summary>
    /// <param name="compilation">The submission's compilation.</param>
    public static bool ProducesValue(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.LastOrDefault();
        if (tree is null || TrailingExpression(tree) is not { } expr) return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(expr).Type;
        return type is null || type.SpecialType != SpecialType.System_Void;
    }

    private static string? FirstMagic(string source)
    {
        foreach (var raw in source.Split('\n'))
        {
            string t = raw.Trim();
            if (t.Length == 0) continue;
            return t.StartsWith("#!", StringComparison.Ordinal) ? MagicName(t) : null;
        }
        return null;
    }

    private static string MagicName(string trimmedLine)
    {
        int end = 2;
        while (end < trimmedLine.Length && !char.IsWhiteSpace(trimmedLine[end])) end++;
        return trimmedLine[2..end];
    }
}
