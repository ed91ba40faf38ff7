namespace ResearchKit.Figures;

/// <summary>How a scatter trace draws its points (plotly <c>scatter.mode</c>).</summary>
public enum ScatterMode
{
    /// <summary>Connected line only (<c>"lines"</c>).</summary>
    Lines,

    /// <summary>Markers only (<c>"markers"</c>).</summary>
    Markers,

    /// <summary>Line with a marker at each point (<c>"lines+markers"</c>).</summary>
    [PlotlyValue("lines+markers")]
    LinesMarkers,

    /// <summary>Nothing but the fill (<c>"none"</c>), used for error bands.</summary>
    None,
}
