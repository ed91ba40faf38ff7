namespace ResearchKit.Figures;

/// <summary>Line style of a trace or shape (plotly <c>line</c> objects).</summary>
public sealed class LineStyle
{
    /// <summary>CSS colour.</summary>
    public string? Color { get; set; }

    /// <summary>Width in px.</summary>
    public double? Width { get; set; }

    /// <summary>Dash pattern.</summary>
    public LineDash? Dash { get; set; }
}
