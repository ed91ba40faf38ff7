namespace ResearchKit.Figures;

/// <summary>Which samples a box trace draws as points next to the box (plotly <c>box.boxpoints</c>).</summary>
public enum BoxPoints
{
    /// <summary>Only outliers (beyond 1.5 IQR).</summary>
    Outliers,

    /// <summary>All samples.</summary>
    All,

    /// <summary>Outliers, highlighting those beyond 4 Q1-3Q3.</summary>
    SuspectedOutliers,

    /// <summary>No points (plotly's <c>false</c>).</summary>
    [PlotlyValue(false)]
    None,
}
