using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>Lines and/or markers (plotly <c>scatter</c>), optionally with error bars or a filled band.</summary>
public sealed class ScatterTrace : Trace
{
    /// <inheritdoc />
    private protected override string TypeName => "scatter";

    /// <summary>x coordinates.</summary>
    public DataArray? X { get; set; }

    /// <summary>y coordinates (non-finite values are gaps).</summary>
    public DataArray? Y { get; set; }

    /// <summary>Lines, markers or both.</summary>
    public ScatterMode? Mode { get; set; }

    /// <summary>Per-point hover/label text.</summary>
    public DataArray? Text { get; set; }

    /// <summary>Vertical error bars.</summary>
    [JsonPropertyName("error_y")]
    public ErrorBars? ErrorY { get; set; }

    /// <summary>Horizontal error bars.</summary>
    [JsonPropertyName("error_x")]
    public ErrorBars? ErrorX { get; set; }

    /// <summary>Line style.</summary>
    public LineStyle? Line { get; set; }

    /// <summary>Marker style.</summary>
    public MarkerStyle? Marker { get; set; }

    /// <summary>Area fill (<see cref="FillMode.ToSelf"/> or <see cref="FillMode.ToNextY"/> for error bands).</summary>
    public FillMode? Fill { get; set; }

    /// <summary>Fill colour, usually a translucent <c>rgba(...)</c>.</summary>
    public string? FillColor { get; set; }

    /// <summary>Whether the line bridges missing (null) points.</summary>
    public bool? ConnectGaps { get; set; }

    /// <inheritdoc />
    internal override int PointCount => Y?.Count ?? X?.Count ?? 0;
}
