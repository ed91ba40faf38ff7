namespace ResearchKit.Figures;

/// <summary>Which horizontal point of a legend, title or annotation sits at its x position.</summary>
public enum XAnchor
{
    /// <summary>plotly chooses from the position.</summary>
    Auto,

    /// <summary>Left edge.</summary>
    Left,

    /// <summary>Centre.</summary>
    Center,

    /// <summary>Right edge.</summary>
    Right,
}
