using System.Text.Json.Nodes;
using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using static ResearchKit.Figures.Theme;

namespace ResearchKit.Figures;

/// <summary>
/// What the thesis adds to any Plotly.NET chart: its templates, reference lines (the thesis' value as a dashed
/// line), and an export name and caption. The name travels inside the chart, in plotly's
/// <c>layout.meta.researchkit</c>, so it survives further Plotly.NET styling and reaches the notebook output, from
/// which <c>rk nb export</c> writes <c>{name}.svg/.png/.pdf/.json</c>.
/// </summary>
public static class ChartExtensions
{
    /// <summary>The key under plotly's <c>layout.meta</c> that holds <c>{"name": ..., "caption": ...}</c>.</summary>
    public const string MetaKey = "researchkit";

    /// <summary>Applies <paramref name="theme"/> as the chart's plotly template (settings made on the chart still win).</summary>
    /// <param name="chart">The chart.</param>
    /// <param name="theme">E.g. <see cref="Theme.Paper"/> or <see cref="Theme.Notebook"/>.</param>
    public static GenericChart WithTheme(this GenericChart chart, Theme theme)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentNullException.ThrowIfNull(theme);
        return Chart.withTemplate(theme.ToTemplate()).Invoke(Detached(chart));
    }

    /// <summary>
    /// Draws a horizontal line across the plot at <paramref name="y"/> (e.g. the thesis' reported accuracy), with
    /// an optional label at its right end. Existing shapes and annotations are kept.
    /// </summary>
    /// <param name="chart">The chart.</param>
    /// <param name="y">Height in data coordinates; must be finite.</param>
    /// <param name="label">Text at the right end, or null.</param>
    /// <param name="dash">plotly dash pattern.</param>
    /// <param name="color">CSS colour.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="y"/> is NaN or infinite.</exception>
    public static GenericChart WithReferenceLine(this GenericChart chart, double y, string? label = null, string dash = "dash", string color = "#555555")
    {
        if (!double.IsFinite(y)) throw new ArgumentOutOfRangeException(nameof(y), y, "WithReferenceLine: y must be finite.");
        return WithLine(chart, "x domain", 0.0, 1.0, "y", y, y, label, "right", "bottom", 1.0, y, dash, color);
    }

    /// <summary>Draws a vertical line at <paramref name="x"/> (e.g. a schedule step) with an optional label at its top.</summary>
    /// <param name="chart">The chart.</param>
    /// <param name="x">Position in data coordinates; must be finite.</param>
    /// <param name="label">Text at the top, or null.</param>
    /// <param name="dash">plotly dash pattern.</param>
    /// <param name="color">CSS colour.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="x"/> is NaN or infinite.</exception>
    public static GenericChart WithVerticalLine(this GenericChart chart, double x, string? label = null, string dash = "dot", string color = "#555555")
    {
        if (!double.IsFinite(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "WithVerticalLine: x must be finite.");
        return WithLine(chart, "x", x, x, "y domain", 0.0, 1.0, label, "left", "top", x, 1.0, dash, color);
    }

    /// <summary>
    /// Names the figure for export (file stem, e.g. <c>"fig4-4"</c>) and sets its caption (shown under it in HTML
    /// forms and reports). Stored in <c>layout.meta.researchkit</c>.
    /// </summary>
    /// <param name="chart">The chart.</param>
    /// <param name="name">Letters, digits, '-', '_' and '.' (not first).</param>
    /// <param name="caption">Caption text, or null.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a safe file stem.</exception>
    public static GenericChart WithFigureName(this GenericChart chart, string name, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        ArgumentNullException.ThrowIfNull(name);
        bool ok = name.Length > 0 && name[0] != '.';
        foreach (char c in name) ok &= char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
        if (!ok)
            throw new ArgumentException($"Figure name '{name}' is not a safe file stem: use letters, digits, '-', '_' or '.' (not first), e.g. \"fig4-4\".", nameof(name));
        var info = Obj(new DynamicObj.DynamicObj(), ("name", name));
        if (caption is not null) info.SetProperty("caption", caption);
        var meta = Obj(new DynamicObj.DynamicObj(), (MetaKey, info));
        // Also the file name of the mode bar's download button.
        var config = Obj(new Config(), ("toImageButtonOptions", Obj(new DynamicObj.DynamicObj(), ("filename", name))));
        return GenericChart.addConfig(config, GenericChart.addLayout(Obj(new Layout(), ("meta", meta)), Detached(chart)));
    }

    /// <summary>The export name set by <see cref="WithFigureName"/>, or null.</summary>
    public static string? FigureName(this GenericChart chart) => MetaText(chart, "name");

    /// <summary>The caption set by <see cref="WithFigureName"/>, or null.</summary>
    public static string? FigureCaption(this GenericChart chart) => MetaText(chart, "caption");

    /// <summary>
    /// plotly's figure JSON <c>{"data":[...],"layout":{...},"config":{...}}</c> as drawn by <c>Plotly.newPlot</c>,
    /// exported by <c>FigureExporter</c> and carried by the <c>application/vnd.plotly.v1+json</c> output.
    /// </summary>
    public static string ToPlotlyJson(this GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        // Newtonsoft with DynamicObj's own converter, as Plotly.NET serializes; its Globals.JSON_CONFIG is avoided
        // because touching Globals also initializes Plotly.NET's HTML templates (Giraffe), which fail to load when a
        // kernel loads FSharp.Core twice.
        var root = new JsonObject
        {
            ["data"] = JsonNode.Parse(Newtonsoft.Json.JsonConvert.SerializeObject(GenericChart.getTraces(chart), JsonSettings)),
            ["layout"] = JsonNode.Parse(Newtonsoft.Json.JsonConvert.SerializeObject(GenericChart.getLayout(chart), JsonSettings)),
            ["config"] = JsonNode.Parse(Newtonsoft.Json.JsonConvert.SerializeObject(GenericChart.getConfig(chart), JsonSettings)),
        };
        return root.ToJsonString();
    }

    private static readonly Newtonsoft.Json.JsonSerializerSettings JsonSettings = new()
    {
        ReferenceLoopHandling = Newtonsoft.Json.ReferenceLoopHandling.Serialize,
        Formatting = Newtonsoft.Json.Formatting.None,
    };

    /// <summary>
    /// The chart with its own copy of layout and config: Plotly.NET's layout functions (<c>addLayout</c>,
    /// <c>withShape</c>, <c>withTemplate</c>) change the chart's layout object in place, so without this copy the
    /// kit's extensions would also change the chart they were called on.
    /// </summary>
    private static GenericChart Detached(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var layout = new Layout();
        GenericChart.getLayout(chart).DeepCopyPropertiesTo(layout, FSharpOption<bool>.None, FSharpOption<bool>.Some(true));
        var config = new Config();
        GenericChart.getConfig(chart).DeepCopyPropertiesTo(config, FSharpOption<bool>.None, FSharpOption<bool>.Some(true));
        return GenericChart.setConfig(config, GenericChart.setLayout(layout, chart));
    }

    private static string? MetaText(GenericChart chart, string key)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var layout = GenericChart.getLayout(chart);
        if (layout.TryGetPropertyValue("meta") is { } meta && meta.Value is DynamicObj.DynamicObj m
            && m.TryGetPropertyValue(MetaKey) is { } rk && rk.Value is DynamicObj.DynamicObj info
            && info.TryGetPropertyValue(key) is { } v && v.Value is string s)
            return s;
        return null;
    }

    private static GenericChart WithLine(GenericChart chart, string xref, double x0, double x1, string yref, double y0, double y1,
        string? label, string xAnchor, string yAnchor, double labelX, double labelY, string dash, string color)
    {
        chart = Detached(chart);
        var shape = Obj(new Shape(), ("type", "line"), ("xref", xref), ("yref", yref), ("x0", x0), ("x1", x1), ("y0", y0), ("y1", y1),
            ("line", Obj(new Line(), ("color", color), ("width", 1.2), ("dash", dash))));
        chart = Chart.withShape(shape, FSharpOption<bool>.Some(true)).Invoke(chart);
        if (label is null) return chart;
        var annotation = Obj(new Annotation(), ("text", label), ("xref", xref), ("yref", yref), ("x", labelX), ("y", labelY),
            ("xanchor", xAnchor), ("yanchor", yAnchor), ("showarrow", false), ("font", Obj(new Font(), ("color", color))));
        return Chart.withAnnotation(annotation, FSharpOption<bool>.Some(true)).Invoke(chart);
    }
}
