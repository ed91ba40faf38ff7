using System.Text;

namespace ResearchKit.Tables;

public sealed partial class ResultsTable
{
    /// <summary>
    /// A GitHub-flavoured Markdown pipe table: bold caption line, header, alignment row (numbers right-aligned),
    /// rows with best values in <c>**bold**</c>, then the footnotes. Text is escaped (pipes, emphasis and link
    /// characters, HTML brackets, <c>$</c> which GitHub renders as math); line breaks inside cells become <c>&lt;br&gt;</c>.
    /// </summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        if (Caption is not null) sb.Append("**").Append(MarkdownEscape(Caption)).Append("**\n\n");
        sb.Append('|');
        foreach (var col in _columns) sb.Append(' ').Append(MarkdownEscape(col.Header)).Append(" |");
        sb.Append("\n|");
        foreach (var col in _columns) sb.Append(col.IsNumeric ? " ---: |" : " :--- |");
        sb.Append('\n');
        var best = AllBestRows();
        for (int r = 0; r < _rows.Count; r++)
        {
            sb.Append('|');
            for (int c = 0; c < _columns.Count; c++)
            {
                string text = MarkdownEscape(FormatCell(r, c, Flavor.Markdown));
                if (IsBest(best[c], r)) text = "**" + text + "**";
                sb.Append(' ').Append(text).Append(" |");
            }
            sb.Append('\n');
        }
        foreach (var note in _footnotes) sb.Append('\n').Append(MarkdownEscape(note)).Append('\n');
        return sb.ToString();
    }

    /// <summary>Backslash-escapes Markdown punctuation that could change a cell's meaning; line breaks become &lt;br&gt;.</summary>
    internal static string MarkdownEscape(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        for (int i = 0; i < s.Length; i++)
        {
            char ch = s[i];
            switch (ch)
            {
                case '\\' or '|' or '*' or '_' or '`' or '[' or ']' or '<' or '>' or '~' or '#' or '$':
                    sb.Append('\\').Append(ch);
                    break;
                case '\r':
                    if (i + 1 < s.Length && s[i + 1] == '\n') i++;
                    sb.Append("<br>");
                    break;
                case '\n':
                    sb.Append("<br>");
                    break;
                default:
                    sb.Append(ch);
                    break;
            }
        }
        return sb.ToString();
    }
}
