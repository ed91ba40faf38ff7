using System.Globalization;

namespace ResearchKit.Tables;

public sealed partial class ResultsTable
{
    /// <summary>Output flavours differ only in the ± sign, percent sign, minus sign and the missing-value mark.</summary>
    internal enum Flavor { Plain, Html, Markdown, Latex }

    /// <summary>Displayed text of a numeric cell (not escaped for text cells: callers escape text themselves).</summary>
    internal string FormatCell(int row, int column, Flavor flavor)
    {
        var col = _columns[column];
        var value = GetValue(row, column);
        if (value is null) return flavor == Flavor.Latex ? "--" : "—";
        bool signed = col.Role == ColumnRole.Difference;
        return value switch
        {
            string s => s,
            long l => Minus(l.ToString(CultureInfo.InvariantCulture), flavor),
            // One replicate has no spread to report: show the mean alone rather than a misleading "± 0".
            SampleSummary { Count: 1 } m => FormatNumber(m.Mean, col.Precision, false, flavor),
            SampleSummary m => FormatNumber(m.Mean, col.Precision, false, flavor)
                         + (flavor == Flavor.Latex ? " $\\pm$ " : " ± ")
                         + FormatNumber(m.StandardDeviation, col.Precision, false, flavor),
            double d when col.Kind == ColumnKind.Percent => FormatNumber(d * 100, col.Precision, signed, flavor)
                         + (double.IsFinite(d) ? (flavor == Flavor.Latex ? "\\%" : "%") : ""),
            double d => FormatNumber(d, col.Precision, signed, flavor),
            _ => value.ToString() ?? "",
        };
    }

    /// <summary>Fixed-point text with invariant culture; "-0.00" becomes "0.00"; differences get an explicit '+'.</summary>
    internal static string FormatNumber(double v, int precision, bool signed, Flavor flavor)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsInfinity(v))
            return flavor == Flavor.Latex ? (v > 0 ? "$\\infty$" : "$-\\infty$") : (v > 0 ? (signed ? "+Inf" : "Inf") : "-Inf");
        string s = v.ToString("F" + precision, CultureInfo.InvariantCulture);
        bool zero = true;
        foreach (var ch in s)
            if (ch is >= '1' and <= '9') { zero = false; break; }
        if (zero) return s.TrimStart('-');
        if (signed && s[0] != '-') s = "+" + s;
        return Minus(s, flavor);
    }

    /// <summary>LaTeX text mode would print '-' as a hyphen; a math minus reads as a number in a paper.</summary>
    private static string Minus(string s, Flavor flavor) =>
        flavor == Flavor.Latex && s.StartsWith('-') ? "$-$" + s[1..] : s;

    /// <summary>True when the cell should render bold.</summary>
    internal static bool IsBest(IReadOnlyList<int> bestRows, int row)
    {
        for (int i = 0; i < bestRows.Count; i++) if (bestRows[i] == row) return true;
        return false;
    }

    internal IReadOnlyList<int>[] AllBestRows()
    {
        var best = new IReadOnlyList<int>[_columns.Count];
        for (int c = 0; c < best.Length; c++) best[c] = BestRows(c);
        return best;
    }
}
