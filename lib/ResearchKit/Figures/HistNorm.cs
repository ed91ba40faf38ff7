namespace ResearchKit.Figures;

/// <summary>Normalisation of histogram bar heights (plotly <c>histogram.histnorm</c>).</summary>
public enum HistNorm
{
    /// <summary>Counts (<c>""</c>).</summary>
    [PlotlyValue("")]
    Count,

    /// <summary>Percentage of samples.</summary>
    Percent,

    /// <summary>Fraction of samples.</summary>
    Probability,

    /// <summary>Count divided by bin width.</summary>
    Density,

    /// <summary>Fraction divided by bin width (integrates to 1).</summary>
    [PlotlyValue("probability density")]
    ProbabilityDensity,
}
