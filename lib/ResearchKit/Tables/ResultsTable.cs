using System.Globalization;
using Deedle;
using ResearchKit.Display;

namespace ResearchKit.Tables;

/// <summary>
/// Renders a Deedle frame as a results table ready for a paper: HTML (notebook display), Markdown, LaTeX (booktabs),
/// CSV and aligned plain text, with "mean ± std" over seeds (<see cref="SampleSummary"/> cells), the best value per
/// column in bold, the thesis' value beside ours with the signed difference Δ, caption, footnotes and a stable
/// <see cref="Name"/> (the file name <c>rk nb export</c> writes the LaTeX and CSV forms to). Grouping, pivots and
/// aggregation happen on the frame (see <see cref="ResultFrames"/>); the table only adds presentation.
/// </summary>
/// <example>
/// <code>
/// var runs = store.List().ToFrame();
/// var t = ResultsTable.From(runs.PivotSummary("configuration", "sparsity", "accuracy"), "table4-2",
///                           "Clean accuracy (%)", rowHeader: "Configuration");
/// t.HighlightBest("50%").AddThesisReference("50%", thesisByConfiguration).AddFootnote("preset quick; thesis used paper");
/// File.WriteAllText("table4-2.tex", t.ToLatex());
/// </code>
/// </example>
[TypeFormatterSource(typeof(RichDisplayFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed partial class ResultsTable : IRichDisplay
{
    private readonly List<TableColumn> _columns = [];
    private readonly List<List<object?>> _rows = [];
    /// <summary>The frame's rows, for thesis lookups that read other columns of a row.</summary>
    private readonly List<ObjectSeries<string>> _frameRows = [];
    private readonly List<string> _footnotes = [];
    private string? _name;

    private ResultsTable(string? name, string? caption)
    {
        Name = name;
        Caption = caption;
    }

    /// <summary>
    /// A table of <paramref name="frame"/>: one row per frame row, one column per frame column, in the frame's order.
    /// Cells keep their type: text (<see cref="string"/>; booleans, dates and other values as invariant text),
    /// integers, floating-point numbers (2 decimals; see <see cref="Decimals"/>, <see cref="Percent"/>) and
    /// <see cref="SampleSummary"/> ("mean ± std"). Missing values (Deedle's, including NaN in numeric columns) show as "—".
    /// </summary>
    /// <typeparam name="R">Row key type.</typeparam>
    /// <param name="frame">The results; the table is a snapshot (later changes to the frame do not show).</param>
    /// <param name="name">Stable export name such as <c>"table4-2"</c> (file name and LaTeX label <c>tab:name</c>).</param>
    /// <param name="caption">Caption shown above (HTML, Markdown) or in <c>\caption{}</c> (LaTeX).</param>
    /// <param name="rowHeader">When set, the row keys are shown as a first text column with this header (e.g. the
    /// configuration of a pivot); when null they are not shown (e.g. ordinal keys).</param>
    /// <exception cref="ArgumentException">Invalid name, or <paramref name="rowHeader"/> equal to a column key.</exception>
    public static ResultsTable From<R>(Frame<R, string> frame, string? name = null, string? caption = null, string? rowHeader = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var table = new ResultsTable(name, caption);
        var keys = frame.RowKeys.ToList();
        if (rowHeader is not null)
        {
            string header = rowHeader.Length == 0 ? " " : rowHeader;
            if (frame.ColumnKeys.Contains(header))
                throw new ArgumentException($"ResultsTable.From: rowHeader '{header}' is also a column of the frame; choose another header for the row keys.", nameof(rowHeader));
            table._columns.Add(new TableColumn(header, ColumnKind.Text, 0));
        }
        table._rows.AddRange(keys.Select(k => rowHeader is null ? new List<object?>() : [InvariantText(k)]));
        foreach (var (key, type) in frame.ColumnKeys.Zip(frame.ColumnTypes))
        {
            ArgumentException.ThrowIfNullOrEmpty(key, "frame column key");
            var column = frame.GetColumn<object>(key);
            var values = keys.Select(k => column.TryGet(k) is { HasValue: true } v ? Normalize(v.Value) : null).ToList();
            var kind = KindOf(type, values);
            table._columns.Add(new TableColumn(key, kind, kind is ColumnKind.Text or ColumnKind.Integer ? 0 : 2));
            for (int r = 0; r < values.Count; r++)
                table._rows[r].Add(kind switch
                {
                    ColumnKind.Text => values[r] is null ? null : InvariantText(values[r]),
                    ColumnKind.Number when values[r] is long l => (double)l,
                    _ => values[r],
                });
        }
        table._frameRows.AddRange(frame.Rows.Values);
        return table;
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

    /// <summary>The columns in display order, including the row-key, thesis and difference columns.</summary>
    public IReadOnlyList<TableColumn> Columns => _columns;

    /// <summary>Number of data rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Notes printed under the table, e.g. "preset quick; thesis used paper".</summary>
    public IReadOnlyList<string> Footnotes => _footnotes;

    /// <summary>The value of a cell: string, long, double, <see cref="SampleSummary"/>, or null when missing; difference cells are computed.</summary>
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

    /// <summary>The numeric value of a cell used for ranking and differences (the mean of a <see cref="SampleSummary"/>), or null.</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column header.</param>
    public double? GetNumber(int row, string column)
    {
        CheckRow(row);
        return NumberOf(GetValue(row, ColumnIndex(column)));
    }

    /// <summary>Shows <paramref name="column"/> with <paramref name="decimals"/> decimals (CSV keeps full precision).</summary>
    /// <param name="column">A floating-point, percent or mean ± std column.</param>
    /// <param name="decimals">0–15.</param>
    /// <exception cref="ArgumentException">Unknown, text or integer column.</exception>
    public ResultsTable Decimals(string column, int decimals)
    {
        var col = _columns[ColumnIndex(column)];
        if (col.Kind is ColumnKind.Text or ColumnKind.Integer)
            throw new ArgumentException($"ResultsTable.Decimals: column '{column}' holds {col.Kind.ToString().ToLowerInvariant()} values, which have no decimals.", nameof(column));
        col.Precision = CheckPrecision(decimals);
        return this;
    }

    /// <summary>Shows the fractions of <paramref name="column"/> as percentages (0.923 as "92.3%"); CSV keeps the fraction.</summary>
    /// <param name="column">A floating-point column.</param>
    /// <param name="decimals">Decimals of the percentage (0–15).</param>
    /// <exception cref="ArgumentException">Unknown column, or not a floating-point column.</exception>
    public ResultsTable Percent(string column, int decimals = 1)
    {
        var col = _columns[ColumnIndex(column)];
        if (col.Kind is not (ColumnKind.Number or ColumnKind.Percent))
            throw new ArgumentException($"ResultsTable.Percent: column '{column}' holds {col.Kind} values; only floating-point fractions show as percentages.", nameof(column));
        col.Kind = ColumnKind.Percent;
        col.Precision = CheckPrecision(decimals);
        return this;
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
    /// Shows the thesis' value beside <paramref name="column"/>: moves <paramref name="thesisColumn"/> (a numeric
    /// column of the frame, missing where the thesis has no value) right after it, followed by the computed
    /// Δ = ours − thesis (signed, same precision; the mean for mean ± std cells; "—" when either is missing).
    /// </summary>
    /// <param name="column">Our numeric column.</param>
    /// <param name="thesisColumn">The frame's column with the thesis values.</param>
    /// <param name="deltaHeader">Defaults to "Δ <paramref name="column"/>".</param>
    /// <exception cref="ArgumentException">Unknown or text column, or a duplicate header.</exception>
    public ResultsTable AddThesisReference(string column, string thesisColumn, string? deltaHeader = null)
    {
        int from = ColumnIndex(thesisColumn);
        if (_columns[from].Kind == ColumnKind.Text)
            throw new ArgumentException($"ResultsTable.AddThesisReference: thesis column '{thesisColumn}' holds text; it needs numbers (missing where the thesis has none).", nameof(thesisColumn));
        int ours = ColumnIndex(column);
        if (from == ours)
            throw new ArgumentException($"ResultsTable.AddThesisReference: '{column}' cannot be its own thesis column.", nameof(thesisColumn));
        if (!_columns[ours].IsNumeric)
            throw new ArgumentException($"ResultsTable.AddThesisReference: column '{column}' holds text; the thesis comparison needs a numeric column.", nameof(column));
        // Validate the Δ header before moving anything, so a failed call leaves the table as it was.
        if (_columns.Exists(c => c.Header == (deltaHeader ?? $"Δ {column}")) || deltaHeader == thesisColumn)
            throw new ArgumentException($"ResultsTable.AddThesisReference: a column named '{deltaHeader ?? $"Δ {column}"}' already exists; pass another deltaHeader.", nameof(deltaHeader));
        var values = _rows.Select(r => NumberOf(r[from])).ToList();
        _columns.RemoveAt(from);
        foreach (var row in _rows) row.RemoveAt(from);
        int thesis = InsertThesisColumns(column, thesisColumn, deltaHeader);
        for (int r = 0; r < _rows.Count; r++) _rows[r][thesis] = values[r];
        return this;
    }

    /// <summary>
    /// Like <see cref="AddThesisReference(string, string, string?)"/> with the thesis values looked up per row: the
    /// lookup receives the frame's row (read its columns with <c>row.GetAs&lt;string&gt;("configuration")</c>) and
    /// returns the thesis value, or null where the thesis has none.
    /// </summary>
    /// <param name="column">Our numeric column.</param>
    /// <param name="thesis">Thesis value of a frame row, or null.</param>
    /// <param name="thesisHeader">Defaults to "<paramref name="column"/> (thesis)".</param>
    /// <param name="deltaHeader">Defaults to "Δ <paramref name="column"/>".</param>
    /// <exception cref="ArgumentException">Unknown or text column, or a duplicate header.</exception>
    public ResultsTable AddThesisReference(string column, Func<ObjectSeries<string>, double?> thesis, string? thesisHeader = null, string? deltaHeader = null)
    {
        ArgumentNullException.ThrowIfNull(thesis);
        var values = _frameRows.Select(thesis).ToList();
        int at = InsertThesisColumns(column, thesisHeader ?? $"{column} (thesis)", deltaHeader);
        for (int r = 0; r < _rows.Count; r++) _rows[r][at] = values[r];
        return this;
    }

    /// <summary>
    /// Like <see cref="AddThesisReference(string, string, string?)"/>, matching rows by their label: the text of the
    /// first text column (the row keys when shown). Rows without an entry get a missing thesis value.
    /// </summary>
    /// <param name="column">Our numeric column.</param>
    /// <param name="thesisByRowLabel">Thesis value per row label.</param>
    /// <param name="thesisHeader">Defaults to "<paramref name="column"/> (thesis)".</param>
    /// <param name="deltaHeader">Defaults to "Δ <paramref name="column"/>".</param>
    /// <exception cref="ArgumentException">No text column to take labels from, unknown or text column, or a duplicate header.</exception>
    public ResultsTable AddThesisReference(string column, IReadOnlyDictionary<string, double> thesisByRowLabel, string? thesisHeader = null, string? deltaHeader = null)
    {
        ArgumentNullException.ThrowIfNull(thesisByRowLabel);
        var labels = RowLabels(nameof(AddThesisReference));
        int at = InsertThesisColumns(column, thesisHeader ?? $"{column} (thesis)", deltaHeader);
        for (int r = 0; r < _rows.Count; r++)
            _rows[r][at] = labels[r] is { } key && thesisByRowLabel.TryGetValue(key, out var v) ? v : null;
        return this;
    }

    /// <summary>
    /// Compares two rows (e.g. two methods) of a mean ± std column over their seeds with Welch's t-test
    /// (<see cref="WelchTTest"/>) and adds the result as a footnote.
    /// </summary>
    /// <param name="column">A <see cref="SampleSummary"/> column.</param>
    /// <param name="rowA">Label of the first row (text of the first text column).</param>
    /// <param name="rowB">Label of the second row.</param>
    /// <returns>The test, for use in prose.</returns>
    /// <exception cref="ArgumentException">Not a mean ± std column, unknown labels, a missing cell or fewer than two seeds.</exception>
    public WelchTTest AddWelchTest(string column, string rowA, string rowB)
    {
        int c = ColumnIndex(column);
        if (_columns[c].Kind != ColumnKind.MeanStd)
            throw new ArgumentException($"ResultsTable.AddWelchTest: column '{column}' holds single values; Welch's test needs replicates (a SampleSummary column, e.g. from ResultFrames.PivotSummary).", nameof(column));
        var labels = RowLabels(nameof(AddWelchTest));
        SampleSummary Cell(string label) =>
            labels.IndexOf(label) is var r and >= 0
                ? _rows[r][c] as SampleSummary ?? throw new ArgumentException($"ResultsTable.AddWelchTest: row '{label}' has no value in '{column}'.")
                : throw new ArgumentException($"ResultsTable.AddWelchTest: no row labelled '{label}'; the labels are: {string.Join(", ", labels)}.");
        SampleSummary a = Cell(rowA), b = Cell(rowB);
        var test = WelchTTest.Compare(a, b);
        AddFootnote(string.Create(CultureInfo.InvariantCulture,
            $"{column}, {rowA} vs {rowB}: Welch's t-test (two-sided), {test}; {a.Count} and {b.Count} seeds; ± is the sample standard deviation (n − 1)."));
        return test;
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

    private void InsertColumn(int at, TableColumn column)
    {
        _columns.Insert(at, column);
        foreach (var row in _rows) row.Insert(at, null);
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
        SampleSummary m => m.Mean,
        _ => null,
    };

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

    /// <summary>Invariant text of a cell or key (numbers in round-trip form, dates in ISO 8601).</summary>
    internal static string InvariantText(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Cells are stored as string, long, double, <see cref="SampleSummary"/> or (anything else) invariant text.</summary>
    private static object Normalize(object value) => value switch
    {
        string or SampleSummary or double or long => value,
        int or short or sbyte or byte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong ul when ul <= long.MaxValue => (long)ul,
        float f => (double)f,
        decimal m => (double)m,
        _ => InvariantText(value),
    };

    private static ColumnKind KindOf(Type declared, List<object?> values)
    {
        var t = Nullable.GetUnderlyingType(declared) ?? declared;
        if (t == typeof(SampleSummary)) return ColumnKind.MeanStd;
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return ColumnKind.Number;
        if (t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(byte) || t == typeof(uint) || t == typeof(ushort) || t == typeof(sbyte)) return ColumnKind.Integer;
        if (t != typeof(object)) return ColumnKind.Text;
        // An object column: the kind its values share. All missing reads as numbers (e.g. a thesis column not yet filled in).
        var present = values.Where(v => v is not null).ToList();
        if (present.All(v => v is long)) return present.Count == 0 ? ColumnKind.Number : ColumnKind.Integer;
        if (present.All(v => v is long or double)) return ColumnKind.Number;
        if (present.All(v => v is SampleSummary)) return ColumnKind.MeanStd;
        return ColumnKind.Text;
    }

    /// <summary>Row labels: the text of the first text column.</summary>
    private List<string?> RowLabels(string op)
    {
        int label = _columns.FindIndex(c => c.Kind == ColumnKind.Text);
        if (label < 0)
            throw new ArgumentException($"ResultsTable.{op}: the table has no text column to take row labels from; show the row keys (rowHeader) or use the overload that reads the frame's rows.");
        return _rows.Select(r => r[label] as string).ToList();
    }
}
