namespace ResearchKit.Figures;

/// <summary>A figure or axis title (plotly <c>title</c> objects; plotly.js 3+ accepts only this object form).</summary>
public sealed class Title
{
    /// <summary>Creates a title with the given text.</summary>
    public Title(string? text = null) => Text = text;

    /// <summary>The text (plotly accepts a small HTML subset: &lt;b&gt;, &lt;i&gt;, &lt;sup&gt;, &lt;sub&gt;, &lt;br&gt;).</summary>
    public string? Text { get; set; }

    /// <summary>Text style.</summary>
    public Font? Font { get; set; }

    /// <summary>Horizontal position in paper fraction (figure titles only).</summary>
    public double? X { get; set; }

    /// <summary>Which point of the title sits at <see cref="X"/> (figure titles only).</summary>
    public XAnchor? XAnchor { get; set; }

    /// <summary>Distance in px between tick labels and the title (axis titles only).</summary>
    public double? Standoff { get; set; }
}
