namespace ResearchKit.Figures;

/// <summary>
/// A text label placed in data or paper coordinates (plotly <c>layout.annotations[]</c>), with an optional arrow
/// pointing at (x, y).
/// </summary>
public sealed class Annotation
{
    /// <summary>Creates an annotation with the given text at (x, y).</summary>
    public Annotation(string text, object? x = null, object? y = null)
    {
        Text = text ?? throw new ArgumentNullException(nameof(text));
        X = x;
        Y = y;
    }

    /// <summary>The label (plotly's HTML subset allowed).</summary>
    public string Text { get; set; }

    /// <summary>x position: a number, a category label, or a paper fraction when <see cref="XRef"/> is "paper".</summary>
    public object? X { get; set; }

    /// <summary>y position: a number, a category label, or a paper fraction when <see cref="YRef"/> is "paper".</summary>
    public object? Y { get; set; }

    /// <summary>Coordinate system of x: <c>"x"</c>, <c>"x2"</c>, <c>"paper"</c>, <c>"x domain"</c>.</summary>
    public string? XRef { get; set; }

    /// <summary>Coordinate system of y: <c>"y"</c>, <c>"y2"</c>, <c>"paper"</c>, <c>"y domain"</c>.</summary>
    public string? YRef { get; set; }

    /// <summary>Whether an arrow points from the text to (x, y) (plotly's default is true).</summary>
    public bool? ShowArrow { get; set; } = false;

    /// <summary>Which horizontal point of the text box sits at x.</summary>
    public XAnchor? XAnchor { get; set; }

    /// <summary>Which vertical point of the text box sits at y.</summary>
    public YAnchor? YAnchor { get; set; }

    /// <summary>Text style.</summary>
    public Font? Font { get; set; }

    /// <summary>Arrow tail offset in px along x (when <see cref="ShowArrow"/>).</summary>
    public double? AX { get; set; }

    /// <summary>Arrow tail offset in px along y (when <see cref="ShowArrow"/>).</summary>
    public double? AY { get; set; }

    /// <summary>Background colour of the text box.</summary>
    public string? BgColor { get; set; }
}
