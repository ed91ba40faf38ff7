namespace ResearchKit.Figures;

/// <summary>Shortcuts for the thesis' common figures: line plots with ±std bands, bars, histograms, heatmaps, subplots.</summary>
public sealed partial class Figure
{
    /// <summary>An empty line plot: add curves with <see cref="AddSeries"/>.</summary>
    /// <param name="title">Figure title, or null.</param>
    /// <param name="xTitle">x axis title, e.g. "Sparsity (%)".</param>
    /// <param name="yTitle">y axis title, e.g. "Accuracy (%)".</param>
    /// <param name="logX">Logarithmic x axis.</param>
    /// <param name="logY">Logarithmic y axis.</param>
    /// <param name="name">Export name, e.g. "fig4-4".</param>
    /// <param name="caption">Caption.</param>
    public static Figure Line(string? title, string? xTitle, string? yTitle, bool logX = false, bool logY = false,
        string? name = null, string? caption = null)
    {
        var fig = new Figure(title, name, caption);
        fig.SetAxisTitles(xTitle, yTitle);
        if (logX) fig.LogX();
        if (logY) fig.LogY();
        return fig;
    }

    /// <summary>An empty bar chart: add groups with <see cref="AddBars"/>.</summary>
    /// <param name="title">Figure title, or null.</param>
    /// <param name="xTitle">x axis (category) title.</param>
    /// <param name="yTitle">y axis (value) title.</param>
    /// <param name="mode">Grouped (side by side) or stacked bars.</param>
    /// <param name="logY">Logarithmic value axis.</param>
    /// <param name="name">Export name.</param>
    /// <param name="caption">Caption.</param>
    public static Figure Bars(string? title, string? xTitle, string? yTitle, BarMode mode = BarMode.Group,
        bool logY = false, string? name = null, string? caption = null)
    {
        var fig = new Figure(title, name, caption);
        fig.SetAxisTitles(xTitle, yTitle);
        fig.Layout.BarMode = mode;
        if (logY) fig.LogY();
        return fig;
    }

    /// <summary>An empty histogram plot: add sample sets with <see cref="AddHistogram"/> (overlaid, translucent).</summary>
    /// <param name="title">Figure title, or null.</param>
    /// <param name="xTitle">Title of the binned quantity.</param>
    /// <param name="yTitle">Title of the bar heights.</param>
    /// <param name="name">Export name.</param>
    /// <param name="caption">Caption.</param>
    public static Figure Histogram(string? title, string? xTitle, string? yTitle = "Count", string? name = null, string? caption = null)
    {
        var fig = new Figure(title, name, caption);
        fig.SetAxisTitles(xTitle, yTitle);
        fig.Layout.BarMode = BarMode.Overlay;
        return fig;
    }

    /// <summary>A heatmap of <paramref name="z"/>[row][column] (e.g. accuracy over sparsity × bit width).</summary>
    /// <param name="title">Figure title, or null.</param>
    /// <param name="z">Values, rows drawn bottom to top.</param>
    /// <param name="x">Column labels or coordinates (length = columns).</param>
    /// <param name="y">Row labels or coordinates (length = rows).</param>
    /// <param name="xTitle">x axis title.</param>
    /// <param name="yTitle">y axis title.</param>
    /// <param name="colorScale">plotly colour scale name.</param>
    /// <param name="zMin">Value of the lowest colour (null: data minimum).</param>
    /// <param name="zMax">Value of the highest colour (null: data maximum).</param>
    /// <param name="cellText">d3 format of the value written in each cell (e.g. ".1f"), or null for no text.</param>
    /// <param name="name">Export name.</param>
    public static Figure Heatmap(string? title, double[][] z, DataArray? x = null, DataArray? y = null,
        string? xTitle = null, string? yTitle = null, string colorScale = "Viridis", double? zMin = null, double? zMax = null,
        string? cellText = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(z);
        int columns = z.Length == 0 ? 0 : z[0]?.Length ?? 0;
        for (int i = 0; i < z.Length; i++)
        {
            if (z[i] is null || z[i].Length != columns)
                throw new ArgumentException($"Figure.Heatmap: row {i} has {z[i]?.Length.ToString() ?? "null"} values but row 0 has {columns}; z must be rectangular.", nameof(z));
        }
        if (x is not null && x.Count != columns)
            throw new ArgumentException($"Figure.Heatmap: x has {x.Count} labels but z has {columns} columns.", nameof(x));
        if (y is not null && y.Count != z.Length)
            throw new ArgumentException($"Figure.Heatmap: y has {y.Count} labels but z has {z.Length} rows.", nameof(y));
        var fig = new Figure(title, name);
        fig.SetAxisTitles(xTitle, yTitle);
        fig.AddTrace(new HeatmapTrace
        {
            Z = z, X = x, Y = y, ColorScale = colorScale, ZMin = zMin, ZMax = zMax,
            TextTemplate = cellText is null ? null : "%{z:" + cellText + "}",
        });
        // Heatmap cells touch the axes: the grid adds nothing.
        fig.Layout.GetXAxis().ShowGrid = false;
        fig.Layout.GetYAxis().ShowGrid = false;
        fig.MarkCategorical(x, y, null);
        return fig;
    }

    /// <summary>
    /// A rows × columns grid of independent subplots; place traces with <see cref="Subplot"/> and style each cell's
    /// axes with <c>Layout.GetXAxis(cell.Index)</c>.
    /// </summary>
    public static Figure Subplots(int rows, int columns, string? title = null, string? name = null, string? caption = null)
    {
        if (rows < 1 || columns < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"Figure.Subplots({rows}, {columns}): a grid needs at least one row and one column.");
        var fig = new Figure(title, name, caption);
        fig.Layout.Grid = new SubplotGrid { Rows = rows, Columns = columns, Pattern = "independent" };
        return fig;
    }

    /// <summary>The axes of grid cell (<paramref name="row"/>, <paramref name="column"/>), both 1-based, top-left first.</summary>
    public SubplotRef Subplot(int row, int column)
    {
        var grid = Layout.Grid ?? throw new InvalidOperationException(
            "Figure.Subplot: this figure has no subplot grid; create it with Figure.Subplots(rows, columns) or set Layout.Grid.");
        if (row < 1 || row > grid.Rows || column < 1 || column > grid.Columns)
            throw new ArgumentOutOfRangeException(nameof(row), $"Figure.Subplot({row}, {column}): the grid is {grid.Rows}×{grid.Columns} (1-based rows and columns).");
        return new SubplotRef((row - 1) * grid.Columns + column);
    }

    /// <summary>
    /// Adds a line (mean over seeds, say) and, when <paramref name="std"/> is given, a shaded band ys ± std in the same
    /// colour that toggles with the line in the legend.
    /// </summary>
    /// <param name="name">Legend entry.</param>
    /// <param name="xs">x values.</param>
    /// <param name="ys">y values (non-finite = gap).</param>
    /// <param name="std">Half-width of the band per point, or null for no band.</param>
    /// <param name="markers">Draw a marker at each point.</param>
    /// <param name="dash">Dash pattern.</param>
    /// <param name="color">CSS colour; null takes the next theme colour.</param>
    /// <param name="subplot">Grid cell; null for the main axes.</param>
    public Figure AddSeries(string name, DataArray xs, DataArray ys, DataArray? std = null, bool markers = false,
        LineDash? dash = null, string? color = null, SubplotRef? subplot = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(ys);
        if (xs.Count != ys.Count)
            throw new ArgumentException($"Figure.AddSeries(\"{name}\"): xs has {xs.Count} values but ys has {ys.Count}.", nameof(ys));
        MarkCategorical(xs, ys, subplot);
        color ??= NextColor();
        string group = "series-" + _seriesCount.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + name;
        _seriesCount++;
        if (std is not null)
        {
            if (std.Count != ys.Count || std.IsCategorical || ys.IsCategorical)
                throw new ArgumentException($"Figure.AddSeries(\"{name}\"): std must hold {ys.Count} numbers like ys (got {std.Count}{(std.IsCategorical ? " labels" : "")}).", nameof(std));
            AddTrace(Band(xs, ys, std, color, group, subplot));
        }
        AddTrace(new ScatterTrace
        {
            Name = name, X = xs, Y = ys, Mode = markers ? ScatterMode.LinesMarkers : ScatterMode.Lines,
            Line = new LineStyle { Color = color, Dash = dash }, Marker = markers ? new MarkerStyle { Color = color } : null,
            LegendGroup = group, XAxis = subplot?.XAxis, YAxis = subplot?.YAxis,
        });
        return this;
    }

    /// <summary>Adds markers only (no line), e.g. one point per trained model.</summary>
    public Figure AddPoints(string name, DataArray xs, DataArray ys, string? symbol = null, string? color = null, SubplotRef? subplot = null)
    {
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(ys);
        if (xs.Count != ys.Count)
            throw new ArgumentException($"Figure.AddPoints(\"{name}\"): xs has {xs.Count} values but ys has {ys.Count}.", nameof(ys));
        MarkCategorical(xs, ys, subplot);
        color ??= NextColor();
        _seriesCount++;
        return AddTrace(new ScatterTrace
        {
            Name = name, X = xs, Y = ys, Mode = ScatterMode.Markers,
            Marker = new MarkerStyle { Color = color, Symbol = symbol }, XAxis = subplot?.XAxis, YAxis = subplot?.YAxis,
        });
    }

    /// <summary>Adds one bar per category, with ±std error bars when <paramref name="std"/> is given.</summary>
    /// <param name="name">Legend entry (one per bar group member).</param>
    /// <param name="categories">Category labels (or numeric positions).</param>
    /// <param name="values">Bar heights.</param>
    /// <param name="std">Error bar size per bar, or null.</param>
    /// <param name="color">CSS colour; null takes the next theme colour.</param>
    /// <param name="subplot">Grid cell; null for the main axes.</param>
    public Figure AddBars(string name, DataArray categories, DataArray values, DataArray? std = null, string? color = null,
        SubplotRef? subplot = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(values);
        if (categories.Count != values.Count)
            throw new ArgumentException($"Figure.AddBars(\"{name}\"): {categories.Count} categories but {values.Count} values.", nameof(values));
        if (std is not null && std.Count != values.Count)
            throw new ArgumentException($"Figure.AddBars(\"{name}\"): std has {std.Count} values but there are {values.Count} bars.", nameof(std));
        MarkCategorical(categories, values, subplot);
        color ??= NextColor();
        _seriesCount++;
        return AddTrace(new BarTrace
        {
            Name = name, X = categories, Y = values, Marker = new MarkerStyle { Color = color },
            ErrorY = std is null ? null : new ErrorBars(std) { Color = "#000000", Thickness = 1, Width = 4 },
            XAxis = subplot?.XAxis, YAxis = subplot?.YAxis,
        });
    }

    /// <summary>Adds a histogram of <paramref name="samples"/> (translucent so several overlay).</summary>
    /// <param name="name">Legend entry.</param>
    /// <param name="samples">The values to bin.</param>
    /// <param name="bins">Maximum number of bins (null: plotly's choice).</param>
    /// <param name="norm">Normalisation of the heights.</param>
    /// <param name="color">CSS colour; null takes the next theme colour.</param>
    /// <param name="subplot">Grid cell; null for the main axes.</param>
    public Figure AddHistogram(string name, DataArray samples, int? bins = null, HistNorm norm = HistNorm.Count,
        string? color = null, SubplotRef? subplot = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (bins is < 1)
            throw new ArgumentOutOfRangeException(nameof(bins), bins, $"Figure.AddHistogram(\"{name}\"): bins must be at least 1 (or null for automatic).");
        color ??= NextColor();
        _seriesCount++;
        return AddTrace(new HistogramTrace
        {
            Name = name, X = samples, NBinsX = bins, HistNorm = norm == HistNorm.Count ? null : norm,
            Marker = new MarkerStyle { Color = color }, Opacity = 0.7, XAxis = subplot?.XAxis, YAxis = subplot?.YAxis,
        });
    }

    /// <summary>Adds a box plot of <paramref name="samples"/> (e.g. accuracy over seeds per method).</summary>
    public Figure AddBox(string name, DataArray samples, BoxPoints points = BoxPoints.All, bool showMean = true,
        string? color = null, SubplotRef? subplot = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        color ??= NextColor();
        _seriesCount++;
        return AddTrace(new BoxTrace
        {
            Name = name, Y = samples, BoxPoints = points, BoxMean = showMean,
            // plotly ignores (and its validator flags) marker settings when no points are drawn.
            Marker = points == BoxPoints.None ? null : new MarkerStyle { Color = color },
            Line = new LineStyle { Color = color }, FillColor = Colors.WithAlpha(color, 0.3) ?? color,
            XAxis = subplot?.XAxis, YAxis = subplot?.YAxis,
        });
    }

    /// <summary>
    /// Draws a horizontal line across the plot at <paramref name="y"/> (e.g. the thesis' reported accuracy), with an
    /// optional label at its right end.
    /// </summary>
    public Figure AddHorizontalLine(double y, string? label = null, LineDash dash = LineDash.Dash, string color = "#555555",
        SubplotRef? subplot = null)
    {
        if (!double.IsFinite(y)) throw new ArgumentOutOfRangeException(nameof(y), y, "Figure.AddHorizontalLine: y must be finite.");
        string xref = (subplot?.XAxis ?? "x") + " domain";
        string yref = subplot?.YAxis ?? "y";
        (Layout.Shapes ??= []).Add(new Shape
        {
            Type = ShapeType.Line, XRef = xref, YRef = yref, X0 = 0.0, X1 = 1.0, Y0 = y, Y1 = y,
            Line = new LineStyle { Color = color, Width = 1.2, Dash = dash },
        });
        if (label is not null)
        {
            (Layout.Annotations ??= []).Add(new Annotation(label, 1.0, y)
            {
                XRef = xref, YRef = yref, XAnchor = Figures.XAnchor.Right, YAnchor = Figures.YAnchor.Bottom,
                ShowArrow = false, Font = new Font { Color = color },
            });
        }
        return this;
    }

    /// <summary>Draws a vertical line at <paramref name="x"/> with an optional label at its top.</summary>
    public Figure AddVerticalLine(double x, string? label = null, LineDash dash = LineDash.Dash, string color = "#555555",
        SubplotRef? subplot = null)
    {
        if (!double.IsFinite(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "Figure.AddVerticalLine: x must be finite.");
        string xref = subplot?.XAxis ?? "x";
        string yref = (subplot?.YAxis ?? "y") + " domain";
        (Layout.Shapes ??= []).Add(new Shape
        {
            Type = ShapeType.Line, XRef = xref, YRef = yref, X0 = x, X1 = x, Y0 = 0.0, Y1 = 1.0,
            Line = new LineStyle { Color = color, Width = 1.2, Dash = dash },
        });
        if (label is not null)
        {
            (Layout.Annotations ??= []).Add(new Annotation(label, x, 1.0)
            {
                XRef = xref, YRef = yref, XAnchor = Figures.XAnchor.Left, YAnchor = Figures.YAnchor.Top,
                ShowArrow = false, Font = new Font { Color = color },
            });
        }
        return this;
    }

    /// <summary>Adds a text label at (x, y) in data coordinates, optionally with an arrow pointing at the point.</summary>
    public Figure AddAnnotation(string text, object x, object y, bool arrow = false, SubplotRef? subplot = null)
    {
        (Layout.Annotations ??= []).Add(new Annotation(text, x, y)
        {
            XRef = subplot?.XAxis, YRef = subplot?.YAxis, ShowArrow = arrow,
        });
        return this;
    }

    /// <summary>Makes the x axis (of a subplot, or the main one) logarithmic.</summary>
    public Figure LogX(SubplotRef? subplot = null)
    {
        Layout.GetXAxis(subplot?.Index ?? 1).Type = AxisType.Log;
        return this;
    }

    /// <summary>Makes the y axis (of a subplot, or the main one) logarithmic.</summary>
    public Figure LogY(SubplotRef? subplot = null)
    {
        Layout.GetYAxis(subplot?.Index ?? 1).Type = AxisType.Log;
        return this;
    }

    /// <summary>Sets the axis titles (of a subplot, or the main ones); null leaves a title unchanged.</summary>
    public Figure SetAxisTitles(string? xTitle, string? yTitle, SubplotRef? subplot = null)
    {
        int index = subplot?.Index ?? 1;
        if (xTitle is not null) Layout.GetXAxis(index).Title = new Title(xTitle);
        if (yTitle is not null) Layout.GetYAxis(index).Title = new Title(yTitle);
        return this;
    }

    /// <summary>Sets the figure size in px (also the default export size).</summary>
    public Figure WithSize(int width, int height)
    {
        if (width < 10 || height < 10)
            throw new ArgumentOutOfRangeException(nameof(width), $"Figure.WithSize({width}, {height}): plotly needs at least 10 px each way.");
        Layout.Width = width;
        Layout.Height = height;
        return this;
    }

    /// <summary>Places the legend.</summary>
    public Figure WithLegend(LegendPosition position)
    {
        Layout.Legend = Legend.At(position);
        return this;
    }

    /// <summary>Sets the theme (set it before adding series so they take its colours).</summary>
    public Figure WithTheme(Theme? theme)
    {
        Theme = theme;
        return this;
    }

    /// <summary>
    /// Label arrays get a category axis: plotly would otherwise read labels such as "50%" or "8" as numbers and
    /// place them on a numeric scale. An axis type set by the caller is kept.
    /// </summary>
    private void MarkCategorical(DataArray? xs, DataArray? ys, SubplotRef? subplot)
    {
        int index = subplot?.Index ?? 1;
        if (xs is { IsCategorical: true }) Layout.GetXAxis(index).Type ??= AxisType.Category;
        if (ys is { IsCategorical: true }) Layout.GetYAxis(index).Type ??= AxisType.Category;
    }

    private string NextColor() => (Theme ?? Theme.Paper).SeriesColor(_seriesCount);

    /// <summary>The ±std band as one closed polygon (x forward then backward), so it does not depend on trace order.</summary>
    private static ScatterTrace Band(DataArray xs, DataArray ys, DataArray std, string color, string group, SubplotRef? subplot)
    {
        int n = ys.Count;
        var upper = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            double s = Math.Abs(std.NumberAt(i));
            upper[i] = ys.NumberAt(i) + s;
            upper[2 * n - 1 - i] = ys.NumberAt(i) - s;
        }
        DataArray bandX;
        if (xs.IsCategorical)
        {
            var labels = new string[2 * n];
            for (int i = 0; i < n; i++) labels[i] = labels[2 * n - 1 - i] = xs.Labels[i];
            bandX = labels;
        }
        else
        {
            var xv = new double[2 * n];
            for (int i = 0; i < n; i++) xv[i] = xv[2 * n - 1 - i] = xs.NumberAt(i);
            bandX = xv;
        }
        string? fill = Colors.WithAlpha(color, 0.2);
        return new ScatterTrace
        {
            X = bandX, Y = upper, Mode = ScatterMode.Lines, Fill = FillMode.ToSelf,
            FillColor = fill ?? color, Opacity = fill is null ? 0.2 : null,
            Line = new LineStyle { Width = 0, Color = fill ?? color }, ShowLegend = false, HoverInfo = "skip",
            LegendGroup = group, XAxis = subplot?.XAxis, YAxis = subplot?.YAxis,
        };
    }
}
