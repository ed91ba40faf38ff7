namespace ResearchKit.Figures;

/// <summary>A cartesian axis (plotly <c>layout.xaxis</c>, <c>layout.yaxis2</c>, ...). Unset members come from the theme.</summary>
public sealed class Axis
{
    /// <summary>Axis title.</summary>
    public Title? Title { get; set; }

    /// <summary>Scale (linear, log, category, date).</summary>
    public AxisType? Type { get; set; }

    /// <summary>
    /// Visible range [min, max]; on a log axis in log10 units (plotly's convention; <see cref="SetLogRange"/> converts).
    /// </summary>
    public double[]? Range { get; set; }

    /// <summary>Whether the axis line is drawn.</summary>
    public bool? ShowLine { get; set; }

    /// <summary>Axis line colour.</summary>
    public string? LineColor { get; set; }

    /// <summary>Axis line width in px.</summary>
    public double? LineWidth { get; set; }

    /// <summary>Whether the axis line is repeated on the opposite side (a closed frame).</summary>
    public bool? Mirror { get; set; }

    /// <summary>Tick mark placement.</summary>
    public Ticks? Ticks { get; set; }

    /// <summary>Tick length in px.</summary>
    public double? TickLen { get; set; }

    /// <summary>Tick width in px.</summary>
    public double? TickWidth { get; set; }

    /// <summary>Tick colour.</summary>
    public string? TickColor { get; set; }

    /// <summary>Tick label style.</summary>
    public Font? TickFont { get; set; }

    /// <summary>d3-format of tick labels, e.g. <c>".0%"</c>, <c>".2f"</c>, <c>"~s"</c>.</summary>
    public string? TickFormat { get; set; }

    /// <summary>Tick label angle in degrees.</summary>
    public double? TickAngle { get; set; }

    /// <summary>Distance between ticks (linear axes: data units; log axes: 1 = every decade).</summary>
    public double? DTick { get; set; }

    /// <summary>Exponent style of large/small tick labels: <c>"none"</c>, <c>"e"</c>, <c>"power"</c>, <c>"SI"</c>.</summary>
    public string? ExponentFormat { get; set; }

    /// <summary>Whether grid lines are drawn.</summary>
    public bool? ShowGrid { get; set; }

    /// <summary>Grid line colour.</summary>
    public string? GridColor { get; set; }

    /// <summary>Grid line width in px.</summary>
    public double? GridWidth { get; set; }

    /// <summary>Whether a line is drawn at 0.</summary>
    public bool? ZeroLine { get; set; }

    /// <summary>Fraction [start, end] of the figure this axis spans (explicit subplot placement).</summary>
    public double[]? Domain { get; set; }

    /// <summary>The perpendicular axis this one is attached to (<c>"y2"</c> for <c>xaxis2</c>), or <c>"free"</c>.</summary>
    public string? Anchor { get; set; }

    /// <summary>Another axis whose range this one follows (<c>"x"</c>), for shared axes across subplots.</summary>
    public string? Matches { get; set; }

    /// <summary>Whether long tick labels or titles grow the margins instead of being clipped.</summary>
    public bool? AutoMargin { get; set; }

    /// <summary>Sets a log axis with the range given in data units (converted to plotly's log10 units).</summary>
    public Axis SetLogRange(double min, double max)
    {
        if (!(min > 0) || !(max > min) || !double.IsFinite(max))
            throw new ArgumentOutOfRangeException(nameof(min), $"Axis.SetLogRange({min}, {max}): a log axis needs 0 < min < max (finite).");
        Type = AxisType.Log;
        Range = [Math.Log10(min), Math.Log10(max)];
        return this;
    }
}
