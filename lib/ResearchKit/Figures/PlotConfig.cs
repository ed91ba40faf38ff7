namespace ResearchKit.Figures;

/// <summary>Interactive behaviour of a rendered figure (plotly's <c>config</c>, the third argument of newPlot).</summary>
public sealed class PlotConfig
{
    /// <summary>Resize with the container (plotly default false).</summary>
    public bool? Responsive { get; set; } = true;

    /// <summary>Show the plotly logo in the mode bar.</summary>
    public bool? DisplayLogo { get; set; } = false;

    /// <summary>Mode bar visibility (null: on hover).</summary>
    public bool? DisplayModeBar { get; set; }

    /// <summary>Disable all interaction (cheaper for many figures in one report).</summary>
    public bool? StaticPlot { get; set; }

    /// <summary>The "download plot" button settings.</summary>
    public ImageExportOptions? ToImageButtonOptions { get; set; }
}
