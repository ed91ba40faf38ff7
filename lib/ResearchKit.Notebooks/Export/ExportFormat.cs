namespace ResearchKit.Notebooks.Export;

/// <summary>Output format of <see cref="FigureExporter"/>, chosen from the file extension.</summary>
public enum ExportFormat
{
    /// <summary>Raster image (width·scale × height·scale pixels).</summary>
    Png,

    /// <summary>Vector image as plotly draws it (text stays text).</summary>
    Svg,

    /// <summary>Vector PDF: the SVG printed by Chromium on a page of the figure's size.</summary>
    Pdf,
}

/// <summary>Helpers for <see cref="ExportFormat"/>.</summary>
public static class ExportFormats
{
    /// <summary>The format for a path's extension (.png, .svg, .pdf; case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other extension.</exception>
    public static ExportFormat FromPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => ExportFormat.Png,
            ".svg" => ExportFormat.Svg,
            ".pdf" => ExportFormat.Pdf,
            var ext => throw new ArgumentException(
                $"FigureExporter: cannot tell the format of '{path}' (extension '{ext}'): use .png, .svg or .pdf.", nameof(path)),
        };
    }

    /// <summary>The file extension with the dot (".png").</summary>
    public static string Extension(this ExportFormat format) => format switch
    {
        ExportFormat.Png => ".png",
        ExportFormat.Svg => ".svg",
        ExportFormat.Pdf => ".pdf",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown ExportFormat."),
    };
}
