using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// papermill's parameter convention for C#: values given on the command line become <c>var name = value;</c>
/// lines in a cell tagged <c>injected-parameters</c>, inserted right after the cell tagged <c>parameters</c>
/// (or at the top when there is none), so they override its defaults. A cell injected by an earlier run is removed.
/// </summary>
public static partial class NotebookParameters
{
    /// <summary>Tag of the cell holding the defaults.</summary>
    public const string ParametersTag = "parameters";

    /// <summary>Tag of the injected cell.</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>The presets <c>--preset</c> accepts, from fastest to full size.</summary>
    public static IReadOnlyList<string> Presets { get; } = ["smoke", "quick", "paper"];

    /// <summary>Parses <c>name=value</c>.</summary>
    /// <param name="assignment">Text from <c>-p</c>.</param>
    /// <exception cref="ArgumentException">No '=' or the name is not a C# identifier.</exception>
    public static KeyValuePair<string, string> Parse(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"-p '{assignment}': expected name=value, e.g. -p epochs=3.");
        string name = assignment[..eq].Trim();
        if (!SyntaxFacts.IsValidIdentifier(name) || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
            throw new ArgumentException($"-p '{assignment}': '{name}' is not a valid C# variable name.");
        return new(name, assignment[(eq + 1)..]);
    }

    /// <summary>
    /// The C# literal for a command-line value: int (long if large), double, bool, else a string. A value in double
    /// quotes is always a string (<c>-p tag='"42"'</c>).
    /// </summary>
    /// <param name="raw">The text after '='.</param>
    public static string ToLiteral(string raw)
    {
        string v = raw.Trim();
        if (v.Length >= 2 && v[0] == '"' && v[^1] == '"') return SymbolDisplay.FormatLiteral(v[1..^1], quote: true);
        if (IntegerPattern().IsMatch(v))
        {
            if (int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) return v.TrimStart('+');
            if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) return v.TrimStart('+') + "L";
        }
        if (FloatPattern().IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
        {
            string s = d.ToString("R", CultureInfo.InvariantCulture);
            return s.Contains('.') || s.Contains('E') ? s : s + ".0";
        }
        if (v.Equals("true", StringComparison.OrdinalIgnoreCase)) return "true";
        if (v.Equals("false", StringComparison.OrdinalIgnoreCase)) return "false";
        return SymbolDisplay.FormatLiteral(raw, quote: true);
    }

    /// <summary>
    /// Removes a previously injected cell and, when there are parameters, injects a new one.
    /// </summary>
    /// <param name="notebook">The notebook (modified).</param>
    /// <param name="parameters">Name/raw value pairs; a <c>preset</c> from <paramref name="preset"/> comes first.</param>
    /// <param name="preset">smoke, quick or paper; <c>null</c> for none.</param>
    /// <returns>The injected cell, or <c>null</c> if nothing was injected.</returns>
    /// <exception cref="ArgumentException">Unknown preset, a name given twice, or an invalid name.</exception>
    public static NotebookCell? Inject(Notebook notebook, IEnumerable<KeyValuePair<string, string>> parameters, string? preset = null)
    {
        var all = new List<KeyValuePair<string, string>>();
        if (preset is not null)
        {
            if (!Presets.Contains(preset)) throw new ArgumentException($"--preset '{preset}': expected one of {string.Join(", ", Presets)}.");
            all.Add(new("preset", preset));
        }
        var seen = new HashSet<string>(all.Select(p => p.Key), StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            Parse(p.Key + "=" + p.Value); // validates the name
            if (!seen.Add(p.Key))
                throw new ArgumentException(p.Key == "preset" && preset is not null
                    ? "the preset is given both by --preset and by -p preset=...; give it once."
                    : $"-p {p.Key}: the parameter is given twice.");
            all.Add(p);
        }

        notebook.Cells.RemoveAll(c => c.HasTag(InjectedTag));
        if (all.Count == 0) return null;

        var code = new StringBuilder("// Parameters injected by `rk nb run` (papermill convention): they override the cell tagged \"parameters\".\n");
        foreach (var (name, raw) in all) code.Append("var ").Append(name).Append(" = ").Append(ToLiteral(raw)).Append(";\n");
        var ids = notebook.Cells.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        // A fixed id (papermill draws a random one) keeps executed notebooks byte-stable from run to run.
        string id = ids.Contains(InjectedTag) ? CellId.New(ids) : InjectedTag;
        var cell = new NotebookCell(CellType.Code, code.ToString().TrimEnd('\n'), id) { Metadata = PolyglotMetadata.CodeCell() };
        cell.AddTag(InjectedTag);
        int at = notebook.Cells.FindIndex(c => c.HasTag(ParametersTag));
        notebook.Cells.Insert(at + 1, cell);
        return cell;
    }

    [GeneratedRegex(@"^[+-]?\d+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")]
    private static partial Regex FloatPattern();
}
