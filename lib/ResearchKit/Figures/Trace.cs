using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>
/// One plotly.js trace (an entry of <c>data</c>). The concrete class decides plotly's <c>type</c>; members shared by
/// all cartesian traces live here. Attributes without a typed property can be set through <see cref="Extra"/>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ScatterTrace), "scatter")]
[JsonDerivedType(typeof(BarTrace), "bar")]
[JsonDerivedType(typeof(HistogramTrace), "histogram")]
[JsonDerivedType(typeof(HeatmapTrace), "heatmap")]
[JsonDerivedType(typeof(BoxTrace), "box")]
public abstract class Trace
{
    private string? _xAxis;
    private string? _yAxis;

    /// <summary>plotly's trace type (<c>"scatter"</c>, <c>"bar"</c>, ...), written as <c>type</c>.</summary>
    [JsonIgnore]
    public string TraceType => TypeName;

    /// <summary>The type name; not public so the serializer does not write it twice (the discriminator does).</summary>
    private protected abstract string TypeName { get; }

    /// <summary>Legend entry and hover label.</summary>
    public string? Name { get; set; }

    /// <summary>Whether the trace appears in the legend (null: plotly's default).</summary>
    public bool? ShowLegend { get; set; }

    /// <summary>Traces with the same group toggle together in the legend (a line and its error band).</summary>
    public string? LegendGroup { get; set; }

    /// <summary>Opacity 0–1 of the whole trace.</summary>
    public double? Opacity { get; set; }

    /// <summary>Hover content, e.g. <c>"skip"</c> for error bands, <c>"x+y+name"</c>.</summary>
    public string? HoverInfo { get; set; }

    /// <summary>x axis this trace is drawn against: <c>"x"</c> (default), <c>"x2"</c>, ... (subplots).</summary>
    public string? XAxis
    {
        get => _xAxis;
        set => _xAxis = CheckAxisRef(value, 'x');
    }

    /// <summary>y axis this trace is drawn against: <c>"y"</c> (default), <c>"y2"</c>, ... (subplots).</summary>
    public string? YAxis
    {
        get => _yAxis;
        set => _yAxis = CheckAxisRef(value, 'y');
    }

    /// <summary>Further plotly attributes written verbatim (name → any JSON-serializable value).</summary>
    [JsonExtensionData]
    public Dictionary<string, object?>? Extra { get; set; }

    /// <summary>Sets a plotly attribute that has no typed property; returns this trace for chaining.</summary>
    public Trace Set(string attribute, object? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(attribute);
        (Extra ??= new Dictionary<string, object?>())[attribute] = value;
        return this;
    }

    /// <summary>Number of points, for summaries.</summary>
    internal abstract int PointCount { get; }

    /// <summary>Validates an axis reference such as "x", "x2", "y3" (plotly has no "x1").</summary>
    internal static string? CheckAxisRef(string? value, char letter)
    {
        if (value is null) return null;
        bool ok = value.Length >= 1 && value[0] == letter;
        if (ok && value.Length > 1)
        {
            ok = int.TryParse(value.AsSpan(1), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 2 && value[1] != '0';
        }
        if (!ok)
            throw new ArgumentException($"Trace axis reference '{value}' is invalid: use \"{letter}\" for the first axis or \"{letter}2\", \"{letter}3\", ... (plotly has no \"{letter}1\"); Figure.Subplot(row, col) gives the pair for a grid cell.");
        return value;
    }
}
