namespace ResearchKit.Figures;

/// <summary>
/// A matrix of colours (plotly <c>heatmap</c>): <see cref="Z"/>[row][column], rows along y from bottom to top,
/// e.g. accuracy over (sparsity, bit width) or a confusion matrix.
/// </summary>
public sealed class HeatmapTrace : Trace
{
    /// <inheritdoc />
    private protected override string TypeName => "heatmap";

    /// <summary>Values, row-major: <c>Z[i][j]</c> is drawn at (x[j], y[i]); non-finite values are blank cells.</summary>
    public double[][]? Z { get; set; }

    /// <summary>Column coordinates or labels.</summary>
    public DataArray? X { get; set; }

    /// <summary>Row coordinates or labels.</summary>
    public DataArray? Y { get; set; }

    /// <summary>plotly colour scale name, e.g. <c>"Viridis"</c>, <c>"Blues"</c>, <c>"RdBu"</c>, <c>"Greys"</c>.</summary>
    public string? ColorScale { get; set; }

    /// <summary>Flip the colour scale.</summary>
    public bool? ReverseScale { get; set; }

    /// <summary>Value mapped to the lowest colour (null: data minimum).</summary>
    public double? ZMin { get; set; }

    /// <summary>Value mapped to the highest colour (null: data maximum).</summary>
    public double? ZMax { get; set; }

    /// <summary>Per-cell text, same shape as <see cref="Z"/>.</summary>
    public string[][]? Text { get; set; }

    /// <summary>Text drawn in each cell, e.g. <c>"%{z:.1f}"</c> or <c>"%{text}"</c>.</summary>
    public string? TextTemplate { get; set; }

    /// <summary>Whether the colour bar is shown.</summary>
    public bool? ShowScale { get; set; }

    /// <summary>Colour bar settings.</summary>
    public ColorBar? ColorBar { get; set; }

    /// <inheritdoc />
    internal override int PointCount
    {
        get
        {
            if (Z is null) return 0;
            int n = 0;
            foreach (var row in Z) n += row?.Length ?? 0;
            return n;
        }
    }
}
