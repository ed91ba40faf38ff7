using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>
/// Interactive behaviour of a rendered figure (plotly's <c>config</c>, the third argument of newPlot). Unlike trace
/// and layout attributes, config names are camelCase (except <c>displaylogo</c>).
/// </summary>
public sealed class PlotConfig
{
    /// <summary>Resize with the container (plotly default false).</summary>
    public bool? Responsive { get; set; } = true;

    /// <summary>Show the plotly logo in the mode bar.</summary>
    public bool? DisplayLogo { get; set; } = false;

    /// <summary>Mode bar visibility (null: on hover).</summary>
    [JsonPropertyName("displayModeBar")]
    public bool? DisplayModeBar { get; set; }

    /// <summary>Disable all interaction (cheaper for many figures in one report).</summary>
    [JsonPropertyName("staticPlot")]
    public bool? StaticPlot { get; set; }

    /// <summary>The "download plot" button settings.</summary>
    [JsonPropertyName("toImageButtonOptions")]
    public ImageExportOptions? ToImageButtonOptions { get; set; }
}
