namespace ResearchKit.Figures;

/// <summary>Settings of the mode bar's "download plot" button (plotly <c>config.toImageButtonOptions</c>).</summary>
public sealed class ImageExportOptions
{
    /// <summary><c>"png"</c>, <c>"svg"</c>, <c>"jpeg"</c> or <c>"webp"</c>.</summary>
    public string? Format { get; set; }

    /// <summary>File name without extension (defaults to the figure's <see cref="Figure.Name"/>).</summary>
    public string? Filename { get; set; }

    /// <summary>Image width in px (null: as displayed).</summary>
    public int? Width { get; set; }

    /// <summary>Image height in px (null: as displayed).</summary>
    public int? Height { get; set; }

    /// <summary>Pixel multiplier for raster formats.</summary>
    public double? Scale { get; set; }
}
