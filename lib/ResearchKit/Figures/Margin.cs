namespace ResearchKit.Figures;

/// <summary>Space around the plot area in px (plotly <c>layout.margin</c>).</summary>
public sealed class Margin
{
    /// <summary>Left.</summary>
    public double? L { get; set; }

    /// <summary>Right.</summary>
    public double? R { get; set; }

    /// <summary>Top.</summary>
    public double? T { get; set; }

    /// <summary>Bottom.</summary>
    public double? B { get; set; }

    /// <summary>Padding between the plot area and the axis lines.</summary>
    public double? Pad { get; set; }
}
