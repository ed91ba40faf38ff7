using ResearchKit.Tensors.Nn;

namespace ResearchKit.Pruning;

/// <summary>
/// Parameters pruned together towards one sparsity objective, e.g. all LSTM weight matrices with one global threshold.
/// Parameters are referenced by their dotted names (<see cref="Module.NamedParameters"/>), so a group applies to any
/// instance of the same architecture (a rewound or freshly initialized model).
/// </summary>
public sealed class PruningGroup
{
    /// <summary>Creates a group.</summary>
    /// <param name="name">Group name used in results and reports (e.g. "lstm").</param>
    /// <param name="parameterNames">Dotted parameter names (at least one, no duplicates).</param>
    /// <param name="objective">Sparsity objective in [0, 1] (fraction of the group's weights to prune).</param>
    /// <param name="scope">One threshold for the whole group, or one per tensor.</param>
    /// <exception cref="ArgumentException">Empty name or list, a duplicate name, or an objective outside [0, 1].</exception>
    public PruningGroup(string name, IEnumerable<string> parameterNames, double objective, ThresholdScope scope = ThresholdScope.Group)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parameterNames);
        var list = new List<string>(parameterNames);
        if (list.Count == 0) throw new ArgumentException($"PruningGroup '{name}': no parameters; list at least one parameter name (see model.NamedParameters()).", nameof(parameterNames));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in list)
            if (!seen.Add(p)) throw new ArgumentException($"PruningGroup '{name}': parameter '{p}' is listed twice; list each parameter once.", nameof(parameterNames));
        MagnitudePruning.CheckObjective(objective, $"PruningGroup '{name}'");
        Name = name;
        ParameterNames = list;
        Objective = objective;
        Scope = scope;
    }

    /// <summary>Group name.</summary>
    public string Name { get; }

    /// <summary>Dotted names of the group's parameters.</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Sparsity objective in [0, 1].</summary>
    public double Objective { get; }

    /// <summary>Whether the threshold is shared by the group or chosen per tensor.</summary>
    public ThresholdScope Scope { get; }

    /// <summary>The same group with another objective.</summary>
    public PruningGroup WithObjective(double objective) => new(Name, ParameterNames, objective, Scope);

    /// <summary>
    /// Selects the parameters of <paramref name="model"/> whose dotted names match any <paramref name="include"/>
    /// pattern and no <paramref name="exclude"/> pattern. Patterns are globs over the whole name: <c>*</c> matches any
    /// run of characters (dots included), <c>?</c> one character; e.g. <c>"*weight_ih_l*"</c>, <c>"encoder.weight"</c>.
    /// </summary>
    /// <param name="model">Model whose parameters are matched (tied parameters appear once, under their first name).</param>
    /// <param name="name">Group name.</param>
    /// <param name="objective">Sparsity objective in [0, 1].</param>
    /// <param name="include">Patterns selecting parameters; each must match at least one parameter.</param>
    /// <param name="exclude">Patterns removing parameters from the selection (optional).</param>
    /// <param name="scope">Threshold scope.</param>
    /// <exception cref="ArgumentException">A pattern matches nothing (typo), or the selection is empty.</exception>
    public static PruningGroup Match(Module model, string name, double objective, IEnumerable<string> include,
        IEnumerable<string>? exclude = null, ThresholdScope scope = ThresholdScope.Group)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(include);
        var inc = new List<string>(include);
        var exc = exclude is null ? new List<string>() : new List<string>(exclude);
        var names = new List<string>();
        foreach (var (n, _) in model.NamedParameters()) names.Add(n);
        foreach (var pattern in inc)
        {
            bool any = false;
            foreach (var n in names) any |= Glob(pattern, n);
            if (!any) throw new ArgumentException($"PruningGroup.Match '{name}': pattern '{pattern}' matches no parameter; the model has: {string.Join(", ", names)}.", nameof(include));
        }
        var selected = new List<string>();
        foreach (var n in names)
        {
            bool inSel = false, outSel = false;
            foreach (var p in inc) inSel |= Glob(p, n);
            foreach (var p in exc) outSel |= Glob(p, n);
            if (inSel && !outSel) selected.Add(n);
        }
        if (selected.Count == 0) throw new ArgumentException($"PruningGroup.Match '{name}': the exclude patterns removed every matched parameter; nothing left to prune.", nameof(exclude));
        return new PruningGroup(name, selected, objective, scope);
    }

    /// <summary>Glob match of a whole name: <c>*</c> any run (dots included), <c>?</c> one character.</summary>
    internal static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Objective:P1} of {ParameterNames.Count} tensor(s) ({Scope})";
}
