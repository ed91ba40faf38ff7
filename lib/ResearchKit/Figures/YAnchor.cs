namespace ResearchKit.Figures;

/// <summary>Which vertical point of a legend, title or annotation sits at its y position.</summary>
public enum YAnchor
{
    /// <summary>plotly chooses from the position.</summary>
    Auto,

    /// <summary>Top edge.</summary>
    Top,

    /// <summary>Middle.</summary>
    Middle,

    /// <summary>Bottom edge.</summary>
    Bottom,
}
