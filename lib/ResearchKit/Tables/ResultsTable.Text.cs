using System.Text;

namespace ResearchKit.Tables;

public sealed partial class ResultsTable
{
    /// <summary>
    /// Aligned plain text (the notebook's <c>text/plain</c> form): caption, header, a rule, rows (text left-aligned,
    /// numbers right-aligned) and footnotes. Best values are not marked here.
    /// </summary>
    public string ToText()
    {
        int n = _columns.Count;
        var cells = new string[_rows.Count + 1][];
        cells[0] = new string[n];
        for (int c = 0; c < n; c++) cells[0][c] = OneLine(_columns[c].Header);
        for (int r = 0; r < _rows.Count; r++)
        {
            cells[r + 1] = new string[n];
            for (int c = 0; c < n; c++) cells[r + 1][c] = OneLine(FormatCell(r, c, Flavor.Plain));
        }
        var width = new int[n];
        foreach (var line in cells)
            for (int c = 0; c < n; c++) width[c] = Math.Max(width[c], line[c].Length);

        var sb = new StringBuilder();
        if (Caption is not null) sb.Append(Name is null ? "" : Name + ": ").Append(OneLine(Caption)).Append('\n');
        else if (Name is not null) sb.Append(Name).Append('\n');
        for (int i = 0; i < cells.Length; i++)
        {
            for (int c = 0; c < n; c++)
            {
                if (c > 0) sb.Append("  ");
                bool right = _columns[c].IsNumeric;
                sb.Append(right ? cells[i][c].PadLeft(width[c]) : cells[i][c].PadRight(width[c]));
            }
            TrimEnd(sb);
            sb.Append('\n');
            if (i == 0)
            {
                for (int c = 0; c < n; c++) { if (c > 0) sb.Append("  "); sb.Append('-', width[c]); }
                sb.Append('\n');
            }
        }
        foreach (var note in _footnotes) sb.Append(OneLine(note)).Append('\n');
        return sb.ToString();
    }

    private static string OneLine(string s) => s.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ');

    private static void TrimEnd(StringBuilder sb)
    {
        while (sb.Length > 0 && sb[^1] == ' ') sb.Length--;
    }
}
