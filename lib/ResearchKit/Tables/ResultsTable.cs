using System.Globalization;
using ResearchKit.Display;

namespace ResearchKit.Tables;

/// <summary>
/// A results table ready for a paper: typed columns, "mean ± std" over seeds, best value per column in bold,
/// a thesis reference with the signed difference, caption, footnotes and a stable <see cref="Name"/>; rendered to
/// HTML, Markdown, CSV (round-trips through <see cref="FromCsv"/>), LaTeX (booktabs) and aligned plain text.
/// </summary>
/// <example>
/// <code>
/// var t = ResultsTable.Pivot(runs, r =&gt; r.Config, r =&gt; $"{r.Sparsity:P0}", r =&gt; r.Accuracy,
///                            rowHeader: "Configuration", name: "table4-2", caption: "Clean accuracy (%)");
/// t.HighlightBest("50%").AddFootnote("preset quick; thesis used paper");
/// File.WriteAllText("table4-2.tex", t.ToLatex());
/// </code>
/// </example>
[TypeFormatterSource(typeof(RichDisplayFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed partial class ResultsTable : IRichDisplay
{
    private readonly List<TableColumn> _columns = [];
    private readonly List<List<object?>> _rows = [];
    private readonly List<string> _footnotes = [];
    private string? _name;

    /// <summary>Creates an empty table; add columns, then rows.</summary>
    /// <param name="name">Stable export name such as <c>"table4-2"</c> (file name and LaTeX label <c>tab:name</c>).</param>
    /// <param name="caption">Caption shown above (HTML, Markdown) or in <c>\caption{}</c> (LaTeX).</param>
    public ResultsTable(string? name = null, string? caption = null)
    {
        Name = name;
        Caption = caption;
    }

    /// <summary>Stable export name (letters, digits, '.', '-', '_'; starts with a letter or digit), e.g. <c>"table4-2"</c>.</summary>
    /// <exception cref="ArgumentException">The name contains other characters (it is used as a file name and a LaTeX label).</exception>
    public string? Name
    {
        get => _name;
        set
        {
            if (value is not null && !IsValidName(value))
                throw new ArgumentException($"ResultsTable.Name: '{value}' is not a valid export name; use letters, digits, '.', '-' and '_' only, starting with a letter or digit (e.g. \"table4-2\").", nameof(value));
            _name = value;
        }
    }

    /// <summary>Caption text (plain text; escaped for each output format).</summary>
    public string? Caption { get; set; }

    /// <summary>The columns in display order, including thesis and difference columns.</summary>
    public IReadOnlyList<TableColumn> Columns => _columns;

    /// <summary>Number of data rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Notes printed under the table, e.g. "preset quick; thesis used paper".</summary>
    public IReadOnlyList<string> Footnotes => _footnotes;

    /// <summary>Adds a column; existing rows get a missing value in it.</summary>
    /// <param name="header">Unique header text.</param>
    /// <param name="kind">Cell type.</param>
    /// <param name="precision">Decimals shown for numeric kinds (0–15).</param>
    /// <exception cref="ArgumentException">Duplicate or empty header, or precision out of range.</exception>
    public ResultsTable AddColumn(string header, ColumnKind kind, int precision = 2)
    {
        InsertColumn(_columns.Count, new TableColumn(CheckNewHeader(header), kind, CheckPrecision(precision)));
        return this;
    }

    /// <summary>Adds a <see cref="ColumnKind.Text"/> column.</summary>
    /// <param name="header">Unique header text.</param>
    public ResultsTable AddTextColumn(string header) => AddColumn(header, ColumnKind.Text, 0);

    /// <summary>Adds an <see cref="ColumnKind.Integer"/> column.</summary>
    /// <param name="header">Unique header text.</param>
    public ResultsTable AddIntegerColumn(string header) => AddColumn(header, ColumnKind.Integer, 0);

    /// <summary>Adds a <see cref="ColumnKind.Number"/> column.</summary>
    /// <param name="header">Unique header text.</param>
    /// <param name="precision">Decimals shown.</param>
    public ResultsTable AddNumberColumn(string header, int precision = 2) => AddColumn(header, ColumnKind.Number, precision);

    /// <summary>Adds a <see cref="ColumnKind.MeanStd"/> column; cells take a <see cref="MeanStd"/> or the replicates (double[]/float[]/IEnumerable&lt;double&gt;).</summary>
    /// <param name="header">Unique header text.</param>
    /// <param name="precision">Decimals shown for mean and std.</param>
    public ResultsTable AddMeanStdColumn(string header, int precision = 2) => AddColumn(header, ColumnKind.MeanStd, precision);

    /// <summary>Adds a <see cref="ColumnKind.Percent"/> column; cells are fractions (0.923 shows as 92.3%).</summary>
    /// <param name="header">Unique header text.</param>
    /// <param name="precision">Decimals of the percentage shown.</param>
    public ResultsTable AddPercentColumn(string header, int precision = 1) => AddColumn(header, ColumnKind.Percent, precision);

    /// <summary>
    /// Appends a row with one value per stored column in display order (every column except the computed
    /// <see cref="ColumnRole.Difference"/> columns). <c>null</c> is a missing value.
    /// </summary>
    /// <param name="values">Text: any value (formatted with the invariant culture); Integer: integral types;
    /// Number/Percent: numeric types; MeanStd: <see cref="MeanStd"/>, a number, or the replicates.</param>
    /// <exception cref="ArgumentException">Wrong number of values, or a value that does not fit its column.</exception>
    public ResultsTable AddRow(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var stored = StoredColumnIndices();
        if (values.Length != stored.Count)
        {
            var expected = string.Join(", ", stored.Select(i => _columns[i].Header));
            throw new ArgumentException($"ResultsTable.AddRow: got {values.Length} values for {stored.Count} columns ({expected}); pass one value per column in this order (null for a missing value; difference columns are computed).", nameof(values));
        }
        var row = new List<object?>(new object?[_columns.Count]);
        for (int k = 0; k < stored.Count; k++)
            row[stored[k]] = Normalize(_columns[stored[k]], values[k], _rows.Count);
        _rows.Add(row);
        return this;
    }

    /// <summary>Sets one stored cell.</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column header.</param>
    /// <param name="value">New value (see <see cref="AddRow"/>), null for missing.</param>
    /// <exception cref="ArgumentException">Unknown column, a difference column, or a value that does not fit.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Row index out of range.</exception>
    public void SetCell(int row, string column, object? value)
    {
        CheckRow(row);
        int c = ColumnIndex(column);
        if (_columns[c].Role == ColumnRole.Difference)
            throw new ArgumentException($"ResultsTable.SetCell: column '{column}' is computed (ours − thesis); set the compared or the thesis column instead.", nameof(column));
        _rows[row][c] = Normalize(_columns[c], value, row);
    }

    /// <summary>The value of a cell: string, long, double, <see cref="MeanStd"/>, or null when missing; difference cells are computed.</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column header.</param>
    public object? this[int row, string column]
    {
        get
        {
            CheckRow(row);
            return GetValue(row, ColumnIndex(column));
        }
    }

    /// <summary>The numeric value of a cell used for ranking and differences (the mean for <see cref="MeanStd"/>), or null.</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column header.</param>
    public double? GetNumber(int row, string column)
    {
        CheckRow(row);
        return NumberOf(GetValue(row, ColumnIndex(column)));
    }

    /// <summary>Adds a note printed under the table.</summary>
    /// <param name="note">Plain text, escaped per output format.</param>
    public ResultsTable AddFootnote(string note)
    {
        ArgumentException.ThrowIfNullOrEmpty(note);
        _footnotes.Add(note);
        return this;
    }

    /// <summary>
    /// Renders the best value of <paramref name="column"/> in bold (HTML, Markdown, LaTeX). Values are compared as
    /// displayed (rounded to the column's precision), so every row that shows the best value is bold; missing and NaN
    /// cells never are.
    /// </summary>
    /// <param name="column">A numeric column.</param>
    /// <param name="higherIsBetter">True for accuracy-like metrics, false for error/loss-like ones.</param>
    /// <exception cref="ArgumentException">Unknown or text column.</exception>
    public ResultsTable HighlightBest(string column, bool higherIsBetter = true)
    {
        var col = _columns[ColumnIndex(column)];
        if (!col.IsNumeric)
            throw new ArgumentException($"ResultsTable.HighlightBest: column '{column}' holds text; only numeric columns have a best value.", nameof(column));
        col.HigherIsBetter = higherIsBetter;
        return this;
    }

    /// <summary>Rows rendered in bold for <paramref name="column"/> (empty when the column is not highlighted or has no values).</summary>
    /// <param name="column">Column header.</param>
    public IReadOnlyList<int> BestRows(string column) => BestRows(ColumnIndex(column));

    /// <summary>
    /// Inserts, right after <paramref name="column"/>, a thesis reference column and a computed difference column
    /// Δ = ours − thesis (signed, same precision; the mean for mean ± std cells).
    /// </summary>
    /// <param name="column">Our numeric column.</param>
    /// <param name="thesisValues">One value per existing row (null when the thesis has none).</param>
    /// <param name="thesisHeader">Defaults to "<paramref name="column"/> (thesis)".</param>
    /// <param name="deltaHeader">Defaults to "Δ <paramref name="column"/>".</param>
    /// <exception cref="ArgumentException">Unknown or text column, wrong number of values, or a duplicate header.</exception>
    public ResultsTable AddThesisReference(string column, IReadOnlyList<double?> thesisValues, string? thesisHeader = null, string? deltaHeader = null)
    {
        ArgumentNullException.ThrowIfNull(thesisValues);
        if (thesisValues.Count != _rows.Count)
            throw new ArgumentException($"ResultsTable.AddThesisReference: got {thesisValues.Count} thesis values for {_rows.Count} rows; add the rows first and pass one value per row (null where the thesis has none), or pass a dictionary keyed by row label.", nameof(thesisValues));
        int thesis = InsertThesisColumns(column, thesisHeader, deltaHeader);
        for (int r = 0; r < _rows.Count; r++) _rows[r][thesis] = thesisValues[r];
        return this;
    }

    /// <summary>
    /// Like <see cref="AddThesisReference(string, IReadOnlyList{double?}, string?, string?)"/>, matching rows by their label:
    /// the text of the first text column. Rows without an entry get a missing thesis value.
    /// </summary>
    /// <param name="column">Our numeric column.</param>
    /// <param name="thesisByRowLabel">Thesis value per row label.</param>
    /// <param name="thesisHeader">Defaults to "<paramref name="column"/> (thesis)".</param>
    /// <param name="deltaHeader">Defaults to "Δ <paramref name="column"/>".</param>
    /// <exception cref="ArgumentException">No text column to take labels from, unknown or text column, or a duplicate header.</exception>
    public ResultsTable AddThesisReference(string column, IReadOnlyDictionary<string, double> thesisByRowLabel, string? thesisHeader = null, string? deltaHeader = null)
    {
        ArgumentNullException.ThrowIfNull(thesisByRowLabel);
        int label = _columns.FindIndex(c => c.Kind == ColumnKind.Text);
        if (label < 0)
            throw new ArgumentException("ResultsTable.AddThesisReference: the table has no text column to take row labels from; pass a list with one value per row instead.", nameof(thesisByRowLabel));
        int thesis = InsertThesisColumns(column, thesisHeader, deltaHeader);
        if (thesis <= label) label += 2;
        for (int r = 0; r < _rows.Count; r++)
            _rows[r][thesis] = _rows[r][label] is string key && thesisByRowLabel.TryGetValue(key, out var v) ? v : null;
        return this;
    }

    /// <summary>
    /// The MIME bundle: <c>text/plain</c> (aligned text), <c>text/html</c>, <c>text/markdown</c>, plus <c>text/latex</c>
    /// and <c>text/csv</c>, which the notebook runner keeps as export formats for <c>rk nb export</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> ToMimeBundle() => new Dictionary<string, string>
    {
        ["text/plain"] = ToText(),
        ["text/html"] = ToHtml(),
        ["text/markdown"] = ToMarkdown(),
        ["text/latex"] = ToLatex(),
        ["text/csv"] = ToCsv(),
    };

    /// <summary>The aligned plain-text form (<see cref="ToText"/>).</summary>
    public override string ToString() => ToText();

    // ---- internals -------------------------------------------------------------------------------------------

    private static bool IsValidName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetterOrDigit(name[0])) return false;
        foreach (var ch in name)
            if (!char.IsAsciiLetterOrDigit(ch) && ch is not ('.' or '-' or '_')) return false;
        return true;
    }

    private string CheckNewHeader(string header)
    {
        ArgumentException.ThrowIfNullOrEmpty(header);
        if (_columns.Exists(c => c.Header == header))
            throw new ArgumentException($"ResultsTable: a column named '{header}' already exists; column headers must be unique.", nameof(header));
        return header;
    }

    private static int CheckPrecision(int precision) =>
        precision is < 0 or > 15
            ? throw new ArgumentOutOfRangeException(nameof(precision), precision, "ResultsTable: precision must be between 0 and 15 decimals.")
            : precision;

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)_rows.Count)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"ResultsTable: row {row} does not exist; the table has {_rows.Count} rows.");
    }

    internal int ColumnIndex(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        int i = _columns.FindIndex(c => c.Header == header);
        if (i < 0)
            throw new ArgumentException($"ResultsTable: no column '{header}'; the columns are: {string.Join(", ", _columns.Select(c => c.Header))}.", nameof(header));
        return i;
    }

    private List<int> StoredColumnIndices()
    {
        var list = new List<int>(_columns.Count);
        for (int i = 0; i < _columns.Count; i++)
            if (_columns[i].Role != ColumnRole.Difference) list.Add(i);
        return list;
    }

    private void InsertColumn(int at, TableColumn column)
    {
        _columns.Insert(at, column);
        foreach (var row in _rows) row.Insert(at, null);
    }

    private int InsertThesisColumns(string column, string? thesisHeader, string? deltaHeader)
    {
        int ours = ColumnIndex(column);
        var col = _columns[ours];
        if (!col.IsNumeric)
            throw new ArgumentException($"ResultsTable.AddThesisReference: column '{column}' holds text; the thesis comparison needs a numeric column.", nameof(column));
        string th = CheckNewHeader(thesisHeader ?? $"{column} (thesis)");
        string dh = deltaHeader ?? $"Δ {column}";
        if (dh == th) throw new ArgumentException($"ResultsTable.AddThesisReference: thesis and difference headers are both '{dh}'; give them different names.", nameof(deltaHeader));
        CheckNewHeader(dh);
        // A thesis reports one number: mean ± std columns compare against a plain number of the same precision.
        var kind = col.Kind == ColumnKind.Percent ? ColumnKind.Percent : ColumnKind.Number;
        InsertColumn(ours + 1, new TableColumn(th, kind, col.Precision, ColumnRole.ThesisReference, col.Header));
        InsertColumn(ours + 2, new TableColumn(dh, kind, col.Precision, ColumnRole.Difference, col.Header));
        return ours + 1;
    }

    internal object? GetValue(int row, int column)
    {
        var col = _columns[column];
        if (col.Role != ColumnRole.Difference) return _rows[row][column];
        int ours = ColumnIndex(col.ComparedWith!);
        double? a = NumberOf(_rows[row][ours]), b = NumberOf(_rows[row][ours + 1]);
        return a is double x && b is double y ? x - y : null;
    }

    internal static double? NumberOf(object? value) => value switch
    {
        double d => d,
        long l => l,
        MeanStd m => m.Mean,
        _ => null,
    };

    private static object? Normalize(TableColumn col, object? value, int row)
    {
        if (value is null) return null;
        switch (col.Kind)
        {
            case ColumnKind.Text:
                return value as string ?? (value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString());
            case ColumnKind.Integer:
                return value switch
                {
                    long l => l, int i => (long)i, short s => (long)s, sbyte sb => (long)sb,
                    byte b => (long)b, ushort us => (long)us, uint ui => (long)ui,
                    ulong ul when ul <= long.MaxValue => (long)ul,
                    _ => throw Mismatch(col, value, row, "an integer (int/long)"),
                };
            case ColumnKind.Number:
            case ColumnKind.Percent:
                return ToDouble(value) ?? throw Mismatch(col, value, row, "a number (double/float/int)");
            case ColumnKind.MeanStd:
                if (value is MeanStd m) return m;
                if (ToDouble(value) is double single) return new MeanStd(single, 0, 1);
                if (value is float[] fs) return MeanStd.FromSamples(Array.ConvertAll(fs, x => (double)x));
                if (value is IEnumerable<double> ds) return MeanStd.FromSamples(ds);
                if (value is ValueTuple<double, double> t) return new MeanStd(t.Item1, t.Item2);
                throw Mismatch(col, value, row, "a MeanStd, a (mean, std) tuple, or the replicates as double[]");
            default:
                throw new InvalidOperationException($"Unknown column kind {col.Kind}.");
        }
    }

    private static double? ToDouble(object value) => value switch
    {
        double d => d, float f => f, int i => i, long l => l, short s => s, byte b => b,
        uint ui => ui, ulong ul => ul, decimal m => (double)m,
        _ => null,
    };

    private static ArgumentException Mismatch(TableColumn col, object value, int row, string expected) =>
        new($"ResultsTable: row {row}, column '{col.Header}' ({col.Kind}) needs {expected}, got {value.GetType().Name} '{value}'.");

    private IReadOnlyList<int> BestRows(int column)
    {
        var col = _columns[column];
        if (col.HigherIsBetter is not bool higher) return [];
        // Rank by the displayed value so rows that print the same number tie (a reader could not tell them apart).
        double best = double.NaN;
        var keys = new double?[_rows.Count];
        for (int r = 0; r < _rows.Count; r++)
        {
            if (NumberOf(GetValue(r, column)) is not double v || double.IsNaN(v)) continue;
            double key = DisplayKey(col, v);
            keys[r] = key;
            if (double.IsNaN(best) || (higher ? key > best : key < best)) best = key;
        }
        var rows = new List<int>();
        for (int r = 0; r < keys.Length; r++)
            if (keys[r] is double k && k.Equals(best)) rows.Add(r);
        return rows;
    }

    private static double DisplayKey(TableColumn col, double v)
    {
        if (col.Kind == ColumnKind.Integer || double.IsInfinity(v)) return v;
        double shown = col.Kind == ColumnKind.Percent ? v * 100 : v;
        return double.Parse(shown.ToString("F" + col.Precision, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + 0.0;
    }
}
