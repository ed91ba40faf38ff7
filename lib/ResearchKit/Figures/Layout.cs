using System.Globalization;
using System.Text.Json.Serialization;

namespace ResearchKit.Figures;

/// <summary>
/// Everything around the traces (plotly <c>layout</c>): title, axes, legend, size, margins, annotations, shapes and
/// the subplot grid. Unset members fall back to the figure's <see cref="Theme"/> (written as <c>layout.template</c>)
/// and then to plotly's defaults.
/// </summary>
public sealed class Layout
{
    /// <summary>Figure title.</summary>
    public Title? Title { get; set; }

    /// <summary>Global font (ticks, legend, titles inherit it).</summary>
    public Font? Font { get; set; }

    /// <summary>Width in px (null: the container's width, or the exporter's width).</summary>
    public int? Width { get; set; }

    /// <summary>Height in px (null: 450, or the exporter's height).</summary>
    public int? Height { get; set; }

    /// <summary>Margins around the plot area.</summary>
    public Margin? Margin { get; set; }

    /// <summary>Background of the whole figure.</summary>
    [JsonPropertyName("paper_bgcolor")]
    public string? PaperBgColor { get; set; }

    /// <summary>Background of the plot area.</summary>
    [JsonPropertyName("plot_bgcolor")]
    public string? PlotBgColor { get; set; }

    /// <summary>Whether the legend is shown (null: plotly shows it for two or more traces).</summary>
    public bool? ShowLegend { get; set; }

    /// <summary>Legend placement and style.</summary>
    public Legend? Legend { get; set; }

    /// <summary>The first x axis.</summary>
    public Axis? XAxis { get; set; }

    /// <summary>The first y axis.</summary>
    public Axis? YAxis { get; set; }

    /// <summary>Text labels.</summary>
    public List<Annotation>? Annotations { get; set; }

    /// <summary>Lines, rectangles, ellipses (reference lines, highlighted regions).</summary>
    public List<Shape>? Shapes { get; set; }

    /// <summary>Subplot grid; null for a single plot or explicit axis domains.</summary>
    public SubplotGrid? Grid { get; set; }

    /// <summary>How bars of several traces share a position.</summary>
    public BarMode? BarMode { get; set; }

    /// <summary>Gap between bars of adjacent positions (fraction).</summary>
    public double? BarGap { get; set; }

    /// <summary>Gap between bars of one group (fraction).</summary>
    public double? BarGroupGap { get; set; }

    /// <summary>Hover behaviour: <c>"closest"</c>, <c>"x"</c>, <c>"x unified"</c>, ...</summary>
    public string? HoverMode { get; set; }

    /// <summary>
    /// Further layout attributes written verbatim, and the axes beyond the first (<c>xaxis2</c>, <c>yaxis3</c>, ...;
    /// use <see cref="GetXAxis"/>/<see cref="GetYAxis"/>).
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, object?>? Extra { get; set; }

    /// <summary>The x axis number <paramref name="index"/> (1 = <see cref="XAxis"/>), created when missing.</summary>
    public Axis GetXAxis(int index = 1) => GetAxis('x', index);

    /// <summary>The y axis number <paramref name="index"/> (1 = <see cref="YAxis"/>), created when missing.</summary>
    public Axis GetYAxis(int index = 1) => GetAxis('y', index);

    /// <summary>All axes that are set, as (plotly name, axis) pairs: xaxis, yaxis, xaxis2, ...</summary>
    public IEnumerable<(string Name, Axis Axis)> Axes()
    {
        if (XAxis is not null) yield return ("xaxis", XAxis);
        if (YAxis is not null) yield return ("yaxis", YAxis);
        if (Extra is null) yield break;
        foreach (var (key, value) in Extra)
        {
            if (value is Axis axis) yield return (key, axis);
        }
    }

    /// <summary>Sets a layout attribute that has no typed property; returns this layout for chaining.</summary>
    public Layout Set(string attribute, object? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(attribute);
        (Extra ??= new Dictionary<string, object?>())[attribute] = value;
        return this;
    }

    private Axis GetAxis(char letter, int index)
    {
        if (index < 1)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Layout.Get{char.ToUpperInvariant(letter)}Axis: axis numbers start at 1 ({letter}axis, {letter}axis2, ...).");
        if (index == 1)
        {
            if (letter == 'x') return XAxis ??= new Axis();
            return YAxis ??= new Axis();
        }
        string key = letter + "axis" + index.ToString(CultureInfo.InvariantCulture);
        Extra ??= new Dictionary<string, object?>();
        if (Extra.TryGetValue(key, out var existing))
        {
            return existing as Axis ?? throw new InvalidOperationException(
                $"Layout.Extra[\"{key}\"] holds a {existing?.GetType().Name ?? "null"}, not an Axis; remove it or set an Axis there.");
        }
        var axis = new Axis();
        Extra[key] = axis;
        return axis;
    }
}
