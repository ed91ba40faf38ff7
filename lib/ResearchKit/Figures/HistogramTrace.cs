namespace ResearchKit.Figures;

/// <summary>Histogram of samples binned by plotly.js (plotly <c>histogram</c>).</summary>
public sealed class HistogramTrace : Trace
{
    /// <inheritdoc />
    private protected override string TypeName => "histogram";

    /// <summary>Samples binned along x (vertical bars).</summary>
    public DataArray? X { get; set; }

    /// <summary>Samples binned along y (horizontal bars); leave null when <see cref="X"/> is set.</summary>
    public DataArray? Y { get; set; }

    /// <summary>Maximum number of x bins (plotly picks "nice" edges up to this count).</summary>
    public int? NBinsX { get; set; }

    /// <summary>Maximum number of y bins.</summary>
    public int? NBinsY { get; set; }

    /// <summary>Normalisation of the bar heights.</summary>
    public HistNorm? HistNorm { get; set; }

    /// <summary>Bar colour and outline.</summary>
    public MarkerStyle? Marker { get; set; }

    /// <inheritdoc />
    internal override int PointCount => X?.Count ?? Y?.Count ?? 0;
}
