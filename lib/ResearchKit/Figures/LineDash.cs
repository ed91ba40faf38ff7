namespace ResearchKit.Figures;

/// <summary>Dash pattern of a line (plotly <c>line.dash</c>).</summary>
public enum LineDash
{
    /// <summary>Continuous line.</summary>
    Solid,

    /// <summary>Dotted line.</summary>
    Dot,

    /// <summary>Dashed line.</summary>
    Dash,

    /// <summary>Long dashes.</summary>
    LongDash,

    /// <summary>Alternating dash and dot.</summary>
    DashDot,

    /// <summary>Alternating long dash and dot.</summary>
    LongDashDot,
}
