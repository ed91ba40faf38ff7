using System.Globalization;
using System.Text;

namespace ResearchKit.Tables;

/// <summary>RFC 4180 fields: CRLF records, fields quoted when needed, quotes doubled.</summary>
internal static class CsvCodec
{
    /// <summary>A parsed field; <see cref="Quoted"/> distinguishes <c>""</c> (empty text) from an empty (missing) field.</summary>
    internal readonly record struct Field(string Text, bool Quoted);

    /// <summary>Appends a text field, quoting it when RFC 4180 requires it or when it would otherwise read back as a number or as missing.</summary>
    public static void AppendText(StringBuilder sb, string text)
    {
        bool quote = text.Length == 0 || text.AsSpan().IndexOfAny(",\"\r\n") >= 0
                     || char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])
                     || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (!quote) { sb.Append(text); return; }
        sb.Append('"').Append(text.Replace("\"", "\"\"")).Append('"');
    }

    /// <summary>Shortest round-trip form; a ".0" keeps whole doubles apart from integers when read back.</summary>
    public static string FormatDouble(double v)
    {
        string s = v.ToString("R", CultureInfo.InvariantCulture);
        foreach (var ch in s)
            if (ch is not ('-' or (>= '0' and <= '9'))) return s;
        return s + ".0";
    }

    /// <summary>Parses RFC 4180 text (CRLF or LF line ends; a final line break is optional).</summary>
    /// <exception cref="FormatException">Unterminated quote or a character after a closing quote.</exception>
    public static List<List<Field>> Parse(string csv)
    {
        var records = new List<List<Field>>();
        var record = new List<Field>();
        var field = new StringBuilder();
        int i = 0, line = 1;
        bool atRecordStart = true;
        while (i < csv.Length)
        {
            atRecordStart = false;
            bool quoted = false;
            field.Clear();
            if (csv[i] == '"')
            {
                quoted = true;
                int startLine = line;
                i++;
                while (true)
                {
                    if (i >= csv.Length)
                        throw new FormatException($"ResultsTable.FromCsv: the quoted field starting on line {startLine} is never closed; a field's closing '\"' is missing.");
                    char ch = csv[i];
                    if (ch == '"')
                    {
                        if (i + 1 < csv.Length && csv[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    if (ch == '\n') line++;
                    field.Append(ch);
                    i++;
                }
                if (i < csv.Length && csv[i] is not (',' or '\r' or '\n'))
                    throw new FormatException($"ResultsTable.FromCsv: line {line}: unexpected '{csv[i]}' after a closing quote; quotes inside a field must be doubled (\"\").");
            }
            else
            {
                while (i < csv.Length && csv[i] is not (',' or '\r' or '\n'))
                {
                    if (csv[i] == '"')
                        throw new FormatException($"ResultsTable.FromCsv: line {line}: a '\"' inside an unquoted field; quote the field and double the quote.");
                    field.Append(csv[i++]);
                }
            }
            record.Add(new Field(field.ToString(), quoted));
            if (i >= csv.Length) break;
            if (csv[i] == ',') { i++; if (i >= csv.Length) record.Add(new Field("", false)); continue; }
            // End of record: CRLF or LF (a lone CR is accepted too).
            if (csv[i] == '\r' && i + 1 < csv.Length && csv[i + 1] == '\n') i++;
            i++;
            line++;
            records.Add(record);
            record = [];
            atRecordStart = true;
        }
        if (!atRecordStart || record.Count > 0) records.Add(record);
        return records;
    }
}
