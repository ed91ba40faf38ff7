namespace ResearchKit.Figures;

/// <summary>
/// A rows × columns grid of subplots (plotly <c>layout.grid</c>); with the "independent" pattern cell (r, c)
/// uses axes x<i>k</i>/y<i>k</i> where k = (r − 1)·columns + c (see <see cref="Figure.Subplot"/>).
/// </summary>
public sealed class SubplotGrid
{
    /// <summary>Number of rows.</summary>
    public int Rows { get; set; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; set; }

    /// <summary><c>"independent"</c> (own axes per cell) or <c>"coupled"</c> (shared x per column, y per row).</summary>
    public string? Pattern { get; set; } = "independent";

    /// <summary><c>"top to bottom"</c> (plotly's default) or <c>"bottom to top"</c>.</summary>
    public string? RowOrder { get; set; }

    /// <summary>Horizontal gap between cells as a fraction of a cell.</summary>
    public double? XGap { get; set; }

    /// <summary>Vertical gap between cells as a fraction of a cell.</summary>
    public double? YGap { get; set; }
}
