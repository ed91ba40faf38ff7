using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ResearchKit.Notebooks.Format;
using ResearchKit.Notebooks.Runner;

namespace ResearchKit.Notebooks.Report;

/// <summary>
/// Writes an executed notebook as one self-contained HTML file to share: Markdown rendered by Markdig, its math by
/// KaTeX, code with its outputs, plotly figures drawn by plotly.js, each figure with its name and caption under it;
/// plotly.js and KaTeX (with its fonts) are inlined once, so the file needs no network. Without plotly.js or KaTeX
/// the report still renders (figures as text, math as TeX) and a banner says how to install them.
/// </summary>
public static partial class HtmlReport
{
    /// <summary>Renders the report.</summary>
    /// <param name="notebook">The (executed) notebook.</param>
    /// <param name="title">Page title.</param>
    /// <param name="plotlyJs">Content of plotly.min.js; <c>null</c> when not available.</param>
    /// <param name="katex">KaTeX to inline; <c>null</c> when not available (math then shows as TeX).</param>
    public static string Render(Notebook notebook, string title, string? plotlyJs, Katex? katex = null)
    {
        bool hasFigures = HasFigures(notebook);
        var body = new StringBuilder();
        int figure = 0;
        foreach (var cell in notebook.Cells)
        {
            switch (cell.Type)
            {
                case CellType.Markdown:
                    body.Append("<section class=\"md\">").Append(ReportMarkdown.ToHtml(cell.Source)).Append("</section>\n");
                    break;
                case CellType.Raw:
                    body.Append("<pre class=\"raw\">").Append(Esc(cell.Source)).Append("</pre>\n");
                    break;
                default:
                    if (cell.HasTag(NotebookParameters.InjectedTag) && cell.Source.Length == 0) break;
                    string status = cell.Metadata["researchkit"] is JsonObject rk && rk["status"] is JsonValue s ? s.ToString() : "";
                    body.Append("<section class=\"code").Append(status.Length > 0 ? " " + Esc(status) : "").Append("\" id=\"cell-").Append(Esc(cell.Id)).Append("\">\n");
                    body.Append("<div class=\"prompt\">").Append(cell.ExecutionCount is int n ? $"[{n}]" : "[ ]");
                    if (cell.Tags.Count > 0) body.Append(" <span class=\"tags\">").Append(Esc(string.Join(", ", cell.Tags))).Append("</span>");
                    if (status == "not-executed") body.Append(" <span class=\"tags\">not executed</span>");
                    body.Append("</div>\n<pre class=\"src\"><code>").Append(Esc(cell.Source)).Append("</code></pre>\n");
                    foreach (var output in cell.Outputs) AppendOutput(body, output, ref figure, plotlyJs is not null);
                    body.Append("</section>\n");
                    break;
            }
        }

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
            .Append(Esc(title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n");
        if (hasFigures && plotlyJs is not null) html.Append("<script>\n").Append(ScriptSafe(plotlyJs)).Append("\n</script>\n");
        bool hasMath = body.ToString().Contains("class=\"math\"", StringComparison.Ordinal);
        if (hasMath && katex is not null)
            html.Append("<style>\n").Append(katex.Css).Append("\n</style>\n<script>\n").Append(ScriptSafe(katex.Script)).Append("\n</script>\n");
        html.Append("</head>\n<body>\n<main>\n");
        if (hasFigures && plotlyJs is null)
            html.Append("<div class=\"banner\">Figures need plotly.js, which was not found when this report was written: ")
                .Append(Esc(ResearchKit.Figures.PlotlyJs.InstallHint)).Append(", then run the notebook again. Figures are shown as text meanwhile.</div>\n");
        if (hasMath && katex is null)
            html.Append("<div class=\"banner\">Math needs KaTeX, which was not found when this report was written: ")
                .Append(Esc(Katex.InstallHint)).Append(", then run the notebook again. Math is shown as TeX meanwhile.</div>\n");
        html.Append(body).Append("</main>\n");
        if (hasMath && katex is not null) html.Append("<script>\n").Append(Katex.RenderScript).Append("</script>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes the report for <paramref name="notebook"/> to <paramref name="path"/>.</summary>
    /// <param name="notebook">The executed notebook.</param>
    /// <param name="path">Output .html path.</param>
    /// <param name="notebookDirectory">Where to start looking for plotly.js (walking up).</param>
    /// <returns>False when the notebook has figures but plotly.js was not found (the report then carries a banner;
    /// KaTeX missing only shows a banner about math).</returns>
    public static bool Write(Notebook notebook, string path, string? notebookDirectory)
    {
        string? plotlyPath = ResearchKit.Figures.PlotlyJs.TryLocate(notebookDirectory, Path.GetDirectoryName(Path.GetFullPath(path)));
        string? js = plotlyPath is null ? null : File.ReadAllText(plotlyPath);
        var katex = Katex.TryLoad(notebookDirectory, Path.GetDirectoryName(Path.GetFullPath(path)));
        string title = notebook.Cells.FirstOrDefault(c => c.Type == CellType.Markdown) is { } md && FirstHeading().Match(md.Source) is { Success: true } m
            ? m.Groups[1].Value.Trim()
            : Path.GetFileNameWithoutExtension(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, Render(notebook, title, js, katex), new UTF8Encoding(false));
        return js is not null || !HasFigures(notebook);
    }

    private static bool HasFigures(Notebook notebook) =>
        notebook.Cells.SelectMany(c => c.Outputs).OfType<DisplayDataOutput>().Any(o => o.Data.Contains(RichFormatter.PlotlyMime));

    private static void AppendOutput(StringBuilder sb, CellOutput output, ref int figure, bool plotly)
    {
        switch (output)
        {
            case StreamOutput s:
                sb.Append("<pre class=\"out ").Append(s.Name == "stderr" ? "stderr" : "stdout").Append("\">").Append(Esc(StripAnsi(s.Text))).Append("</pre>\n");
                break;
            case ErrorOutput e:
                sb.Append("<pre class=\"out error\"><b>").Append(Esc(e.EName)).Append(": ").Append(Esc(e.EValue)).Append("</b>\n")
                    .Append(Esc(StripAnsi(string.Join("\n", e.Traceback)))).Append("</pre>\n");
                break;
            case DisplayDataOutput d:
                sb.Append("<div class=\"out rich\">");
                AppendBundle(sb, d.Data, ref figure, plotly);
                sb.Append("</div>\n");
                break;
        }
    }

    private static void AppendBundle(StringBuilder sb, MimeBundle data, ref int figure, bool plotly)
    {
        if (data.GetJson(RichFormatter.PlotlyMime) is JsonObject fig)
        {
            if (plotly)
            {
                string id = $"rk-figure-{++figure}";
                var spec = new JsonObject { ["data"] = fig["data"]?.DeepClone() ?? new JsonArray(), ["layout"] = fig["layout"]?.DeepClone() ?? new JsonObject(), ["config"] = fig["config"]?.DeepClone() ?? new JsonObject { ["responsive"] = true, ["displaylogo"] = false } };
                sb.Append("<div class=\"figure\" id=\"").Append(id).Append("\"></div>\n<script>(function(){var f=")
                    .Append(ScriptSafe(spec.ToJsonString())).Append(";Plotly.newPlot('").Append(id).Append("',f.data,f.layout,f.config);})();</script>");
            }
            else sb.Append("<pre>").Append(Esc(StripAnsi(data.GetText("text/plain") ?? ""))).Append("</pre>");
            // The export name and caption a chart carries (WithFigureName) go under it, as in a paper, drawn or not.
            if (fig["layout"]?["meta"]?[ResearchKit.Figures.ChartExtensions.MetaKey] is JsonObject info)
            {
                string? name = info["name"] is JsonValue n && n.TryGetValue<string>(out var ns) ? ns : null;
                string? caption = info["caption"] is JsonValue c && c.TryGetValue<string>(out var cs) ? cs : null;
                if (name is not null || caption is not null)
                    sb.Append("<p class=\"caption\">").Append(name is null ? "" : "<b>" + Esc(name) + "</b>")
                        .Append(name is not null && caption is not null ? ": " : "").Append(caption is null ? "" : Esc(caption)).Append("</p>");
            }
            return;
        }
        if (data.GetText("text/html") is { } html) { sb.Append(html); return; }
        foreach (var image in new[] { "image/png", "image/jpeg", "image/gif" })
        {
            if (data.GetText(image) is { } b64) { sb.Append("<img src=\"data:").Append(image).Append(";base64,").Append(b64.Replace("\n", "")).Append("\" alt=\"\">"); return; }
        }
        if (data.GetText("image/svg+xml") is { } svg) { sb.Append(svg); return; }
        if (data.GetText("text/markdown") is { } md) { sb.Append(ReportMarkdown.ToHtml(md)); return; }
        sb.Append("<pre>").Append(Esc(StripAnsi(data.GetText("text/plain") ?? ""))).Append("</pre>");
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);

    /// <summary>Inline script text must not close the script element early.</summary>
    private static string ScriptSafe(string js) => js.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase).Replace("<!--", "<\\!--", StringComparison.Ordinal);

    private static string StripAnsi(string s) => Ansi().Replace(s, "");

    [GeneratedRegex(@"\u001b\[[0-9;]*[A-Za-z]")] private static partial Regex Ansi();
    [GeneratedRegex(@"^\s*#\s+(.+)$", RegexOptions.Multiline)] private static partial Regex FirstHeading();

    private const string Css = """
        body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;line-height:1.5;color:#1f2328;background:#fff;margin:0}
        main{max-width:980px;margin:0 auto;padding:2rem 1rem}
        h1,h2,h3{line-height:1.25}
        pre{overflow-x:auto;padding:.6rem .8rem;border-radius:6px;margin:.3rem 0;font-size:.85rem}
        code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        p code,li code,td code{background:#eff1f3;padding:.1rem .3rem;border-radius:4px}
        .md pre{background:#f6f8fa}
        .code{margin:1rem 0;border-left:3px solid #d0d7de;padding-left:.8rem}
        .code.failed{border-left-color:#cf222e}.code.not-executed{opacity:.6}
        .prompt{font-family:ui-monospace,monospace;font-size:.75rem;color:#59636e}
        .tags{background:#ddf4ff;border-radius:8px;padding:0 .4rem}
        pre.src{background:#f6f8fa}
        pre.out{background:#fff;border:1px solid #eaeef2}
        pre.stderr{background:#fff8c5}
        pre.error{background:#ffebe9;border-color:#ffcecb}
        .rich{margin:.3rem 0;overflow-x:auto}
        .figure{width:100%;min-height:420px}
        .caption{font-size:.9rem;color:#444;margin:.2rem 0 .8rem}
        table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .6rem}th{background:#f6f8fa}
        blockquote{margin:0;padding:0 1rem;color:#59636e;border-left:.25em solid #d0d7de}
        .banner{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.8rem;margin-bottom:1rem}
        img{max-width:100%}
        """;
}
