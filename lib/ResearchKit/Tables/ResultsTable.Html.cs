using System.Text;

namespace ResearchKit.Tables;

public sealed partial class ResultsTable
{
    // Scoped to .rk-table so several tables (and the notebook's own CSS) coexist in one page.
    private const string HtmlStyle =
        ".rk-table{border-collapse:collapse;margin:0.5em 0;font-variant-numeric:tabular-nums;font-size:0.95em}" +
        ".rk-table caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:0.3em}" +
        ".rk-table th,.rk-table td{padding:0.25em 0.75em}" +
        ".rk-table thead th{border-top:2px solid currentColor;border-bottom:1px solid currentColor}" +
        ".rk-table tbody tr:last-child td{border-bottom:2px solid currentColor}" +
        ".rk-table .rk-text{text-align:left}.rk-table .rk-num{text-align:right;white-space:nowrap}" +
        ".rk-table .rk-thesis{color:#666}.rk-table .rk-neg{color:#b00020}.rk-table .rk-pos{color:#1b5e20}" +
        ".rk-table-note{font-size:0.85em;color:#555;margin:0.2em 0}";

    /// <summary>
    /// A self-contained HTML fragment: a <c>&lt;style&gt;</c> block scoped to <c>.rk-table</c>, the table with
    /// caption, header and body (best values in <c>&lt;strong&gt;</c>, class <c>rk-best</c>), and the footnotes.
    /// All text is HTML-escaped.
    /// </summary>
    public string ToHtml()
    {
        var sb = new StringBuilder();
        sb.Append("<div class=\"rk-table-wrap\"");
        if (Name is not null) sb.Append(" id=\"").Append(HtmlEscape(Name)).Append('"');
        sb.Append(">\n<style>").Append(HtmlStyle).Append("</style>\n<table class=\"rk-table\">\n");
        if (Caption is not null) sb.Append("<caption>").Append(HtmlText(Caption)).Append("</caption>\n");
        sb.Append("<thead><tr>");
        foreach (var col in _columns)
            sb.Append("<th class=\"").Append(col.IsNumeric ? "rk-num" : "rk-text").Append("\">").Append(HtmlText(col.Header)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        var best = AllBestRows();
        for (int r = 0; r < _rows.Count; r++)
        {
            sb.Append("<tr>");
            for (int c = 0; c < _columns.Count; c++)
            {
                var col = _columns[c];
                var cls = new StringBuilder(col.IsNumeric ? "rk-num" : "rk-text");
                if (col.Role == ColumnRole.ThesisReference) cls.Append(" rk-thesis");
                if (col.Role == ColumnRole.Difference && NumberOf(GetValue(r, c)) is double d && d != 0)
                    cls.Append(d < 0 ? " rk-neg" : " rk-pos");
                bool bold = IsBest(best[c], r);
                if (bold) cls.Append(" rk-best");
                sb.Append("<td class=\"").Append(cls).Append("\">");
                string text = HtmlText(FormatCell(r, c, Flavor.Html));
                sb.Append(bold ? "<strong>" + text + "</strong>" : text).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
        foreach (var note in _footnotes) sb.Append("<p class=\"rk-table-note\">").Append(HtmlText(note)).Append("</p>\n");
        sb.Append("</div>\n");
        return sb.ToString();
    }

    /// <summary>Escapes &amp; &lt; &gt; " ' (enough for text and attribute values).</summary>
    internal static string HtmlEscape(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        foreach (var ch in s)
        {
            string? rep = ch switch
            {
                '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&quot;", '\'' => "&#39;",
                _ => null,
            };
            if (rep is null) sb.Append(ch); else sb.Append(rep);
        }
        return sb.ToString();
    }

    /// <summary>Escaped text with line breaks kept as <c>&lt;br&gt;</c>.</summary>
    private static string HtmlText(string s) =>
        HtmlEscape(s).Replace("\r\n", "\n").Replace('\r', '\n').Replace("\n", "<br>");
}
