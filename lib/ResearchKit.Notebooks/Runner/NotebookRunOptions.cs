namespace ResearchKit.Notebooks.Runner;

/// <summary>Options of a notebook run.</summary>
public sealed class NotebookRunOptions
{
    /// <summary>Parameters (<c>-p name=value</c>) injected after the cell tagged <c>parameters</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary><c>smoke</c>, <c>quick</c> or <c>paper</c>: injected as the <c>preset</c> parameter; <c>null</c> keeps the notebook's.</summary>
    public string? Preset { get; init; }

    /// <summary>Maximum time per cell; <c>null</c> for no limit. A cell over the limit fails the run.</summary>
    public TimeSpan? CellTimeout { get; init; }

    /// <summary>Progress log (one line per cell, failures); <c>null</c> for none.</summary>
    public TextWriter? Log { get; init; }
}
