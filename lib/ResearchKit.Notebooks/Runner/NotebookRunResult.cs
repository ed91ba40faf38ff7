namespace ResearchKit.Notebooks.Runner;

/// <summary>Outcome of a notebook run.</summary>
public sealed class NotebookRunResult
{
    /// <summary>Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>Whether every executed cell succeeded.</summary>
    public bool Succeeded => FailedCellIndex is null;

    /// <summary>Whether the run was stopped by cancellation (Ctrl-C) rather than by a failing cell.</summary>
    public bool Interrupted { get; init; }

    /// <summary>Process exit code: 0 on success, 1 when a cell failed, <see cref="InterruptedExitCode"/> when interrupted.</summary>
    public int ExitCode => Interrupted ? InterruptedExitCode : Succeeded ? 0 : 1;

    /// <summary>Number of code cells executed (including the failing one).</summary>
    public int ExecutedCells { get; init; }

    /// <summary>0-based index of the failing (or interrupted) cell in the notebook, or <c>null</c>.</summary>
    public int? FailedCellIndex { get; init; }

    /// <summary>Id of the failing cell, or <c>null</c>.</summary>
    public string? FailedCellId { get; init; }

    /// <summary>One-line description of the failure, naming the cell ("cell 3 (id 'x'): …"), or <c>null</c>.</summary>
    public string? Error { get; init; }

    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; init; }
}
