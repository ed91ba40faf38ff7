using System.Text.Json;
using System.Text.Json.Serialization;

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
    None,
}

/// <summary>
/// plotly spells "no points" as the boolean <c>false</c>, the others as strings. Registered in
/// <see cref="PlotlyJson.Options"/> ahead of the generic enum converter (options converters beat type attributes).
/// </summary>
internal sealed class BoxPointsConverter : JsonConverter<BoxPoints>
{
    public override BoxPoints Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("BoxPoints is write-only.");

    public override void Write(Utf8JsonWriter writer, BoxPoints value, JsonSerializerOptions options)
    {
        switch (value)
        {
            case BoxPoints.None: writer.WriteBooleanValue(false); break;
            case BoxPoints.All: writer.WriteStringValue("all"); break;
            case BoxPoints.SuspectedOutliers: writer.WriteStringValue("suspectedoutliers"); break;
            default: writer.WriteStringValue("outliers"); break;
        }
    }
}
