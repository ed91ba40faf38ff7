namespace ResearchKit.Figures;

/// <summary>How bars of several traces at the same location are arranged (plotly <c>layout.barmode</c>).</summary>
public enum BarMode
{
    /// <summary>Side by side.</summary>
    Group,

    /// <summary>On top of each other.</summary>
    Stack,

    /// <summary>Stacked with negative values below zero.</summary>
    Relative,

    /// <summary>Drawn over each other (use opacity).</summary>
    Overlay,
}
