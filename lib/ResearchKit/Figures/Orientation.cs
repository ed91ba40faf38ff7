namespace ResearchKit.Figures;

/// <summary>Vertical or horizontal orientation (bars, box plots, legends).</summary>
public enum Orientation
{
    /// <summary>Vertical (<c>"v"</c>).</summary>
    [PlotlyValue("v")]
    Vertical,

    /// <summary>Horizontal (<c>"h"</c>).</summary>
    [PlotlyValue("h")]
    Horizontal,
}
