using System.Globalization;
using System.Text;

namespace ResearchKit.Tables;

public sealed partial class ResultsTable
{
    private const string MeanSuffix = "_mean", StdSuffix = "_std";

    /// <summary>
    /// RFC 4180 CSV (CRLF line ends, invariant culture) with raw values, not the displayed strings: full-precision
    /// doubles (NaN, Infinity, -0.0 kept), percentages as fractions, a mean ± std column as two columns
    /// <c>x_mean</c>,<c>x_std</c>, difference columns computed, missing values as empty fields. Text that would read
    /// back as a number or as missing (empty text) is quoted. Caption, footnotes and formats are not part of CSV.
    /// </summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        for (int c = 0; c < _columns.Count; c++)
        {
            if (c > 0) sb.Append(',');
            var col = _columns[c];
            if (col.Kind == ColumnKind.MeanStd)
            {
                CsvCodec.AppendText(sb, col.Header + MeanSuffix);
                sb.Append(',');
                CsvCodec.AppendText(sb, col.Header + StdSuffix);
            }
            else CsvCodec.AppendText(sb, col.Header);
        }
        sb.Append("\r\n");
        for (int r = 0; r < _rows.Count; r++)
        {
            for (int c = 0; c < _columns.Count; c++)
            {
                if (c > 0) sb.Append(',');
                switch (GetValue(r, c))
                {
                    case null:
                        if (_columns[c].Kind == ColumnKind.MeanStd) sb.Append(',');
                        break;
                    case string s: CsvCodec.AppendText(sb, s); break;
                    case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                    case double d: sb.Append(CsvCodec.FormatDouble(d)); break;
                    case MeanStd m: sb.Append(CsvCodec.FormatDouble(m.Mean)).Append(',').Append(CsvCodec.FormatDouble(m.Std)); break;
                }
            }
            sb.Append("\r\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Reads the CSV form back. Adjacent <c>x_mean</c>,<c>x_std</c> columns become one mean ± std column <c>x</c>;
    /// other kinds are inferred (any quoted or non-numeric value: text; all integers: integer; otherwise number)
    /// unless <paramref name="schema"/> has a column of the same header, whose kind, precision and highlighting are
    /// used (its name, caption and footnotes are copied too). Difference columns come back as plain numbers.
    /// </summary>
    /// <param name="csv">RFC 4180 text as written by <see cref="ToCsv"/> (LF line ends are accepted).</param>
    /// <param name="schema">Optional table whose column formats to reuse.</param>
    /// <exception cref="FormatException">Malformed CSV, ragged rows, or a value that does not fit its column.</exception>
    public static ResultsTable FromCsv(string csv, ResultsTable? schema = null)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var records = CsvCodec.Parse(csv);
        if (records.Count == 0)
            throw new FormatException("ResultsTable.FromCsv: the text is empty; expected a header line followed by data rows.");
        var header = records[0];
        for (int r = 1; r < records.Count; r++)
            if (records[r].Count != header.Count)
                throw new FormatException($"ResultsTable.FromCsv: record {r + 1} has {records[r].Count} fields but the header has {header.Count}; every row needs one field per header column.");

        var table = new ResultsTable(schema?.Name, schema?.Caption);
        if (schema is not null) table._footnotes.AddRange(schema._footnotes);
        // (header, first field index, kind, precision, higherIsBetter)
        var plan = new List<(string Header, int Field, ColumnKind Kind, int Precision, bool? Higher)>();
        for (int f = 0; f < header.Count; f++)
        {
            string h = header[f].Text;
            var known = schema?._columns.Find(c => c.Header == h);
            if (h.EndsWith(MeanSuffix, StringComparison.Ordinal) && f + 1 < header.Count
                && header[f + 1].Text == h[..^MeanSuffix.Length] + StdSuffix)
            {
                string baseHeader = h[..^MeanSuffix.Length];
                var ms = schema?._columns.Find(c => c.Header == baseHeader);
                plan.Add((baseHeader, f, ColumnKind.MeanStd, ms?.Precision ?? 2, ms?.HigherIsBetter));
                f++;
                continue;
            }
            var kind = known?.Kind ?? InferKind(records, f);
            if (kind == ColumnKind.MeanStd)
                throw new FormatException($"ResultsTable.FromCsv: column '{h}' is mean ± std in the schema, but the CSV lacks the '{h}{MeanSuffix}','{h}{StdSuffix}' pair.");
            plan.Add((h, f, kind, known?.Precision ?? (kind == ColumnKind.Percent ? 1 : 2), known?.HigherIsBetter));
        }
        foreach (var p in plan)
        {
            table.AddColumn(p.Header, p.Kind, p.Kind is ColumnKind.Text or ColumnKind.Integer ? 0 : p.Precision);
            table._columns[^1].HigherIsBetter = p.Higher;
        }
        for (int r = 1; r < records.Count; r++)
        {
            var row = new object?[plan.Count];
            for (int c = 0; c < plan.Count; c++)
                row[c] = ParseCell(records[r], plan[c].Field, plan[c].Kind, plan[c].Header, r + 1);
            table.AddRow(row);
        }
        return table;
    }

    private static ColumnKind InferKind(List<List<CsvCodec.Field>> records, int f)
    {
        bool any = false, allLong = true;
        for (int r = 1; r < records.Count; r++)
        {
            var field = records[r][f];
            if (field.Quoted) return ColumnKind.Text;
            if (field.Text.Length == 0) continue;
            any = true;
            if (!double.TryParse(field.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return ColumnKind.Text;
            allLong &= long.TryParse(field.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
        }
        return !any ? ColumnKind.Text : allLong ? ColumnKind.Integer : ColumnKind.Number;
    }

    private static object? ParseCell(List<CsvCodec.Field> record, int f, ColumnKind kind, string header, int recordNumber)
    {
        var field = record[f];
        if (kind == ColumnKind.Text) return field.Quoted || field.Text.Length > 0 ? field.Text : null;
        if (kind == ColumnKind.MeanStd)
        {
            var std = record[f + 1];
            if (field.Text.Length == 0 && std.Text.Length == 0) return null;
            return new MeanStd(ParseDouble(field.Text, header, recordNumber), ParseDouble(std.Text, header, recordNumber));
        }
        if (field.Text.Length == 0) return null;
        if (kind == ColumnKind.Integer)
            return long.TryParse(field.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? l
                : throw new FormatException($"ResultsTable.FromCsv: record {recordNumber}, column '{header}': '{field.Text}' is not an integer.");
        return ParseDouble(field.Text, header, recordNumber);
    }

    private static double ParseDouble(string text, string header, int recordNumber) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new FormatException($"ResultsTable.FromCsv: record {recordNumber}, column '{header}': '{text}' is not a number (invariant culture, e.g. 0.5, NaN, -Infinity).");
}
