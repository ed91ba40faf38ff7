using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Format;

namespace ResearchKit.Notebooks.Runner;

/// <summary>
/// Turns a displayed value into a MIME bundle plus output metadata. Kit objects implement
/// <c>ResearchKit.Display.IRichDisplay</c>; the interface is found by name so that a copy of the kit loaded by a
/// notebook's <c>#r</c> (another load context) still counts. Plotly.NET charts show through
/// <c>ResearchKit.Display.ChartDisplay</c>. Objects with a <c>Name</c> (charts: their figure name) get
/// <c>metadata.researchkit = {name, kind, exports}</c>, which <c>rk nb export</c> uses for file names.
/// </summary>
public static class RichFormatter
{
    /// <summary>The plotly MIME type.</summary>
    public const string PlotlyMime = "application/vnd.plotly.v1+json";

    /// <summary>Full name of the kit's display interface.</summary>
    public const string RichDisplayInterface = "ResearchKit.Display.IRichDisplay";

    private const int MaxListedItems = 100;

    /// <summary>Formats <paramref name="value"/>.</summary>
    /// <param name="value">The value (may be null).</param>
    /// <param name="mimeTypes">Keep only these MIME types when non-empty (text/plain stays as a fallback if none match).</param>
    /// <returns>The bundle and the output metadata.</returns>
    public static (MimeBundle Data, JsonObject Metadata) Format(object? value, IReadOnlyCollection<string>? mimeTypes = null)
    {
        var data = new MimeBundle();
        var metadata = new JsonObject();
        var rich = value is null ? null : RichBundle(value);
        if (rich is null)
        {
            data.Set("text/plain", PlainText(value));
        }
        else
        {
            foreach (var (mime, content) in rich) data.Set(mime, content);
            if (!data.Contains("text/plain")) data.Set("text/plain", value!.ToString() ?? "");
            // CSV and LaTeX are export formats, not something a notebook front end should pick to render a table.
            var exports = new JsonObject();
            if (data.GetText("text/csv") is { } csv) { exports["csv"] = csv; data.Remove("text/csv"); }
            if (data.GetText("text/latex") is { } tex && data.Contains("text/html")) { exports["tex"] = tex; data.Remove("text/latex"); }
            string? name = NameOf(value!);
            if (name is not null || exports.Count > 0)
            {
                var rk = new JsonObject();
                if (name is not null) rk["name"] = name;
                rk["kind"] = data.Contains(PlotlyMime) ? "figure" : exports.Count > 0 ? "table" : value!.GetType().Name.ToLowerInvariant();
                if (exports.Count > 0) rk["exports"] = exports;
                metadata["researchkit"] = rk;
            }
        }
        if (mimeTypes is { Count: > 0 })
        {
            string fallback = data.GetText("text/plain") ?? "";
            foreach (var mime in data.MimeTypes.ToList())
            {
                if (!mimeTypes.Contains(mime)) data.Remove(mime);
            }
            if (data.Count == 0) data.Set("text/plain", fallback);
        }
        return (data, metadata);
    }

    /// <summary>The MIME bundle of an <c>IRichDisplay</c> object, or <c>null</c> if it is not one.</summary>
    /// <param name="value">The value.</param>
    public static IReadOnlyDictionary<string, string>? RichBundle(object value)
    {
        if (value is Plotly.NET.GenericChart chart) return ResearchKit.Display.ChartDisplay.ToMimeBundle(chart);
        var iface = value.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == RichDisplayInterface);
        if (iface is null) return null;
        var method = iface.GetMethod("ToMimeBundle", Type.EmptyTypes);
        object? result;
        try { result = method?.Invoke(value, null); }
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

    /// <summary>Plain-text form: <c>&lt;null&gt;</c>, strings as-is, collections listed, else <c>ToString()</c>.</summary>
    /// <param name="value">The value.</param>
    public static string PlainText(object? value)
    {
        switch (value)
        {
            case null: return "<null>";
            case string s: return s;
            case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
            case IEnumerable e when value.GetType().GetMethod("ToString", Type.EmptyTypes)?.DeclaringType == typeof(object):
                var sb = new StringBuilder("[");
                int n = 0;
                foreach (var item in e)
                {
                    if (n > 0) sb.Append(", ");
                    if (n == MaxListedItems) { sb.Append("..."); break; }
                    sb.Append(item is string str ? str : PlainText(item));
                    n++;
                }
                return sb.Append(']').ToString();
            default:
                return value.ToString() ?? "";
        }
    }
}
