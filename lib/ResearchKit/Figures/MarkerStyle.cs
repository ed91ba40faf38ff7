namespace ResearchKit.Figures;

/// <summary>Marker style of a scatter trace, or the bar colour of a bar trace (plotly <c>marker</c> objects).</summary>
public sealed class MarkerStyle
{
    /// <summary>CSS colour (bars: fill colour).</summary>
    public string? Color { get; set; }

    /// <summary>Diameter in px (scatter only).</summary>
    public double? Size { get; set; }

    /// <summary>
    /// plotly symbol name (scatter only), e.g. <c>"circle"</c>, <c>"square"</c>, <c>"diamond"</c>,
    /// <c>"triangle-up"</c>, <c>"x"</c>, <c>"cross"</c>, with optional <c>"-open"</c> suffix.
    /// </summary>
    public string? Symbol { get; set; }

    /// <summary>Opacity 0–1.</summary>
    public double? Opacity { get; set; }

    /// <summary>Outline of markers or bars.</summary>
    public LineStyle? Line { get; set; }
}
