using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ResearchKit.Figures;

/// <summary>
/// HTML forms of a figure: a <c>&lt;figure&gt;</c> with the plot div, the figure JSON and a script calling
/// <c>Plotly.newPlot</c>. The notebook form carries a loader that uses <c>window.Plotly</c> when the page already
/// has it (our HTML reports inline plotly.js once) and otherwise injects a script tag for the CDN copy.
/// </summary>
internal static class FigureHtml
{
    private static long _counter;

    /// <summary>The figure as HTML; <paramref name="loader"/> selects the notebook loader over "expects window.Plotly".</summary>
    public static string Render(Figure figure, string json, bool loader)
    {
        string id = DivId(figure, json);
        int height = figure.Layout.Height ?? 450;
        string width = figure.Layout.Width is { } w ? w.ToString(CultureInfo.InvariantCulture) + "px" : "100%";
        var sb = new StringBuilder(json.Length + 1024);
        sb.Append("<figure class=\"rk-figure\" style=\"margin:0\">");
        sb.Append("<div id=\"").Append(id).Append("\" class=\"rk-plot\" style=\"width:").Append(width)
          .Append(";height:").Append(height.ToString(CultureInfo.InvariantCulture)).Append("px\"></div>");
        if (figure.Caption is not null || figure.Name is not null)
        {
            sb.Append("<figcaption class=\"rk-caption\">");
            if (figure.Name is not null) sb.Append("<b>").Append(WebUtility.HtmlEncode(figure.Name)).Append("</b>");
            if (figure.Name is not null && figure.Caption is not null) sb.Append(": ");
            if (figure.Caption is not null) sb.Append(WebUtility.HtmlEncode(figure.Caption));
            sb.Append("</figcaption>");
        }
        sb.Append("</figure>\n<script type=\"text/javascript\">(function () {\n");
        sb.Append("var fig = ").Append(EscapeForScript(json)).Append(";\n");
        sb.Append("var el = document.getElementById(\"").Append(id).Append("\");\n");
        sb.Append("function draw() { window.Plotly.newPlot(el, fig.data, fig.layout, fig.config || {}); }\n");
        if (loader)
        {
            // Several outputs may ask at once: share one load through a global promise.
            sb.Append("if (window.Plotly) { draw(); return; }\n");
            sb.Append("var p = window.__rkPlotlyLoading;\n");
            sb.Append("if (!p) { p = window.__rkPlotlyLoading = new Promise(function (resolve, reject) {\n");
            sb.Append("  var s = document.createElement(\"script\"); s.src = \"").Append(PlotlyJs.CdnUrl).Append("\";\n");
            sb.Append("  s.onload = resolve; s.onerror = reject; document.head.appendChild(s); }); }\n");
            sb.Append("p.then(draw, function () { el.textContent = \"plotly.js could not be loaded from ").Append(PlotlyJs.CdnUrl)
              .Append(" (offline?). VS Code draws this figure from its application/vnd.plotly.v1+json output; HTML reports written by rk nb run inline plotly.js.\"; });\n");
        }
        else
        {
            sb.Append("if (window.Plotly) { draw(); } else { el.textContent = \"plotly.js is not loaded on this page: include PlotlyJs.ScriptTag() once, or call Figure.ToHtml(includePlotlyJs: true).\"; }\n");
        }
        sb.Append("})();</script>\n");
        return sb.ToString();
    }

    /// <summary>
    /// Escapes every '&lt;' as <c>\u003c</c> so no text in the JSON ("&lt;/script&gt;", "&lt;!--") can end or confuse the
    /// script element; in JSON a '&lt;' can only occur inside strings, where the escape means the same character.
    /// </summary>
    public static string EscapeForScript(string json) => json.Replace("<", "\\u003c", StringComparison.Ordinal);

    /// <summary>
    /// A stable-looking id: the export name (or a hash of the JSON) plus a process-wide counter, so two identical
    /// figures in one report still get distinct divs.
    /// </summary>
    private static string DivId(Figure figure, string json)
    {
        string stem;
        if (figure.Name is not null)
        {
            var sb = new StringBuilder();
            foreach (char c in figure.Name) sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
            stem = sb.ToString();
        }
        else
        {
            stem = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)).AsSpan(0, 6));
        }
        long n = Interlocked.Increment(ref _counter);
        return "rk-fig-" + stem + "-" + n.ToString(CultureInfo.InvariantCulture);
    }
}
