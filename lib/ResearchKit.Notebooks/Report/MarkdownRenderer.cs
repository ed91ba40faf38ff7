using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ResearchKit.Notebooks.Report;

/// <summary>
/// A small offline Markdown → HTML converter for notebook reports: ATX headings, paragraphs, emphasis, inline code,
/// fenced code blocks, ordered/unordered lists (one level), links, images, pipe tables, block quotes and rules.
/// Math (<c>$...$</c>, <c>$$...$$</c>) is left as text. All text is HTML-escaped; raw HTML is not passed through.
/// </summary>
public static partial class MarkdownRenderer
{
    /// <summary>Converts Markdown to an HTML fragment.</summary>
    /// <param name="markdown">Markdown text.</param>
    public static string ToHtml(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        var html = new StringBuilder();
        int i = 0;
        while (i < lines.Length)
        {
            string line = lines[i];
            string trimmed = line.Trim();
            if (trimmed.Length == 0) { i++; continue; }

            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                string fence = trimmed[..3];
                string lang = trimmed[3..].Trim();
                var code = new StringBuilder();
                i++;
                while (i < lines.Length && !lines[i].Trim().StartsWith(fence, StringComparison.Ordinal)) code.Append(lines[i++]).Append('\n');
                i++;
                html.Append("<pre><code").Append(lang.Length > 0 ? $" class=\"language-{Esc(lang)}\"" : "").Append('>')
                    .Append(Esc(code.ToString())).Append("</code></pre>\n");
                continue;
            }
            if (Heading().Match(trimmed) is { Success: true } h)
            {
                int level = h.Groups[1].Length;
                html.Append($"<h{level}>").Append(Inline(h.Groups[2].Value.TrimEnd('#', ' '))).Append($"</h{level}>\n");
                i++;
                continue;
            }
            if (Rule().IsMatch(trimmed)) { html.Append("<hr>\n"); i++; continue; }
            if (trimmed.StartsWith('>'))
            {
                var quote = new StringBuilder();
                while (i < lines.Length && lines[i].TrimStart().StartsWith('>')) quote.Append(lines[i++].TrimStart()[1..].TrimStart()).Append('\n');
                html.Append("<blockquote>").Append(ToHtml(quote.ToString())).Append("</blockquote>\n");
                continue;
            }
            if (trimmed.StartsWith('|') && i + 1 < lines.Length && TableSeparator().IsMatch(lines[i + 1].Trim()))
            {
                html.Append("<table>\n<thead><tr>");
                var aligns = Cells(lines[i + 1]).Select(c => c.StartsWith(':') && c.EndsWith(':') ? "center" : c.EndsWith(':') ? "right" : c.StartsWith(':') ? "left" : "").ToList();
                var header = Cells(line);
                for (int c = 0; c < header.Count; c++) html.Append("<th").Append(Align(aligns, c)).Append('>').Append(Inline(header[c])).Append("</th>");
                html.Append("</tr></thead>\n<tbody>\n");
                i += 2;
                while (i < lines.Length && lines[i].Trim().StartsWith('|'))
                {
                    var row = Cells(lines[i++]);
                    html.Append("<tr>");
                    for (int c = 0; c < row.Count; c++) html.Append("<td").Append(Align(aligns, c)).Append('>').Append(Inline(row[c])).Append("</td>");
                    html.Append("</tr>\n");
                }
                html.Append("</tbody>\n</table>\n");
                continue;
            }
            if (ListItem().Match(line) is { Success: true } li)
            {
                bool ordered = char.IsDigit(li.Groups[2].Value[0]);
                html.Append(ordered ? "<ol>\n" : "<ul>\n");
                while (i < lines.Length && ListItem().Match(lines[i]) is { Success: true } item && char.IsDigit(item.Groups[2].Value[0]) == ordered)
                {
                    var text = new StringBuilder(item.Groups[3].Value);
                    i++;
                    // Continuation lines: indented, not a new item, not blank.
                    while (i < lines.Length && lines[i].Length > 0 && char.IsWhiteSpace(lines[i][0]) && lines[i].Trim().Length > 0 && !ListItem().IsMatch(lines[i]))
                        text.Append(' ').Append(lines[i++].Trim());
                    html.Append("<li>").Append(Inline(text.ToString())).Append("</li>\n");
                }
                html.Append(ordered ? "</ol>\n" : "</ul>\n");
                continue;
            }
            var para = new StringBuilder();
            while (i < lines.Length && lines[i].Trim().Length > 0 && !StartsBlock(lines, i))
            {
                if (para.Length > 0) para.Append('\n');
                para.Append(lines[i++].Trim());
            }
            html.Append("<p>").Append(Inline(para.ToString())).Append("</p>\n");
        }
        return html.ToString();
    }

    /// <summary>Inline Markdown: code spans, math kept verbatim, images, links, bold, italics.</summary>
    /// <param name="text">One block's text.</param>
    public static string Inline(string text)
    {
        // Code spans and math are cut out first so emphasis rules do not touch them.
        var protectedParts = new List<string>();
        string Protect(string html) { protectedParts.Add(html); return $"\u0001{protectedParts.Count - 1}\u0002"; }
        text = CodeSpan().Replace(text, m => Protect("<code>" + Esc(m.Groups[2].Value.Trim()) + "</code>"));
        text = MathSpan().Replace(text, m => Protect("<span class=\"math\">" + Esc(m.Value) + "</span>"));
        text = Esc(text);
        text = Image().Replace(text, m => Protect($"<img src=\"{SafeUrl(m.Groups[2].Value)}\" alt=\"{m.Groups[1].Value}\">"));
        text = Link().Replace(text, m => $"<a href=\"{SafeUrl(m.Groups[2].Value)}\">{m.Groups[1].Value}</a>");
        text = Bold().Replace(text, "<strong>$2</strong>");
        text = Italic().Replace(text, "<em>$2</em>");
        return Restore().Replace(text, m => protectedParts[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private static bool StartsBlock(string[] lines, int i)
    {
        string t = lines[i].Trim();
        return t.StartsWith("```", StringComparison.Ordinal) || t.StartsWith("~~~", StringComparison.Ordinal) || Heading().IsMatch(t) || t.StartsWith('>')
            || ListItem().IsMatch(lines[i]) || Rule().IsMatch(t) || (t.StartsWith('|') && i + 1 < lines.Length && TableSeparator().IsMatch(lines[i + 1].Trim()));
    }

    private static List<string> Cells(string row)
    {
        string t = row.Trim();
        if (t.StartsWith('|')) t = t[1..];
        if (t.EndsWith('|') && !t.EndsWith("\\|", StringComparison.Ordinal)) t = t[..^1];
        return t.Split('|').Select(c => c.Trim()).ToList();
    }

    private static string Align(List<string> aligns, int c) => c < aligns.Count && aligns[c].Length > 0 ? $" style=\"text-align:{aligns[c]}\"" : "";

    private static string Esc(string s) => WebUtility.HtmlEncode(s);

    private static string SafeUrl(string escapedUrl) =>
        escapedUrl.TrimStart().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase) ? "#" : escapedUrl;

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")] private static partial Regex Heading();
    [GeneratedRegex(@"^(\*\s*\*\s*\*[\s*]*|-\s*-\s*-[\s-]*|_\s*_\s*_[\s_]*)$")] private static partial Regex Rule();
    [GeneratedRegex(@"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")] private static partial Regex TableSeparator();
    [GeneratedRegex(@"^(\s{0,3})([-*+]|\d{1,9}[.)])\s+(.*)$")] private static partial Regex ListItem();
    [GeneratedRegex(@"(`+)(.+?)\1")] private static partial Regex CodeSpan();
    [GeneratedRegex(@"\$\$.+?\$\$|(?<![\\\w])\$[^\s$](?:[^$]*[^\s$])?\$(?!\w)")] private static partial Regex MathSpan();
    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)\s]+)\)")] private static partial Regex Image();
    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")] private static partial Regex Link();
    [GeneratedRegex(@"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")] private static partial Regex Bold();
    [GeneratedRegex(@"(?<![\w*])(\*|_)(?=\S)(.+?)(?<=\S)\1(?![\w*])")] private static partial Regex Italic();
    [GeneratedRegex("\u0001(\\d+)\u0002")] private static partial Regex Restore();
}
