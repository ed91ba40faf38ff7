namespace ResearchKit.Figures;

/// <summary>Where axis tick marks are drawn (plotly <c>axis.ticks</c>).</summary>
public enum Ticks
{
    /// <summary>No tick marks (<c>""</c>).</summary>
    [PlotlyValue("")]
    None,

    /// <summary>Outside the plotting area (usual in papers).</summary>
    Outside,

    /// <summary>Inside the plotting area.</summary>
    Inside,
}
