namespace ResearchKit.Notebooks.Runner;

/// <summary>Options of a notebook run.</summary>
public sealed class NotebookRunOptions
{
    /// <summary>Parameters (<c>-p name=value</c>) injected after the cell tagged <c>parameters</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary><c>smoke</c>, <c>quick</c> or <c>paper</c>: injected as the <c>preset</c> parameter; <c>null</c> keeps the notebook's.</summary>
    public string? Preset { get; init; }

    /// <summary>
    /// Maximum time per cell; <c>null</c> for no limit. A cell over the limit is cancelled (kernel <c>Cancel</c>, then
    /// the cell thread is interrupted) and fails the run.
    /// </summary>
    public TimeSpan? CellTimeout { get; init; }

    /// <summary>
    /// Where the executed notebook is written, atomically, after every cell (so a crash or Ctrl-C leaves the cells
    /// run so far); <c>null</c> to write nothing.
    /// </summary>
    public string? OutputPath { get; init; }

    /// <summary>Progress log (one line per cell, failures); <c>null</c> for none.</summary>
    public TextWriter? Log { get; init; }
}
