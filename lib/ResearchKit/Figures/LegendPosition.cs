namespace ResearchKit.Figures;

/// <summary>Common legend placements (see <see cref="Legend.At"/>).</summary>
public enum LegendPosition
{
    /// <summary>Inside the plot, top right corner.</summary>
    TopRight,

    /// <summary>Inside the plot, top left corner.</summary>
    TopLeft,

    /// <summary>Inside the plot, bottom right corner.</summary>
    BottomRight,

    /// <summary>Inside the plot, bottom left corner.</summary>
    BottomLeft,

    /// <summary>Outside, right of the plot (plotly's default).</summary>
    OutsideRight,

    /// <summary>Outside, one horizontal row above the plot.</summary>
    Above,

    /// <summary>Outside, one horizontal row below the x axis title.</summary>
    Below,
}
