using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>Bars (plotly <c>bar</c>); several bar traces are grouped or stacked by <see cref="Layout.BarMode"/>.</summary>
public sealed class BarTrace : Trace
{
    /// <inheritdoc />
    private protected override string TypeName => "bar";

    /// <summary>Bar positions (categories) for vertical bars, lengths for horizontal ones.</summary>
    public DataArray? X { get; set; }

    /// <summary>Bar lengths for vertical bars, positions for horizontal ones.</summary>
    public DataArray? Y { get; set; }

    /// <summary>Bar direction.</summary>
    public Orientation? Orientation { get; set; }

    /// <summary>Error bars on vertical bars (e.g. std over seeds).</summary>
    [JsonPropertyName("error_y")]
    public ErrorBars? ErrorY { get; set; }

    /// <summary>Error bars on horizontal bars.</summary>
    [JsonPropertyName("error_x")]
    public ErrorBars? ErrorX { get; set; }

    /// <summary>Bar colour and outline.</summary>
    public MarkerStyle? Marker { get; set; }

    /// <summary>Per-bar text.</summary>
    public DataArray? Text { get; set; }

    /// <summary>Where <see cref="Text"/> is drawn: <c>"inside"</c>, <c>"outside"</c>, <c>"auto"</c>, <c>"none"</c>.</summary>
    public string? TextPosition { get; set; }

    /// <inheritdoc />
    internal override int PointCount => Y?.Count ?? X?.Count ?? 0;
}
