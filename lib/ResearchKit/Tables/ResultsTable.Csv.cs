using System.Globalization;
using Deedle;

namespace ResearchKit.Tables;

public sealed partial class ResultsTable
{
    private const string MeanSuffix = "_mean", StdSuffix = "_std";

    /// <summary>
    /// CSV of the raw values, not the displayed strings, written by Deedle with the invariant culture: full-precision
    /// numbers, percentages as fractions, a mean ± std column as two columns <c>x_mean</c>,<c>x_std</c> (sample
    /// standard deviation, n − 1), difference columns computed, missing values (and NaN) as empty fields. Caption,
    /// footnotes and formats are not part of CSV. Read it back with <c>Frame.ReadCsv</c>.
    /// </summary>
    public string ToCsv()
    {
        // Rows first, then columns joined onto them, so a row of missing values still gets its line.
        var frame = Frame.FromRowKeys(Enumerable.Range(0, _rows.Count));
        for (int c = 0; c < _columns.Count; c++)
        {
            var col = _columns[c];
            var cells = Enumerable.Range(0, _rows.Count).Select(r => GetValue(r, c)).ToList();
            switch (col.Kind)
            {
                case ColumnKind.Text:
                    frame.AddColumn(col.Header, Column(cells, v => v as string));
                    break;
                case ColumnKind.Integer:
                    frame.AddColumn(col.Header, ValueColumn(cells, v => v as long?));
                    break;
                case ColumnKind.MeanStd:
                    frame.AddColumn(col.Header + MeanSuffix, ValueColumn(cells, v => (v as SampleSummary)?.Mean));
                    frame.AddColumn(col.Header + StdSuffix, ValueColumn(cells, v => (v as SampleSummary)?.StandardDeviation));
                    break;
                default:
                    frame.AddColumn(col.Header, ValueColumn(cells, NumberOf));
                    break;
            }
        }
        var sw = new StringWriter(CultureInfo.InvariantCulture);
        frame.SaveCsv(sw, includeRowKeys: false, keyNames: null, separator: ',', culture: CultureInfo.InvariantCulture);
        return sw.ToString();
    }

    private static Series<int, T> Column<T>(List<object?> cells, Func<object?, T?> value) where T : class
    {
        var b = new SeriesBuilder<int, T>();
        for (int r = 0; r < cells.Count; r++) if (value(cells[r]) is { } v) b.Add(r, v);
        return b.Series;
    }

    private static Series<int, T> ValueColumn<T>(List<object?> cells, Func<object?, T?> value) where T : struct
    {
        var b = new SeriesBuilder<int, T>();
        for (int r = 0; r < cells.Count; r++) if (value(cells[r]) is { } v) b.Add(r, v);
        return b.Series;
    }
}
