namespace ResearchKit.Figures;

/// <summary>A box plot of samples (plotly <c>box</c>): median, quartiles, whiskers and optional points.</summary>
public sealed class BoxTrace : Trace
{
    /// <inheritdoc />
    private protected override string TypeName => "box";

    /// <summary>Samples for a vertical box (or group positions for a horizontal one).</summary>
    public DataArray? Y { get; set; }

    /// <summary>Group positions for vertical boxes (one per sample), or samples for horizontal boxes.</summary>
    public DataArray? X { get; set; }

    /// <summary>Box direction.</summary>
    public Orientation? Orientation { get; set; }

    /// <summary>Which samples are drawn as points.</summary>
    public BoxPoints? BoxPoints { get; set; }

    /// <summary>Whether the mean is drawn as a dashed line.</summary>
    public bool? BoxMean { get; set; }

    /// <summary>Colour of points and outline.</summary>
    public MarkerStyle? Marker { get; set; }

    /// <summary>Box outline.</summary>
    public LineStyle? Line { get; set; }

    /// <summary>Fill colour of the box.</summary>
    public string? FillColor { get; set; }

    /// <inheritdoc />
    internal override int PointCount => Y?.Count ?? X?.Count ?? 0;
}
