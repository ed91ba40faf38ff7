namespace ResearchKit.Figures;

/// <summary>The legend box (plotly <c>layout.legend</c>); <see cref="At"/> covers the usual placements.</summary>
public sealed class Legend
{
    /// <summary>x position in paper fraction (0 = left edge of the plot area, 1 = right edge).</summary>
    public double? X { get; set; }

    /// <summary>y position in paper fraction (0 = bottom, 1 = top).</summary>
    public double? Y { get; set; }

    /// <summary>Which point of the legend sits at <see cref="X"/>.</summary>
    public XAnchor? XAnchor { get; set; }

    /// <summary>Which point of the legend sits at <see cref="Y"/>.</summary>
    public YAnchor? YAnchor { get; set; }

    /// <summary>Entries stacked vertically or in a row.</summary>
    public Orientation? Orientation { get; set; }

    /// <summary>Background colour.</summary>
    public string? BgColor { get; set; }

    /// <summary>Border colour.</summary>
    public string? BorderColor { get; set; }

    /// <summary>Border width in px.</summary>
    public double? BorderWidth { get; set; }

    /// <summary>Entry text style.</summary>
    public Font? Font { get; set; }

    /// <summary>Entry order: <c>"normal"</c>, <c>"reversed"</c>, <c>"grouped"</c>.</summary>
    public string? TraceOrder { get; set; }

    /// <summary>A legend at one of the common positions.</summary>
    public static Legend At(LegendPosition position) => position switch
    {
        LegendPosition.TopRight => new() { X = 0.99, Y = 0.99, XAnchor = Figures.XAnchor.Right, YAnchor = Figures.YAnchor.Top },
        LegendPosition.TopLeft => new() { X = 0.01, Y = 0.99, XAnchor = Figures.XAnchor.Left, YAnchor = Figures.YAnchor.Top },
        LegendPosition.BottomRight => new() { X = 0.99, Y = 0.01, XAnchor = Figures.XAnchor.Right, YAnchor = Figures.YAnchor.Bottom },
        LegendPosition.BottomLeft => new() { X = 0.01, Y = 0.01, XAnchor = Figures.XAnchor.Left, YAnchor = Figures.YAnchor.Bottom },
        LegendPosition.OutsideRight => new() { X = 1.02, Y = 1, XAnchor = Figures.XAnchor.Left, YAnchor = Figures.YAnchor.Top },
        LegendPosition.Above => new()
        {
            X = 0.5, Y = 1.02, XAnchor = Figures.XAnchor.Center, YAnchor = Figures.YAnchor.Bottom,
            Orientation = Figures.Orientation.Horizontal,
        },
        LegendPosition.Below => new()
        {
            X = 0.5, Y = -0.2, XAnchor = Figures.XAnchor.Center, YAnchor = Figures.YAnchor.Top,
            Orientation = Figures.Orientation.Horizontal,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(position), position, "Legend.At: unknown LegendPosition."),
    };
}
