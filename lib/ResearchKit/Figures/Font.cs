namespace ResearchKit.Figures;

/// <summary>Text style (plotly <c>font</c> objects); unset members inherit from the layout font.</summary>
public sealed class Font
{
    /// <summary>CSS font-family list, e.g. <c>"Times New Roman, serif"</c>.</summary>
    public string? Family { get; set; }

    /// <summary>Size in points (CSS px at scale 1).</summary>
    public double? Size { get; set; }

    /// <summary>CSS colour.</summary>
    public string? Color { get; set; }
}
