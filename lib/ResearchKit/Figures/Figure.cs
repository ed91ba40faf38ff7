using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResearchKit.Display;

namespace ResearchKit.Figures;

/// <summary>
/// A plotly.js figure built in C#: traces (<see cref="Data"/>), <see cref="Layout"/>, <see cref="Config"/> and a
/// <see cref="Theme"/>. <see cref="ToJson"/> gives plotly's JSON; in notebooks the figure displays as
/// <c>application/vnd.plotly.v1+json</c> (drawn natively, offline, by VS Code's Jupyter renderers) plus an HTML form;
/// <c>ResearchKit.Notebooks.Export.FigureExporter</c> writes PNG/SVG/PDF.
/// </summary>
/// <example>
/// <code>
/// var fig = Figure.Line("Accuracy vs sparsity", "Sparsity (%)", "Accuracy (%)", name: "fig4-4")
///     .AddSeries("LeNet-5", sparsity, meanAcc, std: stdAcc)
///     .AddHorizontalLine(98.9, "thesis");
/// </code>
/// </example>
// Polyglot Notebooks discover this by convention: plotly JSON is drawn natively by VS Code, HTML elsewhere.
[TypeFormatterSource(typeof(RichDisplayFormatterSource), PreferredMimeTypes = ["application/vnd.plotly.v1+json", "text/html", "text/plain"])]
public sealed partial class Figure : IRichDisplay
{
    /// <summary>MIME type of plotly figures in Jupyter outputs.</summary>
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    private string? _name;

    /// <summary>Creates an empty figure.</summary>
    /// <param name="title">Figure title (papers usually leave it null and use <see cref="Caption"/>).</param>
    /// <param name="name">Export name, e.g. "fig4-4" (see <see cref="Name"/>).</param>
    /// <param name="caption">Caption text.</param>
    public Figure(string? title = null, string? name = null, string? caption = null)
    {
        if (title is not null) Layout.Title = new Title(title);
        Name = name;
        Caption = caption;
    }

    /// <summary>The traces, drawn in order (later traces on top).</summary>
    public List<Trace> Data { get; } = [];

    /// <summary>Layout (title, axes, legend, size, annotations, shapes, grid).</summary>
    public Layout Layout { get; set; } = new();

    /// <summary>Interactive behaviour.</summary>
    public PlotConfig Config { get; set; } = new();

    /// <summary>Look of the figure (written as <c>layout.template</c>); null leaves plotly's own defaults.</summary>
    public Theme? Theme { get; set; } = Theme.Paper;

    /// <summary>
    /// Stable export name (file stem), e.g. <c>"fig4-4"</c>: <c>rk nb export</c> writes fig4-4.svg/.png/.pdf.
    /// Letters, digits, '-', '_' and '.' only.
    /// </summary>
    public string? Name
    {
        get => _name;
        set
        {
            if (value is not null)
            {
                bool ok = value.Length > 0 && value[0] != '.';
                foreach (char c in value) ok &= char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
                if (!ok)
                    throw new ArgumentException($"Figure name '{value}' is not a safe file stem: use letters, digits, '-', '_' or '.' (not first), e.g. \"fig4-4\".", nameof(value));
            }
            _name = value;
        }
    }

    /// <summary>Caption shown under the figure in HTML reports.</summary>
    public string? Caption { get; set; }

    /// <summary>Number of series added by the helpers (picks the next theme colour).</summary>
    private int _seriesCount;

    /// <summary>Appends a trace; returns this figure for chaining.</summary>
    public Figure AddTrace(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        Data.Add(trace);
        return this;
    }

    /// <summary>The plotly JSON <c>{"data":[...],"layout":{...},"config":{...}}</c>; NaN/∞ become null.</summary>
    /// <param name="indented">Pretty-print (for reading and diffs).</param>
    public string ToJson(bool indented = false) => Serialize(includeConfig: true, indented);

    /// <summary>The <c>application/vnd.plotly.v1+json</c> payload: <c>{"data":[...],"layout":{...}}</c>.</summary>
    public string ToPlotlyMimeJson() => Serialize(includeConfig: false, indented: false);

    /// <summary>
    /// A <c>&lt;figure&gt;</c> with the plot div and a script drawing it. With <paramref name="includePlotlyJs"/>
    /// plotly.js (4.8 MB) is inlined first, making the fragment self-contained; otherwise the page must define
    /// <c>window.Plotly</c> (inline <see cref="PlotlyJs.ScriptTag"/> once for many figures).
    /// </summary>
    /// <param name="includePlotlyJs">Inline plotly.js before the figure.</param>
    /// <param name="plotlyJsPath">plotly.min.js to inline; null locates it (<see cref="PlotlyJs.Locate"/>).</param>
    public string ToHtml(bool includePlotlyJs = false, string? plotlyJsPath = null)
    {
        var html = FigureHtml.Render(this, ToJson(), loader: false);
        return includePlotlyJs ? PlotlyJs.ScriptTag(plotlyJsPath) + html : html;
    }

    /// <summary>
    /// MIME bundle for notebook outputs: <c>text/plain</c> (summary), <c>text/html</c> (uses <c>window.Plotly</c> if
    /// present, else loads plotly.js from its CDN; no requirejs needed) and <c>application/vnd.plotly.v1+json</c>,
    /// which VS Code (Jupyter renderers) and JupyterLab draw natively without network.
    /// </summary>
    public IReadOnlyDictionary<string, string> ToMimeBundle()
    {
        var json = ToJson();
        return new Dictionary<string, string>
        {
            ["text/plain"] = ToString(),
            ["text/html"] = FigureHtml.Render(this, json, loader: true),
            [PlotlyMimeType] = ToPlotlyMimeJson(),
        };
    }

    /// <summary>One-line summary: name, title, traces and axis titles.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("Figure");
        if (Name is not null) sb.Append(' ').Append(Name);
        if (Layout.Title?.Text is { } t) sb.Append(" \"").Append(t).Append('"');
        sb.Append(": ").Append(Data.Count.ToString(CultureInfo.InvariantCulture)).Append(Data.Count == 1 ? " trace" : " traces");
        if (Data.Count > 0)
        {
            sb.Append(" (");
            for (int i = 0; i < Data.Count; i++)
            {
                if (i > 0) sb.Append(", ");
                sb.Append(Data[i].TraceType);
                if (Data[i].Name is { } n) sb.Append(' ').Append(n);
                sb.Append(" [").Append(Data[i].PointCount.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            sb.Append(')');
        }
        if (Layout.XAxis?.Title?.Text is { } xt) sb.Append("; x: ").Append(xt);
        if (Layout.YAxis?.Title?.Text is { } yt) sb.Append("; y: ").Append(yt);
        if (Caption is not null) sb.Append(" — ").Append(Caption);
        return sb.ToString();
    }

    private string Serialize(bool includeConfig, bool indented)
    {
        var layout = JsonSerializer.SerializeToNode(Layout, PlotlyJson.Options)!.AsObject();
        if (Theme is not null)
        {
            layout["template"] = Theme.ToTemplate();
            if (Layout.Title?.Text is not null && Layout.Margin?.T is null)
            {
                var margin = layout["margin"] as JsonObject ?? new JsonObject();
                margin["t"] = Theme.TitledTopMargin;
                layout["margin"] = margin;
            }
        }

        var root = new JsonObject
        {
            ["data"] = JsonSerializer.SerializeToNode(Data, PlotlyJson.Options),
            ["layout"] = layout,
        };
        if (includeConfig)
        {
            var config = JsonSerializer.SerializeToNode(Config, PlotlyJson.Options)!.AsObject();
            // The mode bar's download button saves under the export name.
            if (Name is not null && Config.ToImageButtonOptions is null)
                config["toImageButtonOptions"] = new JsonObject { ["filename"] = Name };
            root["config"] = config;
        }
        return root.ToJsonString(indented ? IndentedOptions : PlotlyJson.Options);
    }

    private static readonly JsonSerializerOptions IndentedOptions = new(PlotlyJson.Options) { WriteIndented = true };
}
