namespace ResearchKit.Figures;

/// <summary>Kind of a layout shape (plotly <c>layout.shapes[].type</c>).</summary>
public enum ShapeType
{
    /// <summary>Line from (x0, y0) to (x1, y1).</summary>
    Line,

    /// <summary>Rectangle spanning (x0, y0)–(x1, y1).</summary>
    Rect,

    /// <summary>Ellipse inscribed in (x0, y0)–(x1, y1).</summary>
    Circle,
}
