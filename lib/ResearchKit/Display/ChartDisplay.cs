using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using ResearchKit.Figures;

namespace ResearchKit.Display;

/// <summary>
/// How Plotly.NET charts show in notebooks: <c>application/vnd.plotly.v1+json</c> (drawn natively and offline by
/// VS Code and JupyterLab) with an HTML fallback that never touches the network: it draws with the page's
/// <c>window.Plotly</c> when there is one (our HTML reports inline plotly.js once), else loads the local
/// plotly.min.js (<see cref="PlotlyJs"/>) by file URL, else says how to get it. Plotly.NET.Interactive is not used:
/// its formatter loads plotly.js from a CDN.
/// </summary>
public static class ChartDisplay
{
    /// <summary>MIME type of plotly figures in Jupyter outputs.</summary>
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    private static long _counter;

    /// <summary>
    /// Registers the chart formatters with the .NET Interactive kernel (<c>Formatter.Register</c>) and makes plotly
    /// JSON the preferred form of <see cref="GenericChart"/>. Runs when ResearchKit loads, so a notebook's <c>#r</c>
    /// of the kit is enough; a host that calls <c>Formatter.ResetToDefault()</c> after loading the kit (an in-process
    /// runner) calls it again. Later registrations win, so calling it twice is harmless.
    /// </summary>
    public static void RegisterFormatters()
    {
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(ToPlotlyMimeJson(chart)), PlotlyMimeType);
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(ToHtml(chart, loader: true)), HtmlFormatter.MimeType);
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(Describe(chart)), PlainTextFormatter.MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(GenericChart), PlotlyMimeType, HtmlFormatter.MimeType);
    }


    /// <summary>
    /// The notebook MIME bundle of <paramref name="chart"/>: <c>text/plain</c> (<see cref="Describe"/>),
    /// <c>text/html</c> (offline fallback) and <c>application/vnd.plotly.v1+json</c> (<c>{"data","layout"}</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ToMimeBundle(GenericChart chart) => new Dictionary<string, string>
    {
        ["text/plain"] = Describe(chart),
        ["text/html"] = ToHtml(chart, loader: true),
        [PlotlyMimeType] = ToPlotlyMimeJson(chart),
    };

    /// <summary>The <c>application/vnd.plotly.v1+json</c> payload (the figure JSON; renderers ignore extra keys).</summary>
    public static string ToPlotlyMimeJson(GenericChart chart) => chart.ToPlotlyJson();

    /// <summary>
    /// A <c>&lt;figure&gt;</c> with the plot div, its caption and a script drawing it. With
    /// <paramref name="includePlotlyJs"/> the local plotly.min.js is inlined first (self-contained, ~4.8 MB);
    /// with <paramref name="loader"/> (the notebook form) a page without <c>window.Plotly</c> loads the local file
    /// by its file URL; otherwise the page must define <c>window.Plotly</c> (<see cref="PlotlyJs.ScriptTag"/>).
    /// No form references a web address.
    /// </summary>
    /// <param name="chart">The chart.</param>
    /// <param name="includePlotlyJs">Inline plotly.js before the figure.</param>
    /// <param name="loader">Load the local plotly.min.js when the page has none.</param>
    /// <param name="plotlyJsPath">plotly.min.js to inline or load; null locates it.</param>
    public static string ToHtml(GenericChart chart, bool includePlotlyJs = false, bool loader = false, string? plotlyJsPath = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        string json = chart.ToPlotlyJson();
        string? name = chart.FigureName(), caption = chart.FigureCaption();
        string id = DivId(name, json);
        var (width, height) = Size(chart);
        var sb = new StringBuilder(json.Length + 1024);
        if (includePlotlyJs) sb.Append(PlotlyJs.ScriptTag(plotlyJsPath));
        sb.Append("<figure class=\"rk-figure\" style=\"margin:0\">");
        sb.Append("<div id=\"").Append(id).Append("\" class=\"rk-plot\" style=\"width:")
          .Append(width is { } w ? w.ToString(CultureInfo.InvariantCulture) + "px" : "100%")
          .Append(";height:").Append((height ?? 450).ToString(CultureInfo.InvariantCulture)).Append("px\"></div>");
        if (name is not null || caption is not null)
        {
            sb.Append("<figcaption class=\"rk-caption\">");
            if (name is not null) sb.Append("<b>").Append(WebUtility.HtmlEncode(name)).Append("</b>");
            if (name is not null && caption is not null) sb.Append(": ");
            if (caption is not null) sb.Append(WebUtility.HtmlEncode(caption));
            sb.Append("</figcaption>");
        }
        sb.Append("</figure>\n<script type=\"text/javascript\">(function () {\n");
        sb.Append("var fig = ").Append(EscapeForScript(json)).Append(";\n");
        sb.Append("var el = document.getElementById(\"").Append(id).Append("\");\n");
        sb.Append("function draw() { window.Plotly.newPlot(el, fig.data, fig.layout, fig.config || {}); }\n");
        sb.Append("if (window.Plotly) { draw(); return; }\n");
        string? local = loader && !includePlotlyJs ? (plotlyJsPath ?? PlotlyJs.TryLocate()) : null;
        if (local is not null)
        {
            // Several outputs may ask at once: share one load through a global promise.
            string url = new Uri(Path.GetFullPath(local)).AbsoluteUri;
            sb.Append("var p = window.__rkPlotlyLoading;\n");
            sb.Append("if (!p) { p = window.__rkPlotlyLoading = new Promise(function (resolve, reject) {\n");
            sb.Append("  var s = document.createElement(\"script\"); s.src = ").Append(EscapeForScript(System.Text.Json.JsonSerializer.Serialize(url))).Append(";\n");
            sb.Append("  s.onload = resolve; s.onerror = reject; document.head.appendChild(s); }); }\n");
            sb.Append("p.then(draw, function () { el.textContent = \"plotly.js could not be loaded from the local file ")
              .Append(JsText(local)).Append(" (this front end may block file URLs). VS Code draws this figure from its application/vnd.plotly.v1+json output; HTML reports written by rk nb run inline plotly.js.\"; });\n");
        }
        else
        {
            sb.Append("el.textContent = \"plotly.js is not loaded on this page: ").Append(JsText(loader ? PlotlyJs.InstallHint + "; " : ""))
              .Append("include PlotlyJs.ScriptTag() once, or call ChartDisplay.ToHtml(chart, includePlotlyJs: true).\";\n");
        }
        sb.Append("})();</script>\n");
        return sb.ToString();
    }

    /// <summary>One-line summary: name, title, traces with their point counts, caption.</summary>
    public static string Describe(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var fig = System.Text.Json.Nodes.JsonNode.Parse(chart.ToPlotlyJson())!;
        var sb = new StringBuilder("Chart");
        if (chart.FigureName() is { } name) sb.Append(' ').Append(name);
        if (fig["layout"]?["title"]?["text"]?.GetValue<string>() is { } title) sb.Append(" \"").Append(title).Append('"');
        var traces = fig["data"]!.AsArray();
        sb.Append(": ").Append(traces.Count.ToString(CultureInfo.InvariantCulture)).Append(traces.Count == 1 ? " trace" : " traces");
        if (traces.Count > 0)
        {
            sb.Append(" (").AppendJoin(", ", traces.Select(t =>
            {
                string type = t?["type"]?.GetValue<string>() ?? "scatter";
                string label = t?["showlegend"]?.GetValue<bool>() == false ? "" : t?["name"]?.GetValue<string>() is { } n ? " " + n : "";
                int points = (t?["y"] ?? t?["z"]) is System.Text.Json.Nodes.JsonArray a ? a.Count : 0;
                return type + label + " [" + points.ToString(CultureInfo.InvariantCulture) + "]";
            })).Append(')');
        }
        if (chart.FigureCaption() is { } caption) sb.Append(" — ").Append(caption);
        return sb.ToString();
    }

    /// <summary>
    /// Escapes every '&lt;' as <c>\u003c</c> so no text in the JSON ("&lt;/script&gt;", "&lt;!--") can end or confuse the
    /// script element; in JSON a '&lt;' can only occur inside strings, where the escape means the same character.
    /// </summary>
    internal static string EscapeForScript(string json) => json.Replace("<", "\\u003c", StringComparison.Ordinal);

    private static string JsText(string s) =>
        EscapeForScript(System.Text.Json.JsonSerializer.Serialize(s)[1..^1]);

    private static (int? Width, int? Height) Size(GenericChart chart)
    {
        var layout = GenericChart.getLayout(chart);
        static int? Get(Layout l, string key) => l.TryGetPropertyValue(key) is { } v && v.Value is int i ? i : null;
        return (Get(layout, "width"), Get(layout, "height"));
    }

    /// <summary>The export name (or a hash of the JSON) plus a process-wide counter, so identical charts get distinct divs.</summary>
    private static string DivId(string? name, string json)
    {
        string stem = name is not null
            ? string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'))
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)).AsSpan(0, 6));
        return "rk-fig-" + stem + "-" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
    }
}
