using DynamicObj;
using Plotly.NET;

namespace ResearchKit.Figures;

/// <summary>
/// The thesis' look of figures, applied as a Plotly.NET <see cref="Template"/> (plotly's <c>layout.template</c>): it
/// styles every axis, including subplot axes, while anything the user sets on the chart with the Plotly.NET API still
/// wins. Derive variants with <c>Theme.Paper with { FontSize = 10 }</c>; apply with
/// <see cref="ChartExtensions.WithTheme"/> (the <see cref="Charts"/> shapes apply <see cref="Paper"/>).
/// </summary>
public sealed record Theme
{
    /// <summary>
    /// For papers and theses: white background, serif font (Times New Roman, else the metric-compatible Liberation
    /// Serif), black axis lines framing the plot, ticks outside, faint grid, colour-blind-safe Okabe–Ito colours.
    /// </summary>
    public static Theme Paper { get; } = new()
    {
        Name = "paper",
        FontFamily = "Times New Roman, Liberation Serif, Times, serif",
        FontSize = 12, FontColor = "#000000", TitleFontSize = 14, AxisTitleFontSize = 13, TickFontSize = 11, LegendFontSize = 11,
        AxisLineColor = "#000000", Mirror = true, GridColor = "#e5e5e5", GridWidth = 0.5,
        LegendBgColor = "rgba(255,255,255,0.85)", LegendBorderColor = "#000000", LegendBorderWidth = 0.5,
        LineWidth = 1.8, MarkerSize = 6,
        MarginLeft = 65, MarginRight = 20, MarginTop = 40, MarginBottom = 55,
        Colorway = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"],
    };

    /// <summary>For working in notebooks: sans-serif font, grey axes without a closed frame, plotly's category-10 colours.</summary>
    public static Theme Notebook { get; } = new()
    {
        Name = "notebook",
        FontFamily = "Segoe UI, Helvetica Neue, Arial, Liberation Sans, sans-serif",
        FontSize = 13, FontColor = "#2a3f5f", TitleFontSize = 17, AxisTitleFontSize = 14, TickFontSize = 12, LegendFontSize = 12,
        AxisLineColor = "#444444", Mirror = false, GridColor = "#ebebeb", GridWidth = 1,
        LegendBgColor = "rgba(255,255,255,0)", LegendBorderColor = null, LegendBorderWidth = 0,
        LineWidth = 2, MarkerSize = 7,
        MarginLeft = 70, MarginRight = 30, MarginTop = 50, MarginBottom = 60,
        Colorway = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"],
    };

    /// <summary>Theme name, for traceability.</summary>
    public string Name { get; init; } = "custom";

    /// <summary>CSS font-family list for all text.</summary>
    public string FontFamily { get; init; } = "sans-serif";

    /// <summary>Base font size in px.</summary>
    public double FontSize { get; init; } = 12;

    /// <summary>Text colour.</summary>
    public string FontColor { get; init; } = "#000000";

    /// <summary>Figure title size.</summary>
    public double TitleFontSize { get; init; } = 14;

    /// <summary>Axis title size.</summary>
    public double AxisTitleFontSize { get; init; } = 13;

    /// <summary>Tick label size.</summary>
    public double TickFontSize { get; init; } = 11;

    /// <summary>Legend entry size.</summary>
    public double LegendFontSize { get; init; } = 11;

    /// <summary>Axis line (and tick) colour; null draws no axis lines.</summary>
    public string? AxisLineColor { get; init; }

    /// <summary>Whether axis lines are mirrored to close the frame.</summary>
    public bool Mirror { get; init; }

    /// <summary>Grid colour; null draws no grid.</summary>
    public string? GridColor { get; init; }

    /// <summary>Grid line width in px.</summary>
    public double GridWidth { get; init; } = 1;

    /// <summary>Legend background.</summary>
    public string? LegendBgColor { get; init; }

    /// <summary>Legend border colour.</summary>
    public string? LegendBorderColor { get; init; }

    /// <summary>Legend border width in px.</summary>
    public double LegendBorderWidth { get; init; }

    /// <summary>Default width of scatter lines in px.</summary>
    public double LineWidth { get; init; } = 2;

    /// <summary>Default scatter marker diameter in px.</summary>
    public double MarkerSize { get; init; } = 6;

    /// <summary>Left margin in px.</summary>
    public double MarginLeft { get; init; } = 65;

    /// <summary>Right margin in px.</summary>
    public double MarginRight { get; init; } = 20;

    /// <summary>Top margin in px (room for one title line).</summary>
    public double MarginTop { get; init; } = 40;

    /// <summary>Bottom margin in px.</summary>
    public double MarginBottom { get; init; } = 55;

    /// <summary>Colours given to traces in order; the <see cref="Charts"/> shapes colour line and band alike from it.</summary>
    public IReadOnlyList<string> Colorway { get; init; } = [];

    /// <summary>The colour of series number <paramref name="index"/> (0-based), cycling through <see cref="Colorway"/>.</summary>
    public string SeriesColor(int index)
    {
        var colors = Colorway.Count == 0 ? Paper.Colorway : Colorway;
        return colors[((index % colors.Count) + colors.Count) % colors.Count];
    }

    /// <summary>The Plotly.NET template (<c>{"layout": {...}, "data": {"scatter": [...]}}</c>).</summary>
    public Template ToTemplate()
    {
        var layout = new Layout();
        layout.SetProperty("font", Font(FontSize, FontFamily, FontColor));
        layout.SetProperty("title", Obj(new Title(), ("font", Font(TitleFontSize))));
        layout.SetProperty("paper_bgcolor", "#ffffff");
        layout.SetProperty("plot_bgcolor", "#ffffff");
        if (Colorway.Count > 0) layout.SetProperty("colorway", Colorway.ToArray());
        layout.SetProperty("xaxis", Axis());
        layout.SetProperty("yaxis", Axis());
        var legend = Obj(new Plotly.NET.LayoutObjects.Legend(), ("borderwidth", LegendBorderWidth), ("font", Font(LegendFontSize)));
        if (LegendBgColor is not null) legend.SetProperty("bgcolor", LegendBgColor);
        if (LegendBorderColor is not null) legend.SetProperty("bordercolor", LegendBorderColor);
        layout.SetProperty("legend", legend);
        layout.SetProperty("margin", Obj(new Plotly.NET.LayoutObjects.Margin(),
            ("l", MarginLeft), ("r", MarginRight), ("t", MarginTop), ("b", MarginBottom)));

        // Trace defaults: plotly cycles through each list; one entry applies to every scatter trace.
        var scatter = new Trace2D("scatter");
        scatter.SetProperty("line", Obj(new Line(), ("width", LineWidth)));
        scatter.SetProperty("marker", Obj(new Plotly.NET.TraceObjects.Marker(), ("size", MarkerSize)));
        var data = new DynamicObj.DynamicObj();
        data.SetProperty("scatter", new[] { scatter });

        var template = new Template();
        template.SetProperty("layout", layout);
        template.SetProperty("data", data);
        return template;
    }

    private Plotly.NET.LayoutObjects.LinearAxis Axis()
    {
        var axis = Obj(new Plotly.NET.LayoutObjects.LinearAxis(),
            ("showline", AxisLineColor is not null), ("mirror", Mirror), ("ticks", "outside"), ("ticklen", 5.0),
            ("showgrid", GridColor is not null), ("gridwidth", GridWidth), ("zeroline", false), ("automargin", true),
            ("tickfont", Font(TickFontSize)), ("title", Obj(new Title(), ("standoff", 8), ("font", Font(AxisTitleFontSize)))));
        if (AxisLineColor is not null)
        {
            axis.SetProperty("linecolor", AxisLineColor);
            axis.SetProperty("linewidth", 1.0);
            axis.SetProperty("tickcolor", AxisLineColor);
        }
        if (GridColor is not null) axis.SetProperty("gridcolor", GridColor);
        return axis;
    }

    private static Font Font(double size, string? family = null, string? color = null)
    {
        var font = Obj(new Font(), ("size", size));
        if (family is not null) font.SetProperty("family", family);
        if (color is not null) font.SetProperty("color", color);
        return font;
    }

    /// <summary>Sets plotly attributes by their JSON names on a Plotly.NET object.</summary>
    internal static T Obj<T>(T target, params (string Key, object Value)[] properties) where T : DynamicObj.DynamicObj
    {
        foreach (var (key, value) in properties) target.SetProperty(key, value);
        return target;
    }
}
