using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// papermill's parameter convention for C#: values given on the command line become <c>var name = value;</c>
/// lines in a cell tagged <c>injected-parameters</c>, inserted right after the cell tagged <c>parameters</c>, so
/// they override its defaults. Unlike papermill, each name must be declared there and each value is parsed as the
/// declared type, so mistakes fail before any cell runs. A cell injected by an earlier run is removed.
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
            return DoubleLiteral(d);
        if (v.Equals("true", StringComparison.OrdinalIgnoreCase)) return "true";
        if (v.Equals("false", StringComparison.OrdinalIgnoreCase)) return "false";
        return SymbolDisplay.FormatLiteral(raw, quote: true);
    }

    /// <summary>
    /// The C# literal of <paramref name="raw"/> as a value of <paramref name="type"/>, the type the parameters cell
    /// declares: string (surrounding double quotes dropped), bool, int, long, double, float or decimal (nullable
    /// forms too).
    /// </summary>
    /// <param name="name">The parameter, for the error message.</param>
    /// <param name="raw">The text after '='.</param>
    /// <param name="type">The declared C# type, as <see cref="Declared"/> reports it.</param>
    /// <exception cref="ArgumentException">The value is not of that type, or -p cannot set that type.</exception>
    public static string ToLiteral(string name, string raw, string type)
    {
        string v = raw.Trim();
        string baseType = type.TrimEnd('?');
        string? literal = baseType switch
        {
            "string" => SymbolDisplay.FormatLiteral(v.Length >= 2 && v[0] == '"' && v[^1] == '"' ? v[1..^1] : raw, quote: true),
            "bool" => v.Equals("true", StringComparison.OrdinalIgnoreCase) ? "true" : v.Equals("false", StringComparison.OrdinalIgnoreCase) ? "false" : null,
            "int" => IntegerPattern().IsMatch(v) && int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i)
                ? i.ToString(CultureInfo.InvariantCulture) : null,
            "long" => IntegerPattern().IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
                ? l.ToString(CultureInfo.InvariantCulture) + "L" : null,
            "double" => FloatPattern().IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
                ? DoubleLiteral(d) : null,
            "float" => FloatPattern().IsMatch(v) && float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f)
                ? f.ToString("R", CultureInfo.InvariantCulture) + "f" : null,
            "decimal" => FloatPattern().IsMatch(v) && decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal m)
                ? m.ToString(CultureInfo.InvariantCulture) + "m" : null,
            _ => throw new ArgumentException(
                $"-p {name}: the parameters cell declares {name} as {type}, which -p cannot set; it sets {string.Join(", ", SettableTypes)} parameters (declare {name} with one of them, e.g. `int {name} = 1;`)."),
        };
        return literal ?? throw new ArgumentException($"-p {name}={raw}: {name} is declared as {type} in the parameters cell; expected {Expected(baseType)}.");
    }

    /// <summary>The types <c>-p</c> values are parsed as.</summary>
    public static IReadOnlyList<string> SettableTypes { get; } = ["string", "bool", "int", "long", "double", "float", "decimal"];

    /// <summary>
    /// The variables the cell tagged <c>parameters</c> declares, in order, with their C# type: the declared one
    /// (<c>int seeds = 1;</c>), or for <c>var</c> the type of the literal it starts with (<c>var preset = "smoke";</c>
    /// is a string, <c>var lr = 0.1;</c> a double); <c>null</c> when a <c>var</c> is initialised by another expression.
    /// Empty when the notebook has no parameters cell.
    /// </summary>
    /// <param name="notebook">The notebook.</param>
    public static IReadOnlyList<KeyValuePair<string, string?>> Declared(Notebook notebook)
    {
        var declared = new List<KeyValuePair<string, string?>>();
        if (notebook.Cells.FirstOrDefault(c => c.HasTag(ParametersTag) && c.Type == CellType.Code) is not { } cell) return declared;
        // Notebook cells are script code: top-level declarations parse as fields or as local declarations.
        var root = CSharpSyntaxTree.ParseText(cell.Source, new CSharpParseOptions(kind: SourceCodeKind.Script)).GetCompilationUnitRoot();
        foreach (var member in root.Members)
        {
            var declaration = member switch
            {
                FieldDeclarationSyntax f => f.Declaration,
                GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax l } => l.Declaration,
                _ => null,
            };
            if (declaration is null) continue;
            foreach (var variable in declaration.Variables)
            {
                string? type = declaration.Type.IsVar ? LiteralType(variable.Initializer?.Value) : declaration.Type.ToString();
                declared.Add(new(variable.Identifier.ValueText, type));
            }
        }
        return declared;
    }

    /// <summary>The C# keyword of a literal's type (<c>-1.5</c> is a double), or null for other expressions.</summary>
    private static string? LiteralType(ExpressionSyntax? value) => value switch
    {
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression or (int)SyntaxKind.UnaryPlusExpression } u => LiteralType(u.Operand),
        ParenthesizedExpressionSyntax p => LiteralType(p.Expression),
        InterpolatedStringExpressionSyntax => "string",
        LiteralExpressionSyntax l => l.Kind() switch
        {
            SyntaxKind.StringLiteralExpression => "string",
            SyntaxKind.TrueLiteralExpression or SyntaxKind.FalseLiteralExpression => "bool",
            SyntaxKind.NumericLiteralExpression => l.Token.Value switch
            {
                int => "int", long => "long", double => "double", float => "float", decimal => "decimal",
                uint => "uint", ulong => "ulong", _ => null,
            },
            _ => null,
        },
        _ => null,
    };

    private static string Expected(string type) => type switch
    {
        "bool" => "true or false",
        "int" => $"a whole number (int, {int.MinValue} to {int.MaxValue})",
        "long" => "a whole number (long)",
        "double" => "a number (double), e.g. 0.5 or 1e-3",
        "float" => "a number (float), e.g. 0.5",
        "decimal" => "a number (decimal), e.g. 0.5",
        _ => type,
    };

    private static string DoubleLiteral(double d)
    {
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }

    /// <summary>
    /// Removes a previously injected cell and, when there are parameters, injects a new one. Every name must be
    /// declared by the cell tagged <c>parameters</c> and every value must parse as its declared type, so a mistyped
    /// or ill-typed parameter fails here, before any cell runs.
    /// </summary>
    /// <param name="notebook">The notebook (modified).</param>
    /// <param name="parameters">Name/raw value pairs; a <c>preset</c> from <paramref name="preset"/> comes first.</param>
    /// <param name="preset">smoke, quick or paper; <c>null</c> for none.</param>
    /// <returns>The injected cell, or <c>null</c> if nothing was injected.</returns>
    /// <exception cref="ArgumentException">Unknown preset, a name given twice, an invalid name, a name the
    /// parameters cell does not declare (the message lists those it does), or a value not of the declared type.</exception>
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

        var declared = Declared(notebook);
        var types = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, type) in declared) types[name] = type;
        var code = new StringBuilder("// Parameters injected by `rk nb run` (papermill convention): they override the cell tagged \"parameters\".\n");
        foreach (var (name, raw) in all)
        {
            string option = name == "preset" && preset is not null ? "--preset" : "-p " + name;
            if (!types.TryGetValue(name, out string? type))
                throw new ArgumentException(notebook.Cells.Any(c => c.HasTag(ParametersTag))
                    ? $"{option}: the notebook has no parameter '{name}'; its parameters cell declares {(declared.Count == 0 ? "none" : string.Join(", ", declared.Select(d => d.Key)))}."
                    : $"{option}: the notebook takes no parameters: none of its cells is tagged '{ParametersTag}' (tag the cell that declares the defaults, e.g. `var {name} = ...;`).");
            // A var initialised by an expression: its type is the kernel's to know, so the value's own literal goes in.
            code.Append("var ").Append(name).Append(" = ").Append(type is null ? ToLiteral(raw) : ToLiteral(name, raw, type)).Append(";\n");
        }
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
