namespace ResearchKit.Tables;

public sealed partial class ResultsTable
{
    /// <summary>
    /// Builds a thesis-style table from flat records (one per run): one row per <paramref name="rowKey"/>
    /// (e.g. configuration), one column per <paramref name="columnKey"/> (e.g. sparsity level), both in order of
    /// first appearance. Records sharing a cell are replicates (seeds): <see cref="ColumnKind.MeanStd"/> shows
    /// mean ± sample std, <see cref="ColumnKind.Number"/> and <see cref="ColumnKind.Percent"/> show their mean.
    /// Cells without records are missing.
    /// </summary>
    /// <typeparam name="T">Record type.</typeparam>
    /// <param name="records">The runs.</param>
    /// <param name="rowKey">Row label of a record.</param>
    /// <param name="columnKey">Column header of a record.</param>
    /// <param name="value">The measured value of a record.</param>
    /// <param name="rowHeader">Header of the label column.</param>
    /// <param name="valueKind">MeanStd, Number or Percent.</param>
    /// <param name="precision">Decimals shown.</param>
    /// <param name="name">Stable export name.</param>
    /// <param name="caption">Caption.</param>
    /// <exception cref="ArgumentException">Another kind, a column key equal to <paramref name="rowHeader"/>, or a null key.</exception>
    public static ResultsTable Pivot<T>(
        IEnumerable<T> records,
        Func<T, string> rowKey,
        Func<T, string> columnKey,
        Func<T, double> value,
        string rowHeader = "",
        ColumnKind valueKind = ColumnKind.MeanStd,
        int precision = 2,
        string? name = null,
        string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(rowKey);
        ArgumentNullException.ThrowIfNull(columnKey);
        ArgumentNullException.ThrowIfNull(value);
        if (valueKind is not (ColumnKind.MeanStd or ColumnKind.Number or ColumnKind.Percent))
            throw new ArgumentException($"ResultsTable.Pivot: valueKind {valueKind} cannot aggregate replicates; use MeanStd, Number (mean) or Percent (mean).", nameof(valueKind));

        var rows = new List<string>();
        var columns = new List<string>();
        var cells = new Dictionary<(string Row, string Column), List<double>>();
        foreach (var record in records)
        {
            string r = rowKey(record) ?? throw new ArgumentException("ResultsTable.Pivot: rowKey returned null; return a label for every record.", nameof(rowKey));
            string c = columnKey(record) ?? throw new ArgumentException("ResultsTable.Pivot: columnKey returned null; return a header for every record.", nameof(columnKey));
            if (!cells.TryGetValue((r, c), out var list))
            {
                cells[(r, c)] = list = [];
                if (!rows.Contains(r)) rows.Add(r);
                if (!columns.Contains(c)) columns.Add(c);
            }
            list.Add(value(record));
        }

        var table = new ResultsTable(name, caption);
        table.AddTextColumn(string.IsNullOrEmpty(rowHeader) ? " " : rowHeader);
        foreach (var c in columns)
        {
            if (c == table._columns[0].Header)
                throw new ArgumentException($"ResultsTable.Pivot: column key '{c}' equals the row header; choose a different rowHeader.", nameof(rowHeader));
            table.AddColumn(c, valueKind, precision);
        }
        foreach (var r in rows)
        {
            var row = new object?[columns.Count + 1];
            row[0] = r;
            for (int j = 0; j < columns.Count; j++)
            {
                if (!cells.TryGetValue((r, columns[j]), out var samples)) continue;
                var ms = MeanStd.FromSamples(samples);
                row[j + 1] = valueKind == ColumnKind.MeanStd ? ms : ms.Mean;
            }
            table.AddRow(row);
        }
        return table;
    }
}
