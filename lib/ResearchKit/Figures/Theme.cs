using System.Text.Json.Nodes;

namespace ResearchKit.Figures;

/// <summary>
/// Shared look of figures, written as plotly's <c>layout.template</c> so it styles every axis (including subplot
/// axes plotly creates itself) while anything set explicitly on the figure still wins. Derive variants with
/// <c>Theme.Paper with { FontSize = 10 }</c>.
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
        FontSize = 12,
        FontColor = "#000000",
        TitleFontSize = 14,
        AxisTitleFontSize = 13,
        TickFontSize = 11,
        LegendFontSize = 11,
        PaperBgColor = "#ffffff",
        PlotBgColor = "#ffffff",
        AxisLineColor = "#000000",
        AxisLineWidth = 1,
        Mirror = true,
        Ticks = Figures.Ticks.Outside,
        TickLength = 5,
        ShowGrid = true,
        GridColor = "#e5e5e5",
        GridWidth = 0.5,
        LegendBgColor = "rgba(255,255,255,0.85)",
        LegendBorderColor = "#000000",
        LegendBorderWidth = 0.5,
        LineWidth = 1.8,
        MarkerSize = 6,
        Margin = new Margin { L = 65, R = 20, T = 20, B = 55 },
        Colorway = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"],
    };

    /// <summary>
    /// For working in notebooks: sans-serif font, grey axes without a closed frame, light grid, plotly's classic
    /// category-10 colours.
    /// </summary>
    public static Theme Notebook { get; } = new()
    {
        Name = "notebook",
        FontFamily = "Segoe UI, Helvetica Neue, Arial, Liberation Sans, sans-serif",
        FontSize = 13,
        FontColor = "#2a3f5f",
        TitleFontSize = 17,
        AxisTitleFontSize = 14,
        TickFontSize = 12,
        LegendFontSize = 12,
        PaperBgColor = "#ffffff",
        PlotBgColor = "#ffffff",
        AxisLineColor = "#444444",
        AxisLineWidth = 1,
        Mirror = false,
        Ticks = Figures.Ticks.Outside,
        TickLength = 5,
        ShowGrid = true,
        GridColor = "#ebebeb",
        GridWidth = 1,
        LegendBgColor = "rgba(255,255,255,0)",
        LegendBorderColor = null,
        LegendBorderWidth = 0,
        LineWidth = 2,
        MarkerSize = 7,
        Margin = new Margin { L = 70, R = 30, T = 30, B = 60 },
        Colorway = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"],
    };

    /// <summary>Theme name (written into the template for traceability).</summary>
    public string Name { get; init; } = "custom";

    /// <summary>CSS font-family list for all text.</summary>
    public string? FontFamily { get; init; }

    /// <summary>Base font size.</summary>
    public double? FontSize { get; init; }

    /// <summary>Text colour.</summary>
    public string? FontColor { get; init; }

    /// <summary>Figure title size.</summary>
    public double? TitleFontSize { get; init; }

    /// <summary>Axis title size.</summary>
    public double? AxisTitleFontSize { get; init; }

    /// <summary>Tick label size.</summary>
    public double? TickFontSize { get; init; }

    /// <summary>Legend entry size.</summary>
    public double? LegendFontSize { get; init; }

    /// <summary>Figure background.</summary>
    public string? PaperBgColor { get; init; }

    /// <summary>Plot area background.</summary>
    public string? PlotBgColor { get; init; }

    /// <summary>Axis line colour (null: no axis lines).</summary>
    public string? AxisLineColor { get; init; }

    /// <summary>Axis line width in px.</summary>
    public double AxisLineWidth { get; init; } = 1;

    /// <summary>Whether axis lines are mirrored to close the frame.</summary>
    public bool Mirror { get; init; }

    /// <summary>Tick placement.</summary>
    public Ticks Ticks { get; init; } = Ticks.Outside;

    /// <summary>Tick length in px.</summary>
    public double TickLength { get; init; } = 5;

    /// <summary>Whether grid lines are drawn.</summary>
    public bool ShowGrid { get; init; } = true;

    /// <summary>Grid colour.</summary>
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

    /// <summary>
    /// Top margin needed by a figure title: untitled figures (the usual case in papers, where the caption names the
    /// figure) keep the tight <see cref="Margin"/> top; titled ones get room for one line of title text.
    /// </summary>
    public double TitledTopMargin => (Margin?.T ?? 20) + 2.5 * (TitleFontSize ?? FontSize ?? 14) + 10;

    /// <summary>Default margins (the top one for figures without a title).</summary>
    public Margin? Margin { get; init; }

    /// <summary>Colours given to traces in order (also used by the <see cref="Figure"/> series helpers).</summary>
    public IReadOnlyList<string> Colorway { get; init; } = [];

    /// <summary>The colour of series number <paramref name="index"/> (0-based), cycling through <see cref="Colorway"/>.</summary>
    public string SeriesColor(int index) =>
        Colorway.Count == 0 ? Paper.Colorway[index % Paper.Colorway.Count] : Colorway[index % Colorway.Count];

    /// <summary>The plotly template object (<c>{"layout": {...}, "data": {...}}</c>).</summary>
    public JsonObject ToTemplate()
    {
        var layout = new JsonObject();
        var font = FontNode(FontSize);
        if (FontFamily is not null) font["family"] = FontFamily;
        if (FontColor is not null) font["color"] = FontColor;
        if (font.Count > 0) layout["font"] = font;
        if (TitleFontSize is { } ts) layout["title"] = new JsonObject { ["font"] = FontNode(ts) };
        if (PaperBgColor is not null) layout["paper_bgcolor"] = PaperBgColor;
        if (PlotBgColor is not null) layout["plot_bgcolor"] = PlotBgColor;
        if (Colorway.Count > 0)
        {
            var colors = new JsonArray();
            foreach (var c in Colorway) colors.Add(c);
            layout["colorway"] = colors;
        }
        layout["xaxis"] = AxisTemplate();
        layout["yaxis"] = AxisTemplate();

        var legend = new JsonObject();
        if (LegendBgColor is not null) legend["bgcolor"] = LegendBgColor;
        if (LegendBorderColor is not null) legend["bordercolor"] = LegendBorderColor;
        legend["borderwidth"] = LegendBorderWidth;
        if (LegendFontSize is { } ls) legend["font"] = FontNode(ls);
        layout["legend"] = legend;

        if (Margin is { } m)
        {
            var margin = new JsonObject();
            if (m.L is { } l) margin["l"] = l;
            if (m.R is { } r) margin["r"] = r;
            if (m.T is { } t) margin["t"] = t;
            if (m.B is { } b) margin["b"] = b;
            if (m.Pad is { } p) margin["pad"] = p;
            layout["margin"] = margin;
        }

        // Trace defaults: plotly cycles through each list; one entry applies to every trace of that type.
        var data = new JsonObject
        {
            ["scatter"] = new JsonArray(new JsonObject
            {
                ["line"] = new JsonObject { ["width"] = LineWidth },
                ["marker"] = new JsonObject { ["size"] = MarkerSize },
            }),
        };
        return new JsonObject { ["layout"] = layout, ["data"] = data };
    }

    private JsonObject AxisTemplate()
    {
        var axis = new JsonObject
        {
            ["showline"] = AxisLineColor is not null,
            ["mirror"] = Mirror,
            ["ticks"] = Ticks switch { Ticks.Outside => "outside", Ticks.Inside => "inside", _ => "" },
            ["ticklen"] = TickLength,
            ["showgrid"] = ShowGrid,
            ["gridwidth"] = GridWidth,
            ["zeroline"] = false,
            ["automargin"] = true,
        };
        if (AxisLineColor is not null)
        {
            axis["linecolor"] = AxisLineColor;
            axis["linewidth"] = AxisLineWidth;
            axis["tickcolor"] = AxisLineColor;
            axis["tickwidth"] = AxisLineWidth;
        }
        if (GridColor is not null) axis["gridcolor"] = GridColor;
        if (TickFontSize is { } tf) axis["tickfont"] = FontNode(tf);
        var title = new JsonObject { ["standoff"] = 8 };
        if (AxisTitleFontSize is { } af) title["font"] = FontNode(af);
        axis["title"] = title;
        return axis;
    }

    private static JsonObject FontNode(double? size)
    {
        var font = new JsonObject();
        if (size is { } s) font["size"] = s;
        return font;
    }
}
