using System.Globalization;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using static ResearchKit.Figures.Theme;

namespace ResearchKit.Figures;

/// <summary>
/// The recurring figure shapes of the thesis notebooks as Plotly.NET charts: curves over steps, accuracy vs
/// sparsity or bit width with mean ± std bands over seeds, heatmaps and t-SNE scatter plots. Each returns a
/// <see cref="GenericChart"/> styled with <see cref="Theme.Paper"/>; keep styling it with the Plotly.NET API
/// (<c>Plotly.NET.CSharp</c>'s <c>WithXAxisStyle</c>, <c>Chart.withLayout</c>, …) and the kit's
/// <see cref="ChartExtensions"/> (reference lines, export name and caption).
/// </summary>
/// <example>
/// <code>
/// Charts.AccuracyVsSparsity([new Curve("LeNet-5", sparsity, meanAcc, stdAcc)])
///     .WithReferenceLine(98.9, "thesis")
///     .WithFigureName("fig4-4", "Accuracy of LeNet-5 vs sparsity (mean ± std over 3 seeds).");
/// </code>
/// </example>
public static class Charts
{
    /// <summary>
    /// Curves y over x, one per <see cref="Curve"/>, each with its ±std band when it has one; colours follow the
    /// theme's colourway in series order (line and band alike).
    /// </summary>
    /// <param name="series">The curves, drawn in order.</param>
    /// <param name="xTitle">x axis title, or null.</param>
    /// <param name="yTitle">y axis title, or null.</param>
    /// <param name="title">Figure title (papers usually leave it null and use the caption).</param>
    /// <param name="logX">Logarithmic x axis.</param>
    /// <param name="logY">Logarithmic y axis.</param>
    /// <param name="theme">Look; null is <see cref="Theme.Paper"/>.</param>
    /// <exception cref="ArgumentException">A series whose X, Y (and Std) lengths differ.</exception>
    public static GenericChart Lines(IEnumerable<Curve> series, string? xTitle, string? yTitle, string? title = null,
        bool logX = false, bool logY = false, Theme? theme = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        theme ??= Paper;
        var traces = new List<Trace>();
        int i = 0;
        foreach (var s in series)
        {
            traces.AddRange(SeriesTraces(s, s.Color ?? theme.SeriesColor(i), i));
            i++;
        }
        var chart = GenericChart.ofTraceObjects(false, traces);
        return Styled(chart, theme, title, Axis(xTitle, logX ? "log" : null), Axis(yTitle, logY ? "log" : null));
    }

    /// <summary>A metric over training steps (loss curves), e.g. <c>Charts.OverSteps([new Curve("train", steps, loss)], "cross-entropy")</c>.</summary>
    /// <param name="series">One curve per run.</param>
    /// <param name="yTitle">The metric.</param>
    /// <param name="xTitle">x axis title (default "step").</param>
    /// <param name="logY">Logarithmic y axis (losses spanning decades).</param>
    /// <param name="title">Figure title, or null.</param>
    public static GenericChart OverSteps(IEnumerable<Curve> series, string yTitle, string xTitle = "step", bool logY = false, string? title = null) =>
        Lines(series, xTitle, yTitle, title, logY: logY);

    /// <summary>Accuracy vs sparsity: markers at each measured sparsity, ±std bands over seeds.</summary>
    /// <param name="series">One curve per method (mean over seeds, with Std for the band).</param>
    /// <param name="xTitle">x axis title.</param>
    /// <param name="yTitle">y axis title.</param>
    /// <param name="title">Figure title, or null.</param>
    public static GenericChart AccuracyVsSparsity(IEnumerable<Curve> series, string xTitle = "sparsity (%)",
        string yTitle = "accuracy (%)", string? title = null) =>
        Lines(series.Select(s => s with { Markers = true }), xTitle, yTitle, title);

    /// <summary>
    /// Accuracy vs weight bit width: markers, ±std bands, a log₂ x axis ticked at exactly the measured bit widths
    /// (1, 2, 4, 8, 32 spread evenly).
    /// </summary>
    /// <param name="series">One curve per method; X holds bit widths.</param>
    /// <param name="xTitle">x axis title.</param>
    /// <param name="yTitle">y axis title.</param>
    /// <param name="title">Figure title, or null.</param>
    public static GenericChart AccuracyVsBitWidth(IEnumerable<Curve> series, string xTitle = "bit width",
        string yTitle = "accuracy (%)", string? title = null)
    {
        var list = series.Select(s => s with { Markers = true }).ToList();
        var ticks = list.SelectMany(s => s.X).Where(b => b > 0).Distinct().Order().ToArray();
        var chart = Lines(list, xTitle, yTitle, title, logX: true);
        var axis = Obj(new LinearAxis(), ("tickvals", ticks),
            ("ticktext", ticks.Select(b => b.ToString(CultureInfo.InvariantCulture)).ToArray()));
        return GenericChart.addLayout(Obj(new Layout(), ("xaxis", axis)), chart);
    }

    /// <summary>
    /// A shaded band between <paramref name="lower"/> and <paramref name="upper"/> (e.g. mean ± std): a
    /// line-less lower trace and an upper trace filled down to it (<c>fill: "tonexty"</c>), both without legend
    /// entries and toggled with the legend group.
    /// </summary>
    /// <param name="x">x values.</param>
    /// <param name="lower">Lower edge per x.</param>
    /// <param name="upper">Upper edge per x.</param>
    /// <param name="color">CSS colour of the curve; the band takes it at 20 % opacity.</param>
    /// <param name="legendGroup">Legend group of the curve the band belongs to, or null.</param>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static GenericChart ErrorBand(IReadOnlyList<double> x, IReadOnlyList<double> lower, IReadOnlyList<double> upper,
        string color, string? legendGroup = null) =>
        GenericChart.ofTraceObjects(false, BandTraces(x, lower, upper, color, legendGroup));

    /// <summary>A heatmap of <paramref name="z"/>[row][column], e.g. accuracy over sparsity × bit width.</summary>
    /// <param name="z">Values, rows drawn bottom to top; NaN cells are blank.</param>
    /// <param name="x">Column labels (length = columns), or null for 0, 1, ….</param>
    /// <param name="y">Row labels (length = rows), or null.</param>
    /// <param name="xTitle">x axis title.</param>
    /// <param name="yTitle">y axis title.</param>
    /// <param name="colorScale">plotly colour scale name.</param>
    /// <param name="zMin">Value of the lowest colour (null: data minimum).</param>
    /// <param name="zMax">Value of the highest colour (null: data maximum).</param>
    /// <param name="cellText">d3 format of the value written in each cell (e.g. ".1f"), or null for none.</param>
    /// <param name="title">Figure title, or null.</param>
    /// <exception cref="ArgumentException">Ragged <paramref name="z"/> or label counts that do not match it.</exception>
    public static GenericChart Heatmap(double[][] z, IReadOnlyList<string>? x = null, IReadOnlyList<string>? y = null,
        string? xTitle = null, string? yTitle = null, string colorScale = "Viridis", double? zMin = null, double? zMax = null,
        string? cellText = null, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(z);
        int columns = z.Length == 0 ? 0 : z[0]?.Length ?? 0;
        for (int i = 0; i < z.Length; i++)
            if (z[i] is null || z[i].Length != columns)
                throw new ArgumentException($"Charts.Heatmap: row {i} has {z[i]?.Length.ToString(CultureInfo.InvariantCulture) ?? "null"} values but row 0 has {columns}; z must be rectangular.", nameof(z));
        if (x is not null && x.Count != columns)
            throw new ArgumentException($"Charts.Heatmap: x has {x.Count} labels but z has {columns} columns.", nameof(x));
        if (y is not null && y.Count != z.Length)
            throw new ArgumentException($"Charts.Heatmap: y has {y.Count} labels but z has {z.Length} rows.", nameof(y));
        var trace = Obj(new Trace2D("heatmap"), ("z", z.Select(Gaps).ToArray()), ("colorscale", colorScale));
        if (x is not null) trace.SetProperty("x", x.ToArray());
        if (y is not null) trace.SetProperty("y", y.ToArray());
        if (zMin is { } lo) trace.SetProperty("zmin", lo);
        if (zMax is { } hi) trace.SetProperty("zmax", hi);
        if (cellText is not null) trace.SetProperty("texttemplate", "%{z:" + cellText + "}");
        // Cells touch the axes: a grid adds nothing. Labels such as "8" must stay categories, not numbers.
        var xAxis = Obj(Axis(xTitle, x is null ? null : "category"), ("showgrid", false));
        var yAxis = Obj(Axis(yTitle, y is null ? null : "category"), ("showgrid", false));
        return Styled(GenericChart.ofTraceObject(false, trace), Paper, title, xAxis, yAxis);
    }

    /// <summary>
    /// A 2-D embedding (t-SNE, PCA) as a scatter plot with one marker trace per class, so the legend names the
    /// classes and toggles them.
    /// </summary>
    /// <param name="x">First embedding coordinate per sample.</param>
    /// <param name="y">Second coordinate per sample.</param>
    /// <param name="labels">Class index per sample.</param>
    /// <param name="classNames">Name per class index, or null for "0", "1", ….</param>
    /// <param name="markerSize">Marker diameter in px (small for thousands of points).</param>
    /// <param name="title">Figure title, or null.</param>
    /// <exception cref="ArgumentException">Lengths differ, or a label has no class name.</exception>
    public static GenericChart Embedding(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<int> labels,
        IReadOnlyList<string>? classNames = null, double markerSize = 4, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(labels);
        if (x.Count != y.Count || x.Count != labels.Count)
            throw new ArgumentException($"Charts.Embedding: x, y and labels need one entry per sample (got {x.Count}, {y.Count}, {labels.Count}).", nameof(labels));
        var traces = new List<Trace>();
        foreach (var cls in labels.Distinct().Order())
        {
            if (classNames is not null && (cls < 0 || cls >= classNames.Count))
                throw new ArgumentException($"Charts.Embedding: label {cls} has no entry in classNames (count {classNames.Count}).", nameof(classNames));
            var idx = Enumerable.Range(0, labels.Count).Where(i => labels[i] == cls).ToArray();
            traces.Add(Obj(new Trace2D("scatter"), ("name", classNames?[cls] ?? cls.ToString(CultureInfo.InvariantCulture)),
                ("mode", "markers"), ("x", idx.Select(i => x[i]).ToArray()), ("y", idx.Select(i => y[i]).ToArray()),
                ("marker", Obj(new Plotly.NET.TraceObjects.Marker(), ("size", markerSize), ("color", Paper.SeriesColor(cls)), ("opacity", 0.8)))));
        }
        var hidden = Obj(Axis(null, null), ("showticklabels", false), ("showgrid", false));
        return Styled(GenericChart.ofTraceObjects(false, traces), Paper, title, hidden, Obj(Axis(null, null), ("showticklabels", false), ("showgrid", false)));
    }

    /// <summary>The traces of one series: its band (when it has Std) under its line.</summary>
    private static IEnumerable<Trace> SeriesTraces(Curve s, string color, int index)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.X.Count != s.Y.Count)
            throw new ArgumentException($"Charts: series \"{s.Name}\" has {s.X.Count} x values but {s.Y.Count} y values.", nameof(s));
        string group = "series-" + index.ToString(CultureInfo.InvariantCulture);
        if (s.Std is { } std)
        {
            if (std.Count != s.Y.Count)
                throw new ArgumentException($"Charts: series \"{s.Name}\" has {s.Y.Count} y values but {std.Count} std values.", nameof(s));
            var lower = s.Y.Select((m, i) => m - Math.Abs(std[i])).ToArray();
            var upper = s.Y.Select((m, i) => m + Math.Abs(std[i])).ToArray();
            foreach (var t in BandTraces(s.X, lower, upper, color, group)) yield return t;
        }
        var line = Obj(new Line(), ("color", color));
        if (s.Dash is not null) line.SetProperty("dash", s.Dash);
        var trace = Obj(new Trace2D("scatter"), ("name", s.Name), ("x", s.X.ToArray()), ("y", Gaps(s.Y)),
            ("mode", s.Markers ? "lines+markers" : "lines"), ("line", line), ("legendgroup", group));
        if (s.Markers) trace.SetProperty("marker", Obj(new Plotly.NET.TraceObjects.Marker(), ("color", color)));
        yield return trace;
    }

    private static Trace[] BandTraces(IReadOnlyList<double> x, IReadOnlyList<double> lower, IReadOnlyList<double> upper, string color, string? group)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (lower.Count != x.Count || upper.Count != x.Count)
            throw new ArgumentException($"Charts.ErrorBand: x has {x.Count} values, lower {lower.Count}, upper {upper.Count}; they must match.", nameof(upper));
        string fill = WithAlpha(color, 0.2);
        Trace Edge(IReadOnlyList<double> ys, bool filled)
        {
            var t = Obj(new Trace2D("scatter"), ("name", filled ? "upper" : "lower"), ("x", x.ToArray()), ("y", Gaps(ys)),
                ("mode", "lines"), ("line", Obj(new Line(), ("width", 0.0), ("color", fill))), ("showlegend", false), ("hoverinfo", "skip"));
            if (group is not null) t.SetProperty("legendgroup", group);
            if (filled)
            {
                t.SetProperty("fill", "tonexty");
                t.SetProperty("fillcolor", fill);
            }
            return t;
        }
        return [Edge(lower, false), Edge(upper, true)];
    }

    /// <summary>Title, axes and theme of a new chart.</summary>
    private static GenericChart Styled(GenericChart chart, Theme theme, string? title, LinearAxis xAxis, LinearAxis yAxis)
    {
        var layout = Obj(new Layout(), ("xaxis", xAxis), ("yaxis", yAxis));
        if (title is not null) layout.SetProperty("title", Obj(new Title(), ("text", title)));
        return GenericChart.addLayout(layout, chart).WithTheme(theme);
    }

    private static LinearAxis Axis(string? title, string? type)
    {
        var axis = new LinearAxis();
        if (title is not null) axis.SetProperty("title", Obj(new Title(), ("text", title)));
        if (type is not null) axis.SetProperty("type", type);
        return axis;
    }

    /// <summary>JSON has no NaN: non-finite values become null, which plotly draws as a gap.</summary>
    private static double?[] Gaps(IReadOnlyList<double> values) => values.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray();

    /// <summary>"#rrggbb" as "rgba(r,g,b,alpha)"; other CSS colours are returned unchanged.</summary>
    internal static string WithAlpha(string color, double alpha)
    {
        if (color.Length == 7 && color[0] == '#'
            && int.TryParse(color.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int rgb))
            return string.Create(CultureInfo.InvariantCulture, $"rgba({(rgb >> 16) & 255},{(rgb >> 8) & 255},{rgb & 255},{alpha})");
        return color;
    }
}
