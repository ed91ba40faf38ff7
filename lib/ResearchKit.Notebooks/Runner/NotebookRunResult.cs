namespace ResearchKit.Notebooks.Runner;

/// <summary>Outcome of a notebook run.</summary>
public sealed class NotebookRunResult
{
    /// <summary>Whether every executed cell succeeded.</summary>
    public bool Succeeded => FailedCellIndex is null;

    /// <summary>Process exit code: 0 on success, 1 when a cell failed.</summary>
    public int ExitCode => Succeeded ? 0 : 1;

    /// <summary>Number of code cells executed (including the failing one).</summary>
    public int ExecutedCells { get; init; }

    /// <summary>0-based index of the failing cell in the notebook, or <c>null</c>.</summary>
    public int? FailedCellIndex { get; init; }

    /// <summary>Id of the failing cell, or <c>null</c>.</summary>
    public string? FailedCellId { get; init; }

    /// <summary>One-line description of the failure, or <c>null</c>.</summary>
    public string? Error { get; init; }

    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; init; }
}
