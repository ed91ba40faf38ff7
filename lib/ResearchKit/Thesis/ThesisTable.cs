namespace ResearchKit.Thesis;

/// <summary>A results table of the thesis as printed: numeric cells by row label and column header.</summary>
/// <param name="Id">Table number, e.g. "4.3".</param>
/// <param name="Section">Section the table belongs to.</param>
/// <param name="Page">Page in the thesis.</param>
/// <param name="Units">Units of the cells.</param>
/// <param name="Columns">Column headers as printed.</param>
/// <param name="Rows">Rows in printed order.</param>
public sealed record ThesisTable(string Id, string Section, int Page, string Units, IReadOnlyList<string> Columns, IReadOnlyList<ThesisRow> Rows)
{
    /// <summary>"Table 4.3 (§4.5.3, p. 78)".</summary>
    public string Citation => $"Table {Id} ({Section}, p. {Page})";

    /// <summary>The cell at <paramref name="row"/> and <paramref name="column"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such row, or no number in that cell; the message lists what exists.</exception>
    public double Value(string row, string column)
    {
        var r = Row(row);
        return r.Values.TryGetValue(column, out double v) ? v
            : throw new KeyNotFoundException($"{Citation} has no number in row '{row}', column '{column}'; the columns with numbers there: {string.Join(", ", r.Values.Keys)}.");
    }

    /// <summary>The cell at <paramref name="row"/> and <paramref name="column"/>, if the table prints a number there.</summary>
    public bool TryValue(string row, string column, out double value)
    {
        value = double.NaN;
        foreach (var r in Rows)
            if (r.Label == row) return r.Values.TryGetValue(column, out value);
        return false;
    }

    /// <summary>The cell at <paramref name="row"/> and <paramref name="column"/> as printed: its text (e.g. "binary", "–", "CIFAR-10")
    /// when the thesis prints one there, otherwise its number (invariant culture).</summary>
    /// <exception cref="KeyNotFoundException">No such row, or the row has nothing in that column.</exception>
    public string Printed(string row, string column)
    {
        var r = Row(row);
        if (r.Text.TryGetValue(column, out var text)) return text;
        return r.Values.TryGetValue(column, out double v) ? v.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new KeyNotFoundException($"{Citation} prints nothing in row '{row}', column '{column}'; its columns there: {string.Join(", ", r.Values.Keys.Concat(r.Text.Keys).Distinct())}.");
    }

    /// <summary>The row labelled <paramref name="label"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such row; the message lists the labels.</exception>
    public ThesisRow Row(string label)
    {
        foreach (var r in Rows) if (r.Label == label) return r;
        throw new KeyNotFoundException($"{Citation} has no row '{label}'; its rows: {string.Join(", ", Rows.Select(r => "'" + r.Label + "'"))}.");
    }
}
