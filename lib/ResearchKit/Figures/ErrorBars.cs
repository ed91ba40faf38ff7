using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>
/// Error bars given per point (plotly <c>error_x</c>/<c>error_y</c> with <c>type: "data"</c>): <see cref="Array"/>
/// above (and below, when <see cref="ArrayMinus"/> is null) each point.
/// </summary>
public sealed class ErrorBars
{
    /// <summary>Creates symmetric error bars (e.g. one standard deviation over seeds).</summary>
    public ErrorBars(DataArray array) => Array = array ?? throw new ArgumentNullException(nameof(array));

    /// <summary>plotly's error-bar kind; always <c>"data"</c> (explicit per-point sizes).</summary>
    public string Type => "data";

    /// <summary>Error above each point (and below, when symmetric).</summary>
    public DataArray Array { get; set; }

    /// <summary>Error below each point; null for symmetric bars.</summary>
    [JsonPropertyName("arrayminus")]
    public DataArray? ArrayMinus { get; set; }

    /// <summary>Whether the bars are symmetric (derived from <see cref="ArrayMinus"/>).</summary>
    public bool Symmetric => ArrayMinus is null;

    /// <summary>Whether the bars are drawn.</summary>
    public bool Visible { get; set; } = true;

    /// <summary>CSS colour; null uses the trace colour.</summary>
    public string? Color { get; set; }

    /// <summary>Stroke width in px.</summary>
    public double? Thickness { get; set; }

    /// <summary>Width of the caps in px.</summary>
    public double? Width { get; set; }
}
