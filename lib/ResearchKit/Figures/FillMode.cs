namespace ResearchKit.Figures;

/// <summary>What a scatter trace fills (plotly <c>scatter.fill</c>).</summary>
public enum FillMode
{
    /// <summary>No fill.</summary>
    None,

    /// <summary>Fill down to y = 0.</summary>
    ToZeroY,

    /// <summary>Fill to the previous trace's y values (band between two traces).</summary>
    ToNextY,

    /// <summary>Close the trace's own path and fill it (band as one polygon).</summary>
    ToSelf,
}
