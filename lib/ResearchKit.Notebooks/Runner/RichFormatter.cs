using System.Reflection;
using System.Text.Json.Nodes;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// What the kernel's formatters do not give: the output metadata <c>researchkit = {name, kind, exports}</c> of a
/// displayed kit object, which <c>rk nb export</c> and the HTML report use for file names and table exports (CSV,
/// LaTeX). Kit objects implement <c>ResearchKit.Display.IRichDisplay</c>; the interface is found by name so that
/// a copy of the kit loaded by a notebook's <c>#r</c> (another load context) still counts. Plotly.NET charts carry their figure name in <c>layout.meta</c>.
/// </summary>
public static class RichFormatter
{
    /// <summary>The plotly MIME type.</summary>
    public const string PlotlyMime = "application/vnd.plotly.v1+json";

    /// <summary>Full name of the kit's display interface.</summary>
    public const string RichDisplayInterface = "ResearchKit.Display.IRichDisplay";

    /// <summary>The output metadata of a displayed value: empty unless it is a named kit object or has exports.</summary>
    /// <param name="value">The displayed value (may be null).</param>
    public static JsonObject Metadata(object? value)
    {
        var metadata = new JsonObject();
        if (value is null || RichBundle(value) is not { } bundle) return metadata;
        var exports = new JsonObject();
        if (bundle.TryGetValue("text/csv", out var csv)) exports["csv"] = csv;
        if (bundle.TryGetValue("text/latex", out var tex) && bundle.ContainsKey("text/html")) exports["tex"] = tex;
        string? name = NameOf(value);
        if (name is null && exports.Count == 0) return metadata;
        var rk = new JsonObject();
        if (name is not null) rk["name"] = name;
        rk["kind"] = bundle.ContainsKey(PlotlyMime) ? "figure" : exports.Count > 0 ? "table" : value.GetType().Name.ToLowerInvariant();
        if (exports.Count > 0) rk["exports"] = exports;
        metadata["researchkit"] = rk;
        return metadata;
    }

    /// <summary>The MIME bundle of an <c>IRichDisplay</c> object, or <c>null</c> if it is not one.</summary>
    /// <param name="value">The value.</param>
    public static IReadOnlyDictionary<string, string>? RichBundle(object value)
    {
        if (value is Plotly.NET.GenericChart chart) return ResearchKit.Display.ChartDisplay.ToMimeBundle(chart);
        var iface = value.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == RichDisplayInterface);
        if (iface?.GetMethod("ToMimeBundle", Type.EmptyTypes) is not { } method) return null;
        object? result;
        try { result = method.Invoke(value, null); }
        catch (TargetInvocationException e) when (e.InnerException is not null) { throw e.InnerException; }
        if (result is not IEnumerable<KeyValuePair<string, string>> pairs) return null;
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs) dict[k] = v;
        return dict;
    }

    /// <summary>The value's public string <c>Name</c> property when set (export name such as "fig4-4").</summary>
    /// <param name="value">The value.</param>
    public static string? NameOf(object value)
    {
        if (value is Plotly.NET.GenericChart chart) return ResearchKit.Figures.ChartExtensions.FigureName(chart);
        var prop = value.GetType().GetProperty("Name", BindingFlags.Public | BindingFlags.Instance);
        if (prop is null || prop.PropertyType != typeof(string) || prop.GetIndexParameters().Length != 0) return null;
        return prop.GetValue(value) is string s && s.Length > 0 ? s : null;
    }
}
