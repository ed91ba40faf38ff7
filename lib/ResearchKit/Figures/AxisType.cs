namespace ResearchKit.Figures;

/// <summary>Scale of an axis (plotly <c>axis.type</c>).</summary>
public enum AxisType
{
    /// <summary>Linear numbers.</summary>
    Linear,

    /// <summary>Base-10 logarithmic; ranges are given in log10 units (plotly's convention).</summary>
    Log,

    /// <summary>Categories in order of appearance.</summary>
    Category,

    /// <summary>Dates.</summary>
    Date,
}
