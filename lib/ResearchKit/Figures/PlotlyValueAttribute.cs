namespace ResearchKit.Figures;

/// <summary>
/// The JSON value plotly expects for an enum member when it is not the member name in lower case: a string such as
/// <c>"lines+markers"</c> or <c>""</c>, or the boolean <c>false</c> (System.Text.Json's enum converter accepts
/// neither an empty name nor a boolean).
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class PlotlyValueAttribute : Attribute
{
    /// <summary>A string value.</summary>
    public PlotlyValueAttribute(string value) => Value = value;

    /// <summary>A boolean value.</summary>
    public PlotlyValueAttribute(bool value) => Value = value;

    /// <summary>The value written.</summary>
    public object Value { get; }
}
