namespace ResearchKit.Figures;

/// <summary>
/// A line, rectangle or ellipse drawn in data or paper coordinates (plotly <c>layout.shapes[]</c>), e.g. the
/// thesis' reported value as a horizontal reference line (<see cref="Figure.AddHorizontalLine"/>).
/// </summary>
public sealed class Shape
{
    /// <summary>Kind of shape.</summary>
    public ShapeType Type { get; set; } = ShapeType.Line;

    /// <summary>Coordinate system of x0/x1: <c>"x"</c>, <c>"x2"</c>, <c>"paper"</c>, <c>"x domain"</c>.</summary>
    public string? XRef { get; set; }

    /// <summary>Coordinate system of y0/y1: <c>"y"</c>, <c>"y2"</c>, <c>"paper"</c>, <c>"y domain"</c>.</summary>
    public string? YRef { get; set; }

    /// <summary>Start x (number, category or paper fraction).</summary>
    public object? X0 { get; set; }

    /// <summary>End x.</summary>
    public object? X1 { get; set; }

    /// <summary>Start y.</summary>
    public object? Y0 { get; set; }

    /// <summary>End y.</summary>
    public object? Y1 { get; set; }

    /// <summary>Outline style.</summary>
    public LineStyle? Line { get; set; }

    /// <summary>Fill colour (rectangles, ellipses).</summary>
    public string? FillColor { get; set; }

    /// <summary>Opacity 0–1.</summary>
    public double? Opacity { get; set; }

    /// <summary>Drawn <c>"below"</c> or <c>"above"</c> the traces.</summary>
    public string? Layer { get; set; }
}
