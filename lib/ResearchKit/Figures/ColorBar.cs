namespace ResearchKit.Figures;

/// <summary>The colour scale legend of a heatmap (plotly <c>colorbar</c>).</summary>
public sealed class ColorBar
{
    /// <summary>Title next to the bar.</summary>
    public Title? Title { get; set; }

    /// <summary>Number format of the tick labels (d3-format, e.g. <c>".2f"</c>, <c>".0%"</c>).</summary>
    public string? TickFormat { get; set; }
}
